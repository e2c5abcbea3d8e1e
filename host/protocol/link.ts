// Reliable requests over an unreliable byte link: sequence numbers, a sliding window of
// requests in flight, go-back-N retransmission on timeout or NAK. The device executes frames
// strictly in seq order and replays cached replies to duplicates, so a request is executed
// at most once however often it is sent (docs/protocol.md, "Reliability").
import type { Transport } from "../transports/transport.ts";
import { isCanceled } from "../transports/transport.ts";
import { cobsMaxEncoded } from "./cobs.ts";
import { ProtocolError } from "./errors.ts";
import { encodeFrame, FrameDecoder, type DecodedFrame } from "./frame.ts";
import { Cmd, NAK, REPLY_BIT, REQUEST_OVERHEAD } from "./opcodes.ts";
import { Status } from "./status.ts";

export interface LinkOptions {
  /** Wait for a reply before retransmitting, ms (default 300). */
  timeoutMs?: number;
  /** The same for requests that compute (INIT, TRAIN, EVAL, CHECKPOINT), ms (default 10000). */
  slowTimeoutMs?: number;
  /** Retransmissions of one request before giving up with a `timeout` error (default 10). */
  maxRetries?: number;
  /** First sequence number (default random): a fresh session never collides with an old one. */
  firstSeq?: number;
  /** The line's baud rate, if known: a frame's timeout then starts when its last byte is on the wire. */
  baud?: number;
}

/** Limits the device announces in HELLO. Until then: one request at a time. */
export interface LinkLimits {
  window: number;
  /** Encoded reply bytes that may be outstanding (device tx buffer and reply cache). */
  replyBudget: number;
  maxFrame: number;
}

export interface Reply { status: number; body: Uint8Array }

export interface RequestOptions {
  /** Largest decoded reply this request can get (seq..crc), for the reply budget. */
  replyBytes?: number;
  slow?: boolean;
}

interface Pending {
  seq: number;
  cmd: number;
  frame: Uint8Array;
  budget: number;
  timeoutMs: number;
  deadline: number;
  tries: number;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

const SMALL_REPLY = 64;

export class Link {
  private limits: LinkLimits = { window: 1, replyBudget: Infinity, maxFrame: 65536 };
  private readonly decoder = new FrameDecoder();
  private readonly queue: Pending[] = [];
  private readonly inflight: Pending[] = [];
  private nextSeq: number;
  private timer: NodeJS.Timeout | undefined;
  private needsSync = false;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly timeoutMs: number;
  private readonly slowTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly msPerByte: number;
  /** When the bytes written so far will have left (paced lines only). */
  private lineFreeAt = 0;
  /** Frames written, including retransmissions (for tests and diagnostics). */
  framesSent = 0;
  retransmissions = 0;

  constructor(private readonly transport: Transport, options: LinkOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 300;
    this.slowTimeoutMs = options.slowTimeoutMs ?? 10_000;
    this.maxRetries = options.maxRetries ?? 10;
    this.msPerByte = options.baud ? 10_000 / options.baud : 0; // 8N1: 10 bits a byte
    this.nextSeq = (options.firstSeq ?? Math.floor(Math.random() * 0x10000)) & 0xffff;
    this.unsubscribe = transport.onData((chunk) => {
      for (const f of this.decoder.push(chunk)) this.onFrame(f);
    });
  }

  setLimits(limits: LinkLimits): void {
    this.limits = limits;
    this.pump();
  }

  get maxFrame(): number { return this.limits.maxFrame; }

