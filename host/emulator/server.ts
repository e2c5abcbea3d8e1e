// Serves the emulated board (the device module in this process, flash in a file) on a
// loopback TCP port, and optionally behind a pseudo-terminal made by socat, so that clients
// reach it through the operating system's real serial stack.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import type { BoardManifest } from "../boards/manifest.ts";
import type { Transport } from "../transports/transport.ts";
import { openTransport } from "../transports/open.ts";
import { parseSocketUrl } from "../transports/socket.ts";

export interface EmulatorOptions {
  board: BoardManifest;
  /** "socket://127.0.0.1:PORT" (0 = any free port) or "pty". */
  listen: string;
  flashFile?: string;
  wasmPath?: string;
  paced?: boolean;
  /** The device to serve instead of the in-process module (e.g. the emulated Pico, pico.ts). */
  device?: Transport;
}

export interface RunningEmulator {
  /** What clients pass as --port: socket://127.0.0.1:N or /dev/pts/N (a link to it). */
  port: string;
  device: Transport;
  close(): Promise<void>;
}

export function hasSocat(): boolean {
  return spawnSync("socat", ["-V"], { stdio: "ignore" }).status === 0;
}

async function listenTcp(device: Transport, host: string, port: number): Promise<{ server: Server; port: number; drop(): void }> {
  let client: Socket | undefined;
  device.onData((bytes) => client?.write(bytes));
  const server = createServer((socket) => {
    client?.destroy(); // one host at a time, like a UART
    client = socket;
    socket.setNoDelay(true);
    socket.on("data", (buf) => { device.write(buf).catch(() => {}); });
    socket.on("error", () => {});
    socket.on("close", () => { if (client === socket) client = undefined; });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new UserError(`cannot listen on ${host}:${port}: ${e.message}`, "E_PORT")));
    server.listen(port, host, resolve);
  });
  return { server, port: (server.address() as { port: number }).port, drop: () => client?.destroy() };
}

/** socat bridging a pty (raw) to the TCP port; resolves once the pty exists. */
async function ptyBridge(tcpPort: number): Promise<{ path: string; socat: ChildProcess; dir: string }> {
  if (!hasSocat()) throw new UserError("socat not found: apt-get install socat (or use --listen socket://127.0.0.1:0)", "E_TOOLCHAIN");
  const dir = mkdtempSync(join(tmpdir(), "fewmul-pty-"));
  const path = join(dir, "tty");
  const socat = spawn("socat", [`PTY,raw,echo=0,link=${path}`, `TCP:127.0.0.1:${tcpPort},nodelay`], { stdio: "ignore" });
  for (let i = 0; i < 200 && !existsSync(path); i++) {
    if (socat.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!existsSync(path)) { socat.kill(); throw new UserError("socat did not create the pty", "E_TOOLCHAIN"); }
  return { path, socat, dir };
}

export async function startEmulator(o: EmulatorOptions): Promise<RunningEmulator> {
  const device = o.device ?? await openTransport({ board: o.board, port: "emulator", flashFile: o.flashFile, wasmPath: o.wasmPath, paced: o.paced });
  let url: { host: string; port: number } | undefined;
  if (o.listen !== "pty") {
    try { url = parseSocketUrl(o.listen, { listen: true }); } catch {
      throw new UserError(`--listen must be socket://HOST:PORT or pty, got "${o.listen}"`, "E_USAGE");
    }
  }
  let tcp: Awaited<ReturnType<typeof listenTcp>> | undefined;
  let pty: Awaited<ReturnType<typeof ptyBridge>> | undefined;
  try {
    tcp = await listenTcp(device, url?.host ?? "127.0.0.1", url?.port ?? 0);
    if (o.listen === "pty") pty = await ptyBridge(tcp.port);
  } catch (e) {
    tcp?.drop();
    await new Promise<void>((r) => (tcp ? tcp.server.close(() => r()) : r()));
    await device.close();
    throw e;
  }
  const { server, port, drop } = tcp;
  let closed = false;
  return {
    port: pty ? pty.path : `socket://127.0.0.1:${port}`,
    device,
    async close() {
      if (closed) return;
      closed = true;
      pty?.socat.kill();
      if (pty) rmSync(pty.dir, { recursive: true, force: true });
      drop();
      await new Promise<void>((r) => server.close(() => r()));
      await device.close();
    },
  };
}
