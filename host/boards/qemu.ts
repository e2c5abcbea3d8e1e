// Runs a QEMU board (manifest "flasher": "qemu") with the firmware ELF: its UART0 on a
// pty or a TCP port, QMP on a private unix socket for reset/quit.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { loadBoard, type BoardManifest } from "./manifest.ts";

export interface QemuOptions {
  /** Where UART0 goes: a pty (default; open `path` as a serial port) or a TCP server
   * on 127.0.0.1 (`{ tcp: 0 }` picks a free port). */
  port?: "pty" | { tcp: number };
  /** -icount argument; default "shift=0" (1 instruction = 1 ns virtual time, so cycle
   * counts do not depend on host load). false = no -icount. */
  icount?: string | false;
  /** How long QEMU may take to come up, ms (default 10000). */
  startTimeoutMs?: number;
}

export interface RunningQemu {
  /** pty to open (port "pty") */
  path?: string;
  /** TCP port on 127.0.0.1 (port { tcp }) */
  port?: number;
  pid: number;
  /** Resolves with QEMU's exit code (null if killed) when it exits. */
  exited: Promise<number | null>;
  /** system_reset: the CPU restarts, RAM is kept, the ELF is reloaded; firmware starts
   * over (boot() again). The checkpoint area survives (boards/firmware/README.md). */
  reset(): Promise<void>;
  /** QMP quit, SIGKILL after 3 s; resolves with the exit code. Idempotent. */
  stop(): Promise<number | null>;
  /** QEMU's stdout + stderr so far (for error messages). */
  log(): string;
}

const live = new Set<ChildProcess>();
let hooked = false;

/** Never leave QEMUs behind: kill them when this process exits or is interrupted. */
function hookProcessExit() {
  if (hooked) return;
  hooked = true;
  const killAll = () => { for (const c of live) c.kill("SIGKILL"); };
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // First in line, so every other listener (once or not) is still registered when it runs:
    // if someone else handles the signal (fewmul flash stops QEMU itself), leave it to them
    // (the "exit" hook remains the safety net); otherwise this listener replaced the default
    // action: kill the QEMUs and re-raise it.
    const onSignal = () => {
      if (process.listenerCount(sig) > 1) return;
      killAll();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.prependListener(sig, onSignal);
  }
}

/** One QMP command on a fresh connection (QEMU serves one client at a time). */
export function qmp(socket: string, command: string, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let buf = "";
    let negotiated = false;
    let done = false;
    const finish = (err: Error | null, value?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.destroy();
      err ? reject(err) : resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`QMP ${command}: no answer in ${timeoutMs} ms`)), timeoutMs);
    conn.setEncoding("utf8");
    conn.on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (msg.QMP) conn.write(`{"execute":"qmp_capabilities"}\n`);
        else if ("error" in msg) finish(new Error(`QMP ${command}: ${msg.error.desc}`));
        else if ("return" in msg) {
          if (negotiated) finish(null, msg.return);
          else { negotiated = true; conn.write(JSON.stringify({ execute: command }) + "\n"); }
        }
        // anything else is an asynchronous event (RESET, SHUTDOWN...): ignore
      }
    });
    conn.on("error", (e) => finish(e));
    // "quit" may close the socket before its reply arrives
    conn.on("close", () => finish(command === "quit" ? null : new Error(`QMP ${command}: connection closed`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts QEMU for `board` with `elfPath` as -kernel; resolves once the UART is reachable. */
export async function startQemu(
  board: BoardManifest | string,
  elfPath: string,
  options: QemuOptions = {},
): Promise<RunningQemu> {
  const b = typeof board === "string" ? loadBoard(board) : board;
  if (!b.qemu) throw new UserError(`board ${b.id} is not a QEMU board`, "E_BOARD");
  const icount = options.icount ?? "shift=0";
  const wantTcp = typeof options.port === "object";
  const tcpPort = wantTcp ? ((options.port as { tcp: number }).tcp || (await freePort())) : undefined;
  const dir = mkdtempSync(join(tmpdir(), "fewmul-qemu-"));
  const qmpSocket = join(dir, "qmp.sock");

  const args = [
    "-M", b.qemu.machine, "-cpu", b.qemu.cpu, "-nographic",
    "-kernel", elfPath,
    ...(icount ? ["-icount", icount] : []),
    // nodelay: the UART writes byte by byte; Nagle + delayed ACK would add ~40 ms per reply
    "-serial", wantTcp ? `tcp:127.0.0.1:${tcpPort},server=on,wait=off,nodelay=on` : "pty",
    "-monitor", "none",
    "-qmp", `unix:${qmpSocket},server=on,wait=off`,
    ...b.qemu.extra,
  ];
  hookProcessExit();
  let child: ChildProcess;
  try {
    child = spawn("qemu-system-arm", args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  live.add(child);
  // QEMU prints "char device redirected to /dev/pts/N" on stdout, errors on stderr
  let output = "";
  const collect = (d: string) => { output += d; };
  child.stdout!.setEncoding("utf8").on("data", collect);
  child.stderr!.setEncoding("utf8").on("data", collect);
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
      resolve(code);
    });
  });
  let exitCode: number | null | undefined;
  void exited.then((c) => { exitCode = c; });
  const spawnError = new Promise<Error>((resolve) => child.on("error", resolve));

  const stop = async () => {
    if (exitCode !== undefined) return exitCode;
    await qmp(qmpSocket, "quit", 2000).catch(() => {});
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  // Wait for the pty name (pty mode) and the QMP socket.
  const deadline = Date.now() + (options.startTimeoutMs ?? 10000);
  let path: string | undefined;
  for (;;) {
    const err = await Promise.race([spawnError, sleep(20).then(() => null)]);
    if (err) {
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new UserError("qemu-system-arm not found: apt-get install qemu-system-arm", "E_TOOLCHAIN");
      }
      throw err;
    }
    if (exitCode !== undefined) throw new Error(`qemu-system-arm exited (${exitCode}): ${output.trim()}`);
    path ??= /char device redirected to (\S+)/.exec(output)?.[1];
    if ((wantTcp || path) && existsSync(qmpSocket)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`qemu-system-arm did not start in time: ${output.trim()}`);
    }
  }

  // QMP answers once the main loop runs, i.e. after every chardev (the TCP server too) exists
  try {
    await qmp(qmpSocket, "query-status");
  } catch (e) {
    await stop();
    throw new Error(`qemu-system-arm did not come up (${(e as Error).message}): ${output.trim()}`);
  }

  return {
    path,
    port: tcpPort,
    pid: child.pid!,
    exited,
    reset: async () => { await qmp(qmpSocket, "system_reset"); },
    stop,
    log: () => output,
  };
}
