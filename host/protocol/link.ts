// Reliable requests over an unreliable byte link (protocol v2): sequence numbers, a window of
// requests in flight, selective repeat. Only what is missing is sent again: a request whose
// frame or reply was lost is resent as soon as a NAK names it or a later request's reply
// arrives without it (the device answers in the order frames reach it), and after a silence
// bounded by the wire time of what is in flight. The device executes each seq at most once
// and replays its cached reply to a retransmission (docs/protocol.md §2).
import type { Transport } from "../transports/transport.ts";
import { isCanceled } from "../transports/transport.ts";
import { cobsMaxEncoded } from "./cobs.ts";
import { ProtocolError } from "./errors.ts";
import { encodeFrame, FrameDecoder, type DecodedFrame } from "./frame.ts";
import { Cmd, NAK, REPLY_BIT, REQUEST_OVERHEAD } from "./opcodes.ts";
import { Status } from "./status.ts";

export interface LinkOptions {
  /**
   * Silence allowed on top of the wire time of what is in flight before the unanswered
   * requests are resent, at most, ms (default 300). Less once round trips are measured.
   */
  timeoutMs?: number;
  /** Compute time allowed for a request that computes before the device's own times are known, ms (default 10000). */
  slowTimeoutMs?: number;
  /** Resends after silences in a row (no reply at all) before the link gives up with a `timeout` error (default 8). */
  maxRetries?: number;
  /**
   * Silence (beyond wire and compute time) after which, with maxRetries resends unanswered, the
   * link gives up, ms (default 10000: an emulated board on a loaded machine, QEMU starved of
   * CPU, stays silent for seconds longer than its measured compute times; 3 s failed CI runs).
   */
  deadMs?: number;
  /** First sequence number (default random): a fresh session never collides with an old one. */
  firstSeq?: number;
  /** The line's baud rate, if known: silences are bounded by the wire time of the bytes in flight. */
  baud?: number;
  /** Time source and timer (default: Date.now and the global timers); tests pass a virtual clock. */
  clock?: LinkClock;
}

export interface LinkClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const SYSTEM_CLOCK: LinkClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

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
  /** The device computes before answering (INIT, TRAIN, EVAL, ...). */
  slow?: boolean;
}

export interface LinkStats {
  framesSent: number;
  retransmissions: number;
  /** Bytes written to the transport, retransmissions and delimiters included. */
  bytesSent: number;
  /** Silences the link waited out (each followed by a resend of what was unanswered). */
  silences: number;
  /** Requests resent at once: named by a NAK or a damaged reply, or missing before a later reply. */
  nakResends: number;
  gapResends: number;
  /** "Not yet" answers (E_WAIT, E_BUSY). */
  deferrals: number;
}

interface Pending {
  seq: number;
  cmd: number;
  frame: Uint8Array;
  budget: number;
  slow: boolean;
  /** Write order of the first and of the latest transmission. */
  firstTx: number;
  lastTx: number;
  sentAt: number;
  firstSentAt: number;
  sends: number;
  /** The device answered "not yet" (E_BUSY, E_WAIT): resent once an earlier request is done. */
  deferred: boolean;
  deferrals: number;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

const SMALL_REPLY = 64;
/** Answers that mean "not done yet, send it again later" (docs/protocol.md §2). */
const NOT_YET = new Set<number>([Status.E_BUSY, Status.E_WAIT]);
/** Frames the device takes in any order; every other command waits for all before it. */
const DATA = new Set<number>([Cmd.BATCH_DATA, Cmd.STATE_WRITE]);

export class Link {
  private limits: LinkLimits = { window: 1, replyBudget: Infinity, maxFrame: 65536 };
  private readonly decoder = new FrameDecoder();
  private readonly queue: Pending[] = [];
  /** Sent and unanswered, in seq order. */
  private readonly inflight: Pending[] = [];
  private nextSeq: number;
  private timer: unknown;
  private needsSync = false;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly clock: LinkClock;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly deadMs: number;
  /** Recent round trips of requests that do not compute, ms: how long a reply normally takes. */
  private readonly rtts: number[] = [];
  private readonly msPerByte: number;
  private txCount = 0;
  /** Bytes on the line both ways and damaged frames seen, recently (see errorRate). */
  private lineBytes = 0;
  private damagedFrames = 0;
  /** When the device last answered (or the link last had nothing to wait for). */
  private lastHeard: number;
  /** When the last silence ended in a resend; the next silence counts from there. */
  private lastResend = 0;
  private silentRounds = 0;
  /** Per command, compute times (ms) of recent slow requests answered on their first send: what a silence may include. */
  private readonly computeMs = new Map<number, number[]>();
  private readonly initialComputeMs: number;
  /** Compute time allowed before any is timed: a tenth of the default, doubled while too short. */
  private guessMs: number;
  readonly stats: LinkStats = { framesSent: 0, retransmissions: 0, bytesSent: 0, silences: 0, nakResends: 0, gapResends: 0, deferrals: 0 };

