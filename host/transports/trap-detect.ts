// Notices the firmware's trap and fault lines in the raw byte stream of a board's UART
// (boards/firmware/README.md, "Traps") and turns them into errors, so a trapping module is a
// clear host-side error instead of a session waiting for replies that will never come.
//
//   FEWMUL-TRAP <code>\n   a Wasm trap: the firmware re-created the instance from the last
//                          checkpoint (a device reset: RAM lost, flash kept) and serves again
//   FEWMUL-FAULT\n         a CPU fault (firmware bug): the board halted
//
// The lines are plain ASCII between COBS frames (they never contain 0x00 and always follow a
// frame's delimiter or start the stream), so they are cut out here and never reach the frame
// decoder. What happens on a trap:
// - every request the host had sent and not yet seen answered is doomed: this wrapper's pending
//   writes, and any later write of those frames (the link's retransmissions), reject with a
//   ProtocolError flagged `deviceReset` + `resync` whose message names the trap code;
// - a NAK for the oldest doomed request is injected into the received stream, so the link
//   retransmits it at once (hitting the rejection) instead of after its timeout (10 s for
//   TRAIN);
// - new frames (a HELLO to start over) pass: the device serves again.
// After a fault every write rejects (not recoverable: reset or re-flash the board).
import { ProtocolError } from "../protocol/errors.ts";
import { encodeFrame, FrameDecoder } from "../protocol/frame.ts";
import { Cmd, NAK, NakReason, REPLY_BIT } from "../protocol/opcodes.ts";
import { TransportBase } from "./plumbing.ts";
import { canceledError, type Transport } from "./transport.ts";

/** Trap codes of boards/firmware/README.md (wabt's wasm_rt_trap_t plus the firmware's own). */
export const TRAP_MEANINGS: Record<number, string> = {
  1: "out-of-bounds memory or table access",
  2: "integer overflow",
  3: "integer divide by zero",
  4: "invalid conversion to integer",
  5: "unreachable executed",
  6: "bad call_indirect",
  8: "call stack exhausted",
  16: "the board cannot host the module (memory or table pool too small)",
  17: "device ABI violation (rx/tx window outside linear memory)",
  18: "runtime error without a Wasm trap code (a WAMR exception)",
};

const TRAP = "FEWMUL-TRAP ";
const FAULT = "FEWMUL-FAULT";
const LINE_MAX = 32;
const FIRST = 0x46; // 'F'
/** Requests remembered as unanswered (replies lost for good would otherwise pile up). */
const UNANSWERED_MAX = 256;

export function trapError(code: number): ProtocolError {
  const what = TRAP_MEANINGS[code] ?? "unknown trap";
  return new ProtocolError(
    `device module trapped (FEWMUL-TRAP ${code}: ${what}); the board restarted from its last checkpoint`,
    { deviceReset: true, resync: true },
  );
}

export function faultError(): ProtocolError {
  return new ProtocolError("device firmware hit a CPU fault (FEWMUL-FAULT) and halted: reset or re-flash the board");
}

export interface TrapEvent { code: number | "fault"; error: ProtocolError }

export class TrapDetectTransport extends TransportBase {
  private readonly outgoing = new FrameDecoder();
  private readonly incoming = new FrameDecoder();
  /** seq -> cmd of frames written whose reply has not been seen, oldest first */
  private readonly unanswered = new Map<number, number>();
  /** seq -> the error its (re)transmissions reject with */
  private readonly doomed = new Map<number, ProtocolError>();
  private halted: ProtocolError | undefined;
  /** bytes since the last delimiter that may still turn out to be a trap line */
  private held: number[] = [];
  /** true while the bytes since the last delimiter started as a trap/fault line */
  private atBoundary = true;
  private readonly unsubscribe: () => void;
  /** Traps and faults seen so far. */
  readonly traps: TrapEvent[] = [];

  constructor(private readonly inner: Transport) {
    super();
    this.unsubscribe = inner.onData((chunk) => this.receive(chunk));
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(canceledError("write"));
    if (this.halted) return Promise.reject(this.halted);
    let error: ProtocolError | undefined;
    for (const f of this.outgoing.push(bytes)) {
      if (!f.ok) continue;
      if (f.cmd === Cmd.HELLO) { // a new sequence: the link abandoned everything before it
        this.doomed.clear();
        this.unanswered.clear();
      }
      error ??= this.doomed.get(f.seq);
      if (!this.doomed.has(f.seq) && !this.unanswered.has(f.seq)) {
        this.unanswered.set(f.seq, f.cmd);
        if (this.unanswered.size > UNANSWERED_MAX) this.unanswered.delete(this.unanswered.keys().next().value!);
      }
    }
    if (error) return Promise.reject(error);
    return this.pending.run<void>((resolve, reject) => { this.inner.write(bytes).then(resolve, reject); });
  }

  protected async release(): Promise<void> {
    this.unsubscribe();
    await this.inner.close();
  }

  /** Splits the stream into frame bytes (passed on) and trap/fault lines (acted on). */
  private receive(chunk: Uint8Array): void {
    let pass: number[] = [];
    const flush = () => {
      if (pass.length === 0) return;
      const bytes = Uint8Array.from(pass);
      pass = [];
      for (const f of this.incoming.push(bytes)) {
        if (f.ok && f.cmd !== NAK && f.cmd & REPLY_BIT) this.unanswered.delete(f.seq);
      }
      this.listeners.emit(bytes);
    };
    for (const b of chunk) {
      if (this.held.length === 0 && !(this.atBoundary && b === FIRST)) {
        pass.push(b);
        this.atBoundary = b === 0;
        continue;
      }
      this.held.push(b);
      const text = String.fromCharCode(...this.held);
      const isLine = text.startsWith(TRAP) || text.startsWith(FAULT);
      if (isLine && b === 0x0a) {
        this.held = [];
        this.atBoundary = true;
        flush(); // replies that came before the line are answered, not victims
        this.line(text.trim());
        continue;
      }
      const maybe = isLine ? /^[\x20-\x7e]*$/.test(text) : TRAP.startsWith(text) || FAULT.startsWith(text);
      if (maybe && this.held.length < LINE_MAX) continue;
      // not a trap line after all: frame bytes (a COBS code byte may well be 'F')
      pass.push(...this.held);
      this.held = [];
      this.atBoundary = b === 0;
    }
    flush();
  }

  private line(text: string): void {
    let event: TrapEvent;
    if (text.startsWith(FAULT)) {
      this.halted = faultError();
      event = { code: "fault", error: this.halted };
    } else {
      const code = Number(text.slice(TRAP.length));
      event = { code, error: trapError(code) };
    }
    this.traps.push(event);
    const victims = [...this.unanswered.keys()];
    this.unanswered.clear();
    for (const seq of victims) this.doomed.set(seq, event.error);
    this.pending.cancelAll(() => event.error);
    // Make the link retransmit the victims now (a NAK names a request in flight; the link
    // ignores the others): the retransmission's write then rejects with the error.
    if (victims.length > 0) {
      const naks = victims.map((seq) => encodeFrame(seq, NAK, Uint8Array.of(NakReason.CRC)));
      const bytes = new Uint8Array(naks.reduce((n, f) => n + f.length, 0));
      naks.reduce((at, f) => (bytes.set(f, at), at + f.length), 0);
      this.listeners.emit(bytes);
    }
  }
}

