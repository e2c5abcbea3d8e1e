// Opens a session to a device and shakes hands: the first thing a command (or a script using
// fewmul as a library) does with a board.
import { UserError } from "./errors.ts";
import { Session } from "./protocol/session.ts";
import { ProtocolError } from "./protocol/errors.ts";
import type { DeviceInfo } from "./protocol/messages.ts";
import type { Transport } from "./transports/transport.ts";
import { openTransport, type ConnectOptions } from "./transports/open.ts";
import { TrapDetectTransport } from "./transports/trap-detect.ts";

export type { ConnectOptions };

export interface Connection { session: Session; transport: Transport; info: DeviceInfo; close(): Promise<void> }

/** Opens the transport and shakes hands; a silent or foreign device is a user error. */
export async function connect(o: ConnectOptions): Promise<Connection> {
  // A board's firmware reports a trap in the module as a text line: fail fast on it.
  const transport = o.port === "emulator" ? await openTransport(o) : new TrapDetectTransport(await openTransport(o));
  // Emulator and serial lines run at the board's baud: timeouts count from the wire.
  const session = new Session(transport, { baud: o.port === "emulator" && !o.paced ? undefined : o.board.baud, ...timeoutScale() });
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

/**
 * FEWMUL_TIMEOUT_SCALE=N stretches the link's reply timeouts (300 ms, 10 s for computing
 * commands) N times: for a board emulated slower than real time on a loaded machine (the Pico
 * under rp2040js runs 3-10x slower than the chip). Unset: the defaults.
 */
function timeoutScale(): { timeoutMs?: number; slowTimeoutMs?: number } {
  const raw = process.env.FEWMUL_TIMEOUT_SCALE;
  if (raw === undefined || raw === "") return {};
  const n = Number(raw);
  if (!(n >= 1 && n <= 1000)) throw new UserError(`FEWMUL_TIMEOUT_SCALE must be a number from 1 to 1000, got "${raw}"`, "E_USAGE");
  return { timeoutMs: 300 * n, slowTimeoutMs: 10_000 * n };
}