  /**
   * Sends a request; resolves with the device's status and reply body. Rejects only for link
   * failures (timeout, device reset, close), never for a negative status.
   * `sync` marks HELLO: it abandons everything pending and restarts the sequence.
   */
  request(cmd: number, body: Uint8Array, options: RequestOptions = {}): Promise<Reply> {
    if (this.closed) return Promise.reject(new ProtocolError("session closed", { canceled: true }));
    const sync = cmd === Cmd.HELLO;
    if (sync) {
      this.failAll(() => new ProtocolError("abandoned by a new handshake", { resync: true }));
      this.needsSync = false;
    } else if (this.needsSync) {
      return Promise.reject(new ProtocolError("link lost sync: call hello() first", { resync: true }));
    }
    if (body.length + REQUEST_OVERHEAD > this.limits.maxFrame) {
      return Promise.reject(new RangeError(`request of ${body.length + REQUEST_OVERHEAD} bytes exceeds the device's ${this.limits.maxFrame}-byte frame`));
    }
    return new Promise<Reply>((resolve, reject) => {
      const seq = this.nextSeq;
      this.nextSeq = (seq + 1) & 0xffff;
      const timeoutMs = options.slow ? this.slowTimeoutMs : this.timeoutMs;
      this.queue.push({
        seq, cmd, frame: encodeFrame(seq, cmd, body), budget: cobsMaxEncoded(options.replyBytes ?? SMALL_REPLY) + 1,
        timeoutMs, deadline: 0, tries: 0, resolve, reject,
      });
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.failAll(() => new ProtocolError("session closed", { canceled: true }));
    this.closed = true;
    this.unsubscribe();
  }

  /** Moves queued requests into flight while the window and the reply budget allow. */
  private pump(): void {
    while (this.queue.length > 0 && this.inflight.length < this.limits.window) {
      const used = this.inflight.reduce((s, p) => s + p.budget, 0);
      if (this.inflight.length > 0 && used + this.queue[0].budget > this.limits.replyBudget) break;
      const p = this.queue.shift()!;
      this.inflight.push(p);
      this.send(p);
    }
    this.arm();
  }

  private send(p: Pending): void {
    const now = Date.now();
    this.lineFreeAt = Math.max(now, this.lineFreeAt) + (p.frame.length + 2) * this.msPerByte;
    p.deadline = (this.msPerByte ? this.lineFreeAt : now) + p.timeoutMs;
    // The device answers in order: nothing sent behind a computing request can be answered
    // before it, so its reply may take as long as that one's.
    for (const q of this.inflight) if (q !== p && q.timeoutMs > p.timeoutMs) p.deadline = Math.max(p.deadline, q.deadline + p.timeoutMs);
    this.framesSent++;
    // A leading delimiter flushes line noise that would otherwise be glued onto the frame.
    const bytes = new Uint8Array(p.frame.length + 1);
    bytes.set(p.frame, 1);
    this.transport.write(bytes).catch((err: unknown) => {
      if (err instanceof ProtocolError) { // already says what happened (e.g. a trap on the board)
        this.needsSync = true;
        this.failAll(() => err);
        return;
      }
      const canceled = isCanceled(err);
      this.failAll(() => new ProtocolError(`transport write failed: ${String(err)}`, { canceled, resync: !canceled }, { cause: err }));
      if (!canceled) this.needsSync = true;
    });
  }

  /** Go-back-N: resends the request at index `from` of the window and everything after it. */
  private resendFrom(from: number): void {
    const head = this.inflight[from];
    if (!head) return;
    if (++head.tries > this.maxRetries) {
      this.needsSync = true;
      this.failAll(() => new ProtocolError(`no reply to command 0x${head.cmd.toString(16)} after ${this.maxRetries} retransmissions`, { timeout: true, resync: true }));
      return;
    }
    for (const p of this.inflight.slice(from)) { this.retransmissions++; this.send(p); }
    this.arm();
  }

  /** One timer for the oldest request: later ones cannot be answered before it anyway. */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const head = this.inflight[0];
    if (!head) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inflight[0] === head && Date.now() >= head.deadline) this.resendFrom(0);
      else this.arm();
    }, Math.max(0, head.deadline - Date.now()));
  }

  private onFrame(f: DecodedFrame): void {
    if (!f.ok) {
      // A damaged reply: the device has that request, so ask for the cached copy at once.
      const i = f.seq === undefined ? -1 : this.inflight.findIndex((p) => p.seq === f.seq);
      if (i >= 0) { this.retransmissions++; this.send(this.inflight[i]); }
      return;
    }
    const i = this.inflight.findIndex((p) => p.seq === f.seq);
    if (i < 0) return; // duplicate or stale reply
    const p = this.inflight[i];
    if (f.cmd === NAK) { this.resendFrom(i); return; }
    if (f.cmd !== (p.cmd | REPLY_BIT) || f.body.length < 1) return;
    const status = (f.body[0] << 24) >> 24;
    if (status === Status.E_NOSYNC) {
      this.needsSync = true;
      this.failAll(() => new ProtocolError("device restarted: its RAM state is gone", { deviceReset: true, resync: true, status }));
      return;
    }
    this.inflight.splice(i, 1);
    // Frames are executed in order, so the requests before this one arrived: their replies
    // were lost. Ask for the cached copies now rather than after a timeout.
    for (const q of this.inflight.slice(0, i)) { this.retransmissions++; this.send(q); }
    if (i === 0 && this.inflight[0]) {
      const next = this.inflight[0];
      next.deadline = Math.max(next.deadline, Date.now() + next.timeoutMs);
    }
    p.resolve({ status, body: f.body.subarray(1) });
    this.pump();
  }

  private failAll(err: () => Error): void {
    const all = [...this.inflight, ...this.queue];
    this.inflight.length = 0;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of all) p.reject(err());
  }
}
