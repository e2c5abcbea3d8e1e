// Opens the byte stream to a device named by a port string: the in-process emulator, a TCP
// bridge (socket://host:port) or a serial device path.
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "../errors.ts";
import type { BoardManifest } from "../boards/manifest.ts";
import { RELEASE_MODULE } from "../module/loader.ts";
import type { Transport } from "./transport.ts";
import { InProcessTransport } from "./in-process.ts";
import { SocketTransport } from "./socket.ts";
import { SerialTransport } from "./serial.ts";

export interface ConnectOptions {
  board: BoardManifest;
  /** "emulator" (in-process, default), "socket://host:port" or a serial device path. */
  port: string;
  /** Emulator flash file (checkpoints survive restarts); default .fewmul/<board>.flash. */
  flashFile?: string;
  /** Module the emulator runs; default build/fewmul.wasm. */
  wasmPath?: string;
  /** Pace the emulator's link at the board's baud rate. */
  paced?: boolean;
}

export async function openTransport(o: ConnectOptions): Promise<Transport> {
  if (o.port === "emulator") {
    const flashPath = resolve(o.flashFile ?? `.fewmul/${o.board.id}.flash`);
    mkdirSync(dirname(flashPath), { recursive: true });
    return InProcessTransport.open({
      wasmPath: o.wasmPath ?? RELEASE_MODULE, flashPath, flashSize: o.board.checkpoint_bytes,
      maxPages: Math.floor(o.board.ram / 65536), baud: o.paced ? o.board.baud : undefined,
    });
  }
  try {
    if (o.port.startsWith("socket://")) return await SocketTransport.open(o.port);
  } catch (e: any) {
    throw new UserError(`cannot connect to ${o.port}: ${e.message}`, "E_PORT");
  }
  if (!existsSync(o.port)) throw new UserError(`serial port ${o.port} does not exist (see fewmul ports)`, "E_PORT");
  try {
    return await SerialTransport.open({ path: o.port, baudRate: o.board.baud });
  } catch (e: any) {
    throw new UserError(`cannot open serial port ${o.port}: ${e.message}`, "E_PORT");
  }
}
