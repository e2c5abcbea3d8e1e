// Fault injection around any transport, for tests: bit errors, dropped, duplicated and
// stalled frames in both directions, and device resets between frames. All draws come from
// a seeded PRNG, so a failing seed can be replayed (timers still interleave as they will).
import { TransportBase } from "./plumbing.ts";
import { canceledError, isResettable, type Transport } from "./transport.ts";

export interface FaultOptions {
  /** PRNG seed (any 32-bit integer). */
  seed: number;
  /** Probability that a byte gets one bit flipped. */
  bitErrorRate?: number;
  /** Probability that a frame is dropped. */
  dropRate?: number;
  /** Probability that a frame is delivered twice. */
  duplicateRate?: number;
  /** Probability that a frame (and everything behind it on the line) is held back. */
  stallRate?: number;
  /** How long a stall lasts, ms (default 50). */
  stallMs?: number;
  /** Probability, per host frame, that the device resets just before receiving it. */
  resetRate?: number;
  /** Restarts the device; default: the inner transport's reset(), if it has one. */
  reset?: () => Promise<void>;
}

export interface FaultCounts { flips: number; drops: number; duplicates: number; stalls: number; resets: number }

const RATES = ["bitErrorRate", "dropRate", "duplicateRate", "stallRate", "resetRate"] as const;
const KNOWN = new Set<string>([...RATES, "seed", "stallMs", "reset"]);

/** Mulberry32: small, fast, good enough to scatter faults (also test/harness/line-damage.ts). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Cuts a byte stream into 0x00-terminated frames, keeping the unfinished tail. */
class Splitter {
  private tail: number[] = [];
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (const b of chunk) {
      this.tail.push(b);
      if (b === 0) { frames.push(Uint8Array.from(this.tail)); this.tail = []; }
    }
    return frames;
  }
}

export class FaultyTransport extends TransportBase {
  readonly counts: FaultCounts = { flips: 0, drops: 0, duplicates: 0, stalls: 0, resets: 0 };
  private readonly random: () => number;
  private readonly opts: Required<Omit<FaultOptions, "reset">>;
  private readonly resetDevice: (() => Promise<void>) | undefined;
  private readonly fromHost = new Splitter();
  private readonly fromDevice = new Splitter();
  /** Each direction is a chain, so stalls delay but never reorder (a wire keeps order). */
  private upstream: Promise<void> = Promise.resolve();
  private downstream: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(private readonly inner: Transport, options: FaultOptions) {
    super();
    for (const key of Object.keys(options)) {
      if (!KNOWN.has(key)) throw new TypeError(`FaultyTransport: unknown option "${key}"`);
    }
    if (!Number.isInteger(options.seed)) throw new TypeError(`FaultyTransport: option "seed" must be an integer, got ${options.seed}`);
    for (const k of RATES) {
      const v = options[k] ?? 0;
      if (!(v >= 0 && v <= 1)) throw new TypeError(`FaultyTransport: option "${k}" must be in [0, 1], got ${v}`);
    }
    this.opts = {
      seed: options.seed, bitErrorRate: 0, dropRate: 0, duplicateRate: 0, stallRate: 0, resetRate: 0,
      stallMs: 50, ...Object.fromEntries(Object.entries(options).filter(([k]) => k !== "reset")),
    };
    this.random = prng(options.seed);
    this.resetDevice = options.reset ?? (isResettable(inner) ? () => inner.reset() : undefined);
    if (this.opts.resetRate > 0 && !this.resetDevice) {
      throw new TypeError(`FaultyTransport: option "resetRate" needs a resettable transport or a "reset" option`);
    }
    this.unsubscribe = inner.onData((chunk) => {
      for (const frame of this.fromDevice.push(chunk)) {
        this.downstream = this.downstream.then(() => this.pass(frame, async (f) => this.listeners.emit(f), false));
      }
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(canceledError("write"));
    for (const frame of this.fromHost.push(bytes)) {
      this.upstream = this.upstream.then(() => this.pass(frame, (f) => this.inner.write(f), true));
    }
    const done = this.upstream;
    return done.then(() => { if (this.closed) throw canceledError("write"); });
  }

  protected async release(): Promise<void> {
    this.unsubscribe();
    await this.inner.close();
  }

  /** Sends one frame through the fault model. */
  private async pass(frame: Uint8Array, send: (f: Uint8Array) => Promise<void>, toDevice: boolean): Promise<void> {
    if (this.closed) return;
    const o = this.opts;
    const r = this.random;
    const whole = frame.length > 1; // a bare delimiter is line idle: it only suffers bit errors
    if (whole && o.stallRate > 0 && r() < o.stallRate) {
      this.counts.stalls++;
      await new Promise((res) => setTimeout(res, o.stallMs));
    }
    if (whole && toDevice && o.resetRate > 0 && r() < o.resetRate) {
      this.counts.resets++;
      await this.resetDevice!().catch(() => {}); // a closed device simply stays silent
    }
    if (whole && o.dropRate > 0 && r() < o.dropRate) { this.counts.drops++; return; }
    const copies = whole && o.duplicateRate > 0 && r() < o.duplicateRate ? 2 : 1;
    if (copies === 2) this.counts.duplicates++;
    for (let c = 0; c < copies; c++) {
      const out = Uint8Array.from(frame);
      if (o.bitErrorRate > 0) {
        for (let i = 0; i < out.length; i++) {
          if (r() < o.bitErrorRate) { out[i] ^= 1 << Math.floor(r() * 8); this.counts.flips++; }
        }
      }
      if (this.closed) return;
      await send(out).catch(() => {}); // the wire does not report loss; the session's timers do
    }
  }
}