  constructor(private readonly transport: Transport, options: LinkOptions = {}) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.lastHeard = this.clock.now();
    this.timeoutMs = options.timeoutMs ?? 300;
    this.initialComputeMs = options.slowTimeoutMs ?? 10_000;
    this.guessMs = this.initialComputeMs / 10;
    this.maxRetries = options.maxRetries ?? 8;
    this.deadMs = options.deadMs ?? 10_000;
    this.msPerByte = options.baud ? 10_000 / options.baud : 0; // 8N1: 10 bits a byte
    this.nextSeq = (options.firstSeq ?? Math.floor(Math.random() * 0x10000)) & 0xffff;
    this.unsubscribe = transport.onData((chunk) => {
      this.lineBytes += chunk.length;
      for (const f of this.decoder.push(chunk)) this.onFrame(f);
    });
  }

  /** Frames written, including retransmissions (for tests and diagnostics). */
  get framesSent(): number { return this.stats.framesSent; }
  get retransmissions(): number { return this.stats.retransmissions; }

  setLimits(limits: LinkLimits): void {
    this.limits = limits;
    this.pump();
  }

  get maxFrame(): number { return this.limits.maxFrame; }

  /**
   * Recent bit-error rate of the line, estimated as damaged frames (NAKs from the device,
   * damaged replies) per bit crossing it either way, over roughly the last 256 KB: what
   * the session sizes its chunks by. 0 on a clean line.
   */
  get errorRate(): number {
    return this.lineBytes === 0 ? 0 : this.damagedFrames / (8 * this.lineBytes);
  }

  /** Counts a damaged frame; halves the counts every 256 KB so the rate follows the line. */
  private damaged(): void {
    this.damagedFrames++;
    if (this.lineBytes > 256 * 1024) { this.lineBytes /= 2; this.damagedFrames /= 2; }
  }

