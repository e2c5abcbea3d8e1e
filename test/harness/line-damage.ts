// A seeded model of a bad serial line, one direction: bit errors, lost bytes, lost and
// duplicated chunks, stalls and noise bursts. The byte stream is cut into chunks of at most
// `chunk` bytes (a UART FIFO's or a USB packet's worth); chunk faults hit whole chunks.
// Used by the noisy proxy process (noisy-proxy.ts) that tests and bench:link put between
// `fewmul train` and `fewmul emulate`.
import { prng } from "../../host/transports/faulty.ts";

export interface DamageOptions {
  /** Probability per bit of a flip. */
  ber?: number;
  /** Probability per byte of being lost. */
  byteDrop?: number;
  /** Probability per chunk of being lost whole. */
  chunkDrop?: number;
  /** Probability per chunk of being delivered twice. */
  chunkDup?: number;
  /** Probability per chunk of the line stalling `stallMs` before it. */
  stall?: number;
  stallMs?: number;
  /** Probability per chunk of a noise burst: `burstLen` consecutive bytes replaced by random ones. */
  burst?: number;
  burstLen?: number;
  /** Largest chunk, bytes (default 256). */
  chunk?: number;
}

export interface DamageCounts {
  bytesIn: number; bytesOut: number; flips: number; bytesDropped: number;
  chunksDropped: number; chunksDuplicated: number; stalls: number; bursts: number;
}

export const DAMAGE_KEYS = ["ber", "byteDrop", "chunkDrop", "chunkDup", "stall", "stallMs", "burst", "burstLen", "chunk"] as const;

/** Events of probability p per trial: trials until the next one (geometric), Infinity for p = 0. */
function gap(p: number, r: () => number): number {
  if (p <= 0) return Infinity;
  if (p >= 1) return 0;
  return Math.floor(Math.log(1 - r()) / Math.log(1 - p));
}

export interface Piece { bytes: Uint8Array; stallMs: number }

export class LineDamage {
  readonly counts: DamageCounts = { bytesIn: 0, bytesOut: 0, flips: 0, bytesDropped: 0, chunksDropped: 0, chunksDuplicated: 0, stalls: 0, bursts: 0 };
  private readonly o: Required<DamageOptions>;
  private readonly r: () => number;
  private bitsToFlip: number;
  private bytesToDrop: number;

  constructor(options: DamageOptions, seed: number) {
    this.o = { ber: 0, byteDrop: 0, chunkDrop: 0, chunkDup: 0, stall: 0, stallMs: 50, burst: 0, burstLen: 16, chunk: 256, ...options };
    for (const k of DAMAGE_KEYS) {
      const v = this.o[k];
      if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`line damage: ${k} must be a non-negative number, got ${v}`);
    }
    this.r = prng(seed);
    this.bitsToFlip = gap(this.o.ber, this.r);
    this.bytesToDrop = gap(this.o.byteDrop, this.r);
  }

  /** What the line delivers for `data`: pieces in order, each after an optional stall. */
  pass(data: Uint8Array): Piece[] {
    const o = this.o, r = this.r, c = this.counts;
    c.bytesIn += data.length;
    const out: Piece[] = [];
    for (let at = 0; at < data.length; at += o.chunk) {
      const chunk = Uint8Array.from(data.subarray(at, at + o.chunk));
      const stallMs = o.stall > 0 && r() < o.stall ? (c.stalls++, o.stallMs) : 0;
      if (o.chunkDrop > 0 && r() < o.chunkDrop) { c.chunksDropped++; if (stallMs) out.push({ bytes: new Uint8Array(0), stallMs }); continue; }
      if (o.burst > 0 && r() < o.burst) {
        c.bursts++;
        const from = Math.floor(r() * chunk.length);
        for (let i = from; i < Math.min(chunk.length, from + o.burstLen); i++) chunk[i] = Math.floor(r() * 256);
      }
      const kept: number[] = [];
      for (let i = 0; i < chunk.length; i++) {
        let b = chunk[i];
        // bit errors: skip whole bytes while the next flip is further away
        while (this.bitsToFlip < 8) {
          b ^= 1 << this.bitsToFlip;
          c.flips++;
          this.bitsToFlip += 1 + gap(o.ber, r);
        }
        this.bitsToFlip -= 8;
        if (this.bytesToDrop === 0) { c.bytesDropped++; this.bytesToDrop = gap(o.byteDrop, r); continue; }
        this.bytesToDrop--;
        kept.push(b);
      }
      const bytes = Uint8Array.from(kept);
      out.push({ bytes, stallMs });
      if (o.chunkDup > 0 && r() < o.chunkDup) { c.chunksDuplicated++; out.push({ bytes, stallMs: 0 }); }
    }
    for (const p of out) c.bytesOut += p.bytes.length;
    return out;
  }
}
