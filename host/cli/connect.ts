// Opens a session to a device: the in-process emulator, a TCP bridge or a serial port.
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "../errors.ts";
import type { BoardManifest } from "../boards/manifest.ts";
import { Session } from "../protocol/session.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { DeviceInfo } from "../protocol/messages.ts";
import type { Transport } from "../transports/transport.ts";
import { InProcessTransport } from "../transports/in-process.ts";
import { SocketTransport } from "../transports/socket.ts";
import { SerialTransport } from "../transports/serial.ts";
import { RELEASE_MODULE } from "../module/loader.ts";
import { TrapDetectTransport } from "../boards/trap-detect.ts";

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

export interface Connection { session: Session; transport: Transport; info: DeviceInfo; close(): Promise<void> }

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

/** Opens the transport and shakes hands; a silent or foreign device is a user error. */
export async function connect(o: ConnectOptions): Promise<Connection> {
  // A board's firmware reports a trap in the module as a text line: fail fast on it.
  const transport = o.port === "emulator" ? await openTransport(o) : new TrapDetectTransport(await openTransport(o));
  // Emulator and serial lines run at the board's baud: timeouts count from the wire.
  const session = new Session(transport, { baud: o.port === "emulator" && !o.paced ? undefined : o.board.baud });
  try {
    const info = await session.hello();
    return { session, transport, info, close: () => session.close() };
  } catch (e) {
    await session.close().catch(() => {});
    // A board whose module traps (at every boot, say) answers with trap lines, not frames.
    const trap = transport instanceof TrapDetectTransport ? transport.traps.at(-1) : undefined;
    if (trap) throw new UserError(`device on ${o.port} does not answer the handshake: ${trap.error.message}`, "E_TRAP");
    if (e instanceof ProtocolError) {
      if (e.timeout) throw new UserError(`no fewmul device answers on ${o.port} (wrong port or board not flashed?)`, "E_PORT");
      throw new UserError(`device on ${o.port} refused the handshake: ${e.message}`, "E_PROTOCOL");
    }
    throw e;
  }
}