  /**
   * Sends a request; resolves with the device's status and reply body. Rejects only for link
   * failures (timeout, device reset, close), never for a negative status.
   * HELLO abandons everything pending and restarts the sequence.
   */
  request(cmd: number, body: Uint8Array, options: RequestOptions = {}): Promise<Reply> {
    if (this.closed) return Promise.reject(new ProtocolError("session closed", { canceled: true }));
    const sync = cmd === Cmd.HELLO;
    if (sync) {
      this.failAll(() => new ProtocolError("abandoned by a new handshake", { resync: true }));
      this.needsSync = false;
      this.limits = { ...this.limits, window: 1 };
    } else if (this.needsSync) {
      return Promise.reject(new ProtocolError("link lost sync: call hello() first", { resync: true }));
    }
    if (body.length + REQUEST_OVERHEAD > this.limits.maxFrame) {
      return Promise.reject(new RangeError(`request of ${body.length + REQUEST_OVERHEAD} bytes exceeds the device's ${this.limits.maxFrame}-byte frame`));
    }
    return new Promise<Reply>((resolve, reject) => {
      const seq = this.nextSeq;
      this.nextSeq = (seq + 1) & 0xffff;
      this.queue.push({
        seq, cmd, frame: encodeFrame(seq, cmd, body), budget: cobsMaxEncoded(options.replyBytes ?? SMALL_REPLY) + 2,
        slow: options.slow ?? false, firstTx: 0, lastTx: 0, sentAt: 0, firstSentAt: 0, sends: 0, deferred: false, deferrals: 0, resolve, reject,
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

  /**
   * Moves queued requests into flight while the window and the reply budget allow. The window
   * spans sequence numbers: nothing is sent `window` or more seqs past the oldest unanswered
   * one, so every seq in flight lies inside the device's receive window.
   */
  private pump(): void {
    while (this.queue.length > 0) {
      const p = this.queue[0];
      if (this.inflight.length > 0) {
        if (((p.seq - this.inflight[0].seq) & 0xffff) >= this.limits.window) break;
        const used = this.inflight.reduce((s, q) => s + q.budget, 0);
        if (used + p.budget > this.limits.replyBudget) break;
      }
      this.queue.shift();
      if (this.inflight.length === 0) this.lastHeard = this.clock.now(); // nothing was awaited until now
      this.inflight.push(p);
      this.send(p);
    }
    this.arm();
  }

  private send(p: Pending): void {
    if (p.sends++ > 0) this.stats.retransmissions++;
    p.lastTx = ++this.txCount;
    if (p.firstTx === 0) p.firstTx = p.lastTx;
    p.sentAt = this.clock.now();
    this.lineBytes += p.frame.length + 1;
    if (p.firstSentAt === 0) p.firstSentAt = p.sentAt;
    this.stats.framesSent++;
    // A leading delimiter flushes line noise that would otherwise be glued onto the frame.
    const bytes = new Uint8Array(p.frame.length + 1);
    bytes.set(p.frame, 1);
    this.stats.bytesSent += bytes.length;
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

  /**
   * How long the line may stay silent before the unanswered requests are sent again: a base
   * (a few measured round trips, at most timeoutMs), the wire time of the bytes in flight both
   * ways, and the compute time of one slow request if one is in flight (the device computes
   * one at a time and answers in between). It depends on what is in flight now only: never on
   * retries or on how many slow requests are queued.
   */
  private silenceMs(): number {
    return this.baseMs() + this.inFlightMs();
  }

  /** How long a reply normally takes: a few recent round trips, at most timeoutMs. */
  private baseMs(): number {
    return this.rtts.length < 4 ? this.timeoutMs : Math.min(this.timeoutMs, 20 + 3 * Math.max(...this.rtts));
  }

  /**
   * Wire time of the bytes in flight both ways, plus one compute time if a slow request is
   * among them: for the resend timer before the first resend (after it the device is either
   * done computing or not answering, so resends cost no more than the wire time in flight),
   * or after each one while the compute time is only a guess; always for giving up
   * (`patient`: the configured default for a command whose time is not known yet, so a first
   * long computation is never taken for a dead device).
   */
  private inFlightMs(patient = false): number {
    let bytes = 0;
    let compute = 0;
    for (const p of this.inflight) {
      bytes += p.frame.length + 1 + p.budget;
      if (p.slow && !p.deferred) { // a deferred one was answered "not yet": it is not computing
        const c = this.computeAllowance(p.cmd, patient);
        if (patient || this.silentRounds === 0 || c.guess) compute = Math.max(compute, c.ms);
      }
    }
    return bytes * this.msPerByte + compute;
  }

  /**
   * Twice the longest recent compute time of a command (see onFrame), plus 100 ms. For a
   * command not timed yet, a guess: the same over the commands timed, or before any a tenth of
   * the configured default (an early resend is cheap: the device answers it from its reply
   * cache); a guess is waited again after each resend, since the device may still be
   * computing. When `patient` (before giving up), the configured default for a command not
   * timed yet.
   */
  private computeAllowance(cmd: number, patient: boolean): { ms: number; guess: boolean } {
    const own = this.computeMs.get(cmd);
    if (own) return { ms: 2 * Math.max(...own) + 100, guess: false };
    if (patient) return { ms: this.initialComputeMs, guess: true };
    const seen = [...this.computeMs.values()].flat();
    return { ms: seen.length > 0 ? 2 * Math.max(...seen) + 100 : this.guessMs, guess: true };
  }

  private arm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inflight.length === 0) return;
    const due = Math.max(this.lastHeard, this.lastResend) + this.silenceMs();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.clock.now() >= Math.max(this.lastHeard, this.lastResend) + this.silenceMs()) this.onSilence();
      else this.arm();
    }, Math.max(1, due - this.clock.now()));
  }

  /** Nothing came back for too long: resend everything unanswered, or give up. */
  private onSilence(): void {
    if (this.inflight.length === 0) return;
    const silent = this.clock.now() - this.lastHeard;
    if (++this.silentRounds > this.maxRetries && silent > this.deadMs + this.inFlightMs(true)) {
      const head = this.inflight[0];
      const more = this.inflight.length - 1;
      const secs = ((this.clock.now() - this.lastHeard) / 1000).toFixed(1);
      this.needsSync = true;
      this.failAll(() => new ProtocolError(`no reply from the device for ${secs} s (command 0x${head.cmd.toString(16)} and ${more} more unanswered after ${this.maxRetries} resends)`, { timeout: true, resync: true }));
      return;
    }
    this.stats.silences++;
    this.lastResend = this.clock.now();
    for (const p of [...this.inflight]) { p.deferred = false; this.send(p); }
    this.arm();
  }

  private onFrame(f: DecodedFrame): void {
    if (!f.ok) {
      this.damaged();
      // A damaged reply: the device has that request, so ask for the reply again at once.
      const p = f.seq === undefined ? undefined : this.inflight.find((q) => q.seq === f.seq);
      if (p) { this.stats.nakResends++; this.send(p); }
      return;
    }
    if (f.cmd === NAK) this.damaged(); // whether or not its seq still names a request
    const i = this.inflight.findIndex((p) => p.seq === f.seq);
    if (i < 0) return; // duplicate or stale reply
    const p = this.inflight[i];
    if (f.cmd === NAK) { this.stats.nakResends++; this.send(p); return; } // the frame was damaged on its way: resend it
    if (f.cmd !== (p.cmd | REPLY_BIT) || f.body.length < 1) return;
    const status = (f.body[0] << 24) >> 24;
    const heardBefore = this.lastHeard;
    this.lastHeard = this.clock.now();
    this.silentRounds = 0;
    if (status === Status.E_NOSYNC) {
      this.needsSync = true;
      this.failAll(() => new ProtocolError("device restarted: its RAM state is gone", { deviceReset: true, resync: true, status }));
      return;
    }
    // The device takes frames in arrival order and answers in that order: whatever was sent
    // before this reply's request and is still unanswered was lost (frame or reply).
    // (For a request sent several times, which copy this reply answers is unknown: the first.)
    const sentBefore = p.sends === 1 ? p.lastTx : p.firstTx;
    for (const q of this.inflight) if (q !== p && !q.deferred && q.lastTx < sentBefore) { this.stats.gapResends++; this.send(q); }

    if (NOT_YET.has(status)) {
      // It waits for an earlier request (a command for the frames before it, batch data for
      // the command using the batch before it). With none left unanswered, this answer is a
      // late copy (a duplicated or delayed reply to an earlier transmission): send it again
      // now. A request the device keeps refusing fails with that status in the end.
      this.stats.deferrals++;
      if (++p.deferrals <= 16 * this.limits.window) {
        if (i > 0) { p.deferred = true; this.arm(); } else { this.send(p); }
        return;
      }
    }
    this.inflight.splice(i, 1);
    if (!p.slow && p.sends === 1 && p.deferrals === 0) {
      this.rtts.push(this.clock.now() - p.sentAt);
      if (this.rtts.length > 16) this.rtts.shift();
    }
    // The device's compute time, learned only from a request answered on its one and only
    // transmission (Karn's rule): the time of a resent one holds the silence the link waited
    // before resending (learning it fed each wait into the next allowance, doubling it with
    // every lost reply), or is too short (the reply answers an earlier copy). Counted from the
    // send, or from when the device was last heard from if later: it answers in order, and
    // the time before that went to the requests before this one.
    if (p.slow && p.sends === 1 && p.deferrals === 0) {
      const seen = this.computeMs.get(p.cmd) ?? [];
      seen.push(this.lastHeard - Math.max(p.sentAt, heardBefore));
      if (seen.length > 8) seen.shift();
      this.computeMs.set(p.cmd, seen);
    } else if (p.slow && this.computeMs.size === 0 && this.lastHeard - p.sentAt > this.baseMs()) {
      // Resent while the device was still computing (the reply came long after the resend)
      // and nothing is timed yet: the first guess was too short.
      this.guessMs = Math.min(2 * this.guessMs, this.initialComputeMs);
    }

    // A request done may be what a deferred later one waited for: send those again (batch
    // data waits for a command only; a command for anything before it).
    if (!NOT_YET.has(status)) {
      for (const q of this.inflight.slice(i)) {
        if (q.deferred && (!DATA.has(q.cmd) || !DATA.has(p.cmd))) { q.deferred = false; this.send(q); }
      }
    }
    p.resolve({ status, body: f.body.subarray(1) });
    this.pump();
  }

  private failAll(err: () => Error): void {
    const all = [...this.inflight, ...this.queue];
    this.inflight.length = 0;
    this.queue.length = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of all) p.reject(err());
  }
}
