// Real processes for the link tests and bench:link: `fewmul emulate`, the noisy proxy, and
// `fewmul train`, each a child process as a user would start them (not a test file).
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/fewmul.js", import.meta.url));
export const PROXY = fileURLToPath(new URL("noisy-proxy.ts", import.meta.url));

export interface Server { child: ChildProcess; port: string; lines: string[]; stop(): Promise<string[]> }

/** Starts a process whose first stdout line is a port; resolves with it. */
export async function startServer(args: string[], what: string, nice = 0): Promise<Server> {
  const [cmd, argv] = nice > 0 ? ["nice", ["-n", String(nice), process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const lines: string[] = [];
  let stderr = "";
  child.stderr!.on("data", (b) => { stderr += String(b); });
  const rl = createInterface({ input: child.stdout! });
  const first = new Promise<string>((resolve, reject) => {
    rl.on("line", (l) => { lines.push(l); if (lines.length === 1) resolve(l); });
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}) before printing its port: ${stderr}`)));
  });
  const port = await first;
  return {
    child, port, lines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
      rl.close();
      return lines;
    },
  };
}

export function startEmulator(extra: string[] = [], nice = 0): Promise<Server> {
  return startServer([BIN, "emulate", "--board", "emulator", ...extra], "fewmul emulate", nice);
}

/** The noisy proxy in front of `target`; `listen` is socket://127.0.0.1:0 or pty. */
export function startProxy(target: string, listen: string, faults: Record<string, number | boolean>, nice = 0): Promise<Server> {
  const args = ["--import", "tsx", PROXY, "--target", target, "--listen", listen];
  for (const [k, v] of Object.entries(faults)) {
    const f = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (v === true) args.push(f); else if (v !== false) args.push(f, String(v));
  }
  return startServer(args, "noisy proxy", nice);
}

/** The fault counts the proxy printed when it stopped. */
export function proxyCounts(lines: string[]): { connections: number; total: Record<string, number>; toDevice: Record<string, number> } {
  return JSON.parse(lines[lines.length - 1]);
}

export interface RunResult { code: number; stdout: string; stderr: string; ms: number }

/** `fewmul ...args` to completion. */
export function runFewmul(args: string[], options: { nice?: number; timeoutMs?: number } = {}): Promise<RunResult> {
  const [cmd, argv] = options.nice ? ["nice", ["-n", String(options.nice), process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "", stderr = "";
    child.stdout.on("data", (b) => { stdout += String(b); });
    child.stderr.on("data", (b) => { stderr += String(b); });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 }); });
  });
}
