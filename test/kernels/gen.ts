/**
 * Seeded test data (independent of the xorshift128 under test): sfc32, plus builders for
 * MNIST-like pixels, latent weights with edge values, hidden activations and errors.
 */
export class Gen {
  private a: number; private b: number; private c: number; private d: number;

  constructor(seed: number) {
    this.a = 0x9E3779B9; this.b = 0x243F6A88; this.c = 0xB7E15162; this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** sfc32 (Chris Doty-Humphrey's small fast counting RNG). */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  real(): number { return this.u32() / 2 ** 32; }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number { return lo + Math.floor(this.real() * (hi - lo + 1)); }

  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.real() * xs.length)]; }

  /** MNIST-like uint8 pixels: mostly 0, some 255, the rest anywhere in 1..254. */
  pixels(n: number, zeros = 0.8): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const r = this.real();
      out[i] = r < zeros ? 0 : r < zeros + (1 - zeros) / 3 ? 255 : this.int(1, 254);
    }
    return out;
  }

  /** Hidden activations: 0 and 255 (masked in backprop) mixed with 1..254, small values common. */
  activations(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const r = this.real();
      out[i] = r < 0.3 ? 0 : r < 0.4 ? 255 : r < 0.7 ? this.int(1, 15) : this.int(1, 254);
    }
    return out;
  }

  /** Latent weights in [-2^14, 2^14] with the edges ±2^14, ±2^13, 0, ±1 over-represented. */
  weights(n: number): Int16Array {
    const edges = [16384, -16384, 8192, -8192, 8193, -8193, 0, 1, -1, 16383, -16383];
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = this.real() < 0.15 ? this.pick(edges) : this.int(-16384, 16384);
    return out;
  }

  /** Errors below 2^bits in magnitude (both signs, some zeros and extremes). */
  deltas(n: number, bits = 14): Int32Array {
    const max = 2 ** bits - 1;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const r = this.real();
      out[i] = r < 0.1 ? 0 : r < 0.15 ? this.pick([max, -max]) : this.int(-max, max);
    }
    return out;
  }
}

/**
 * A toy translation task for conv nets: 1x8x8 noise images with a brighter 2x2 block in one
 * quadrant, which is the label (0..3).
 */
export function quadrants(gen: Gen, count: number): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const q = gen.int(0, 3);
    labels[i] = q;
    const y0 = (q >> 1) * 4 + gen.int(0, 2), x0 = (q & 1) * 4 + gen.int(0, 2);
    for (let p = 0; p < 64; p++) images[i * 64 + p] = gen.int(0, 120);
    for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) images[i * 64 + (y0 + dy) * 8 + x0 + dx] = gen.int(100, 160);
  }
  return { images, labels };
}
