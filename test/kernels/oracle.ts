/**
 * A plain TypeScript reading of docs/model-format.md, kernel by kernel, written from the
 * document and not from assembly/: nested loops with real indices, arithmetic on JS numbers
 * (exact up to 2^53) with floor division for the document's arithmetic right shifts, and a
 * check that every quantity the document stores as int32 fits. Layouts (row-major
 * [batch][n], packed rows) follow the comments at the top of the kernel sources.
 *
 * Conventions:
 *  - `shr(v, n)` is the document's arithmetic right shift `v >> n` = floor(v / 2^n); a negative
 *    count is read as the left shift it stands for (v · 2^-n), which only matters for the
 *    sampling thresholds at randbits = 16.
 *  - weights s_ij are -1 / 0 / +1 in `s[i][j]` (i = input, j = output).
 */

export const WEIGHT_ONE = 2 ** 14;
export const HIDDEN_F = 4;
export const OUTPUT_F = 8;
export const DELTA_LIMIT = 2 ** 14;
export const BC = 0;
export const TC = 1;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The value, after checking it is an int32 as the document says (the test input stayed in range). */
export function i32(v: number, what = "value"): number {
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw new RangeError(`${what} ${v} is not an int32`);
  return v;
}

/** sround's range: its input, the weight gradient's sums, and its saturated left shifts. */
export const SUM_MAX = 2 ** 30 - 1;

/** v clamped to ±limit. */
export function saturate(v: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, v));
}

/** Arithmetic right shift v >> n as floor division (n < 0: multiplication by 2^-n). */
export function shr(v: number, n: number): number {
  return Math.floor(v / 2 ** n);
}

/** floor(log2 x) for an integer x >= 1, by counting. */
export function floorLog2(x: number): number {
  let f = 0;
  while (2 ** (f + 1) <= x) f++;
  return f;
}

/** Bit number `bit` of a non-negative integer. */
export function bitOf(v: number, bit: number): number {
  return Math.floor(v / 2 ** bit) % 2;
}

// ---------------------------------------------------------------------------------------------
// PRNG: xorshift128 and its three streams

/** Marsaglia's xorshift128 on four uint32 words (held as JS numbers in [0, 2^32)). */
export class Xorshift128 {
  x = 0; y = 0; z = 0; w = 0;

  /** Seeded from 64 bits (lo, hi) as in the document, 16 outputs discarded. */
  seed(lo: number, hi: number): void {
    this.x = (lo ^ 0x9E3779B9) >>> 0;
    this.y = (hi ^ 0x243F6A88) >>> 0;
    this.z = (~lo ^ 0xB7E15162) >>> 0;
    this.w = (~hi ^ 0x85A308D3) >>> 0;
    for (let i = 0; i < 16; i++) this.next();
  }

  load(words: number[]): void {
    [this.x, this.y, this.z, this.w] = words.map((v) => v >>> 0);
  }

  state(): number[] { return [this.x, this.y, this.z, this.w]; }

  /** t = x ^ (x << 11); x = y; y = z; z = w; w ^= (w >>> 19) ^ t ^ (t >>> 8). */
  next(): number {
    const t = (this.x ^ (this.x << 11)) >>> 0;
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ t ^ (t >>> 8)) >>> 0;
    return this.w;
  }
}

/** Splits a fresh word into 32/bits fields, lowest bits first. */
function cut(word: number, bits: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < 32 / bits; k++) out.push(Math.floor(word / 2 ** (k * bits)) % 2 ** bits);
  return out;
}

/** The generator with its three streams: fields (sampling), bytes (QBP), halves (rounding). */
export class Rng {
  gen = new Xorshift128();
  fieldBits = 8;
  private fields: number[] = [];
  private bytes: number[] = [];
  private halves: number[] = [];

  /** Like the module's rng_seed: seeds and empties all three streams (field width unchanged). */
  seed(lo: number, hi: number): this {
    this.gen.seed(lo, hi);
    this.resetStreams();
    return this;
  }

  /** Like rng_load: sets the four words and empties the streams. */
  load(words: number[]): this {
    this.gen.load(words);
    this.resetStreams();
    return this;
  }

  /** Like rng_field_bits: sets the field width and empties the field stream. */
  setFieldBits(bits: number): this {
    this.fieldBits = bits;
    this.fields = [];
    return this;
  }

  resetStreams(): void {
    this.fields = [];
    this.bytes = [];
    this.halves = [];
  }

  next(): number { return this.gen.next(); }

  field(): number {
    if (this.fields.length === 0) this.fields = cut(this.gen.next(), this.fieldBits);
    return this.fields.shift()!;
  }

  byte(): number {
    if (this.bytes.length === 0) this.bytes = cut(this.gen.next(), 8);
    return this.bytes.shift()!;
  }

  half(): number {
    if (this.halves.length === 0) this.halves = cut(this.gen.next(), 16);
    return this.halves.shift()!;
  }
}

/** An Rng whose generator and field width match what the test will set in the module. */
export function rngFor(lo: number, hi: number, fieldBits = 8): Rng {
  return new Rng().setFieldBits(fieldBits).seed(lo, hi);
}

// ---------------------------------------------------------------------------------------------
// Sampling (step 2)

/** One row of stochastic weights: one field per weight, j = 0..n-1. */
export function sampleRow(rng: Rng, w: ArrayLike<number>, mode: number): number[] {
  const bits = rng.fieldBits;
  const s: number[] = [];
  for (let j = 0; j < w.length; j++) {
    const f = rng.field();
    if (mode === BC) {
      // +1 if field < (w + 2^14) >> (15 - randbits) else -1
      s.push(f < shr(w[j] + WEIGHT_ONE, 15 - bits) ? 1 : -1);
    } else {
      // sign(w) if field < |w| >> (14 - randbits) else 0
      s.push(f < shr(Math.abs(w[j]), 14 - bits) ? Math.sign(w[j]) : 0);
    }
  }
  return s;
}

/** Deterministic weights: BC +1 iff w >= 0; TC sign(w) iff |w| > 2^13. */
export function signRow(w: ArrayLike<number>, mode: number): number[] {
  const s: number[] = [];
  for (let j = 0; j < w.length; j++) {
    if (mode === BC) s.push(w[j] >= 0 ? 1 : -1);
    else s.push(Math.abs(w[j]) > 2 ** 13 ? Math.sign(w[j]) : 0);
  }
  return s;
}

export function wordsFor(n: number): number { return Math.ceil(n / 32); }

/** Packs one row: `pos` bit j = (s_j == +1), `neg` bit j = (s_j == -1), bit j in word floor(j/32). */
export function packRow(s: number[]): { pos: number[]; neg: number[] } {
  const pos = new Array(wordsFor(s.length)).fill(0);
  const neg = new Array(wordsFor(s.length)).fill(0);
  for (let j = 0; j < s.length; j++) {
    const word = Math.floor(j / 32);
    const bit = 2 ** (j % 32);
    if (s[j] === 1) pos[word] += bit;
    if (s[j] === -1) neg[word] += bit;
  }
  return { pos, neg };
}

/** The kept rows of a forward pass: per input row, its pos words, then (TC) its neg words. */
export function packRows(s: number[][], mode: number): Uint32Array {
  const out: number[] = [];
  for (const row of s) {
    const { pos, neg } = packRow(row);
    out.push(...pos);
    if (mode === TC) out.push(...neg);
  }
  return Uint32Array.from(out);
}

/** Row i of a [rows][cols] matrix stored row-major. */
export function row<T extends ArrayLike<number>>(a: T, i: number, cols: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < cols; j++) out.push(a[i * cols + j]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Forward and error backprop through the sampled weights (steps 3 and 6)

/**
 * z[b][j] = sum_i s_ij · x[b][i], with the rows drawn input by input (stochastic: from `rng`).
 * Returns z [batch][nOut] and the sampled matrix s [nIn][nOut].
 */
export function denseForward(
  rng: Rng | null, x: ArrayLike<number>, nIn: number, batch: number, w: ArrayLike<number>, nOut: number,
  mode: number, stochastic: boolean,
): { z: Int32Array; s: number[][] } {
  const s: number[][] = [];
  for (let i = 0; i < nIn; i++) {
    // An input that is zero in every sample: its row is not drawn (all-zero, no randoms).
    let used = false;
    for (let b = 0; b < batch; b++) if (x[b * nIn + i] !== 0) used = true;
    const wi = row(w, i, nOut);
    s.push(!used ? new Array(nOut).fill(0) : stochastic ? sampleRow(rng!, wi, mode) : signRow(wi, mode));
  }
  const z = new Int32Array(batch * nOut);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < nOut; j++) {
      let sum = 0;
      for (let i = 0; i < nIn; i++) sum += s[i][j] * x[b * nIn + i];
      z[b * nOut + j] = i32(sum, "z");
    }
  }
  return { z, s };
}

/** d'[b][i] = sum_j s_ij d[b][j], 0 where the previous layer's activation is 0 or 255. */
export function denseBackward(
  d: ArrayLike<number>, nOut: number, batch: number, s: number[][], nIn: number, act: ArrayLike<number>,
): Int32Array {
  const out = new Int32Array(batch * nIn);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < nIn; i++) {
      const a = act[b * nIn + i];
      if (a === 0 || a === 255) continue;
      let sum = 0;
      for (let j = 0; j < nOut; j++) sum += s[i][j] * d[b * nOut + j];
      out[b * nIn + i] = i32(sum, "d'");
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Normalisation (step 4) and its backward pass (step 6)

/** k = nearest integer to log2(1.25·spread): v = spread + spread>>2; f = floor(log2 v); k = f + bit f-1 of v; 0 if v <= 1. */
/**
 * The unit's scale M · 2^-k ~ 1/(1.25·spread), packed k | M << 8: v = spread + spread>>2;
 * v <= 1: k = 4, M = 16; else f = floor(log2 v), t = the 3 bits of v below its leading one,
 * M = nibble t of 0x899ABCDF, k = f + 4.
 */
export function unitScale(spread: number): number {
  const v = spread + shr(spread, 2);
  if (v <= 1) return 4 | (16 << 8);
  const f = floorLog2(v);
  const t = Math.floor(v * 2 ** (3 - f)) % 8;
  const M = Math.floor(0x899abcdf / 16 ** t) % 16;
  return (f + 4) | (M << 8);
}

/** v · 2^s, for s < 0 rounded by adding half before the arithmetic right shift. */
export function roundShift(v: number, s: number): number {
  if (s >= 0) return v * 2 ** s;
  return shr(v + 2 ** (-s - 1), -s);
}

/** A running mean's step v · 2^-r rounded half up: (v + 2^(r-1)) >> r, and v itself for r = 0. */
/** Biases keep 8 bits below the output's units; β = (bias + 2^7) >> 8 is what the forward adds (step 4). */
export const BIAS_EXTRA = 8;
export function biasValue(stored: number): number {
  return shr(stored + 2 ** (BIAS_EXTRA - 1), BIAS_EXTRA);
}

/** Running means and spreads keep 8 bits below z's units; the normalisation uses them rounded (step 4). */
export const STAT_EXTRA = 8;
export function statValue(stored: number): number {
  return shr(stored + 2 ** (STAT_EXTRA - 1), STAT_EXTRA);
}

export function towards(v: number, r: number): number {
  return r === 0 ? v : shr(v + 2 ** (r - 1), r);
}

export interface NormForwardOut {
  /** Hidden: uint8 activations [batch][n]; output: int32 scores [batch][n]. */
  y: Uint8Array | Int32Array;
  k: Int32Array;
  runMean: Int32Array;
  runSpread: Int32Array;
}

export function normForward(
  z: ArrayLike<number>, n: number, batch: number, log2Batch: number, F: number,
  bias: ArrayLike<number>, runMean: ArrayLike<number>, runSpread: ArrayLike<number>,
  training: boolean, first: boolean, hidden: boolean, online = -1, statShift = 4,
): NormForwardOut {
  const out: NormForwardOut = {
    y: hidden ? new Uint8Array(batch * n) : new Int32Array(batch * n),
    k: new Int32Array(n),
    runMean: Int32Array.from(runMean),
    runSpread: Int32Array.from(runSpread),
  };
  for (let j = 0; j < n; j++) {
    let mean: number, spread: number;
    if (training && online >= 0) {
      // Online (step 4): spread about the running mean before the step; both move by 2^-R.
      let sum = 0, dev = 0;
      const before = statValue(runMean[j]);
      for (let b = 0; b < batch; b++) {
        sum += z[b * n + j];
        dev += Math.abs(z[b * n + j] - before);
      }
      const fine = (v: number) => i32(v * 2 ** STAT_EXTRA, "statistic << 8");
      out.runMean[j] = i32(runMean[j] + towards(fine(shr(i32(sum, "sum z"), log2Batch)) - runMean[j], online), "running mean");
      out.runSpread[j] = i32(runSpread[j] + towards(fine(shr(i32(dev, "sum |z - rm|"), log2Batch)) - runSpread[j], online), "running spread");
      mean = statValue(out.runMean[j]);
      spread = statValue(out.runSpread[j]);
    } else if (training) {
      let sum = 0;
      for (let b = 0; b < batch; b++) sum += z[b * n + j];
      mean = shr(i32(sum, "sum z"), log2Batch);
      let dev = 0;
      for (let b = 0; b < batch; b++) dev += Math.abs(z[b * n + j] - mean);
      spread = shr(i32(dev, "sum |z - mean|"), log2Batch);
      const m8 = i32(mean * 2 ** STAT_EXTRA, "mean << 8"), s8 = i32(spread * 2 ** STAT_EXTRA, "spread << 8");
      if (first) {
        out.runMean[j] = m8;
        out.runSpread[j] = s8;
      } else {
        out.runMean[j] = i32(runMean[j] + towards(m8 - runMean[j], statShift), "running mean");
        out.runSpread[j] = i32(runSpread[j] + towards(s8 - runSpread[j], statShift), "running spread");
      }
    } else {
      mean = statValue(runMean[j]);
      spread = statValue(runSpread[j]);
    }
    const scale = unitScale(spread);
    out.k[j] = scale;
    const k = scale & 255, M = scale >> 8;
    for (let b = 0; b < batch; b++) {
      const y = i32(roundShift(i32((z[b * n + j] - mean) * M, "(z - mean) · M"), F - k) + biasValue(bias[j]), "y");
      out.y[b * n + j] = hidden ? Math.min(255, Math.max(0, y)) : y;
    }
  }
  return out;
}

/** Stochastic rounding sround(v, s) (step 8). */
export function sround(rng: Rng, v: number, s: number): number {
  if (v === 0) return 0;
  if (s >= 0) return saturate(v * 2 ** s, SUM_MAX);
  let r = -s;
  if (r > 30) { // two unbiased stages
    v = sround(rng, v, 30 - r);
    r = 30;
    if (v === 0) return 0;
  }
  const h = rng.half();
  const dither = r <= 16 ? shr(h, 16 - r) : h * 2 ** (r - 16);
  return shr(v + dither, r);
}

export interface NormBackwardOut {
  d: Int32Array;
  bias: Int32Array;
  exponent: number;
  /** Online: the running error mean gm, projection gc and their exponent E after the step. */
  gm?: Int32Array;
  gc?: Int32Array;
  gExp?: number;
}

const CAP = 2 ** 26 - 1;
const sat = (v: bigint): bigint => (v > BigInt(CAP) ? BigInt(CAP) : v < BigInt(-CAP) ? BigInt(-CAP) : v);

/** align(g, t) of step 6: a stored running mean moved by 2^t (t > 0 saturating, t < 0 floor). */
export function align(g: number, t: number): number {
  if (t <= 0) return t < -31 ? (g < 0 ? -1 : 0) : shr(g, -t);
  if (t > 26) return g === 0 ? 0 : g > 0 ? CAP : -CAP;
  return saturate(g * 2 ** t, CAP);
}

/** floor(a / 2^n) for a BigInt a (the document's arithmetic right shift on 64-bit sums). */
function shrBig(a: bigint, n: number): bigint {
  return a >> BigInt(n);
}

/**
 * Per unit j (ascending): x̂ = out[b][j] - β_j (β = biasValue of the bias before its step); bias -= sround(
 * sum_b d, e + F + 8 - s - b); mean = sum_b d >> b; c = (sum_b d·x̂) >> b; S = sum_b sign(x̂);
 * g = c + (c >> 2), gs = (g·S) >> b; v = d - mean - t with t = (g - gs + 2^(F-1)) >> F for
 * x̂ > 0, (2^(F-1) - g - gs) >> F for x̂ < 0, (2^(F-1) - gs) >> F for x̂ = 0; online: v = d -
 * gm - ((x̂·gc + 2^(F-1)) >> F); saturated at ±(2^26 - 1). Then d <- v · M_j · 2^(kmax - k_j - r)
 * rounded half up, with the smallest r >= 0 for which every |v · M_j · 2^(kmax - k_j - r)| <
 * 2^14 (before rounding); e <- e - kmax + r. `out` is read as given (uint8 activations or
 * int32 scores alike).
 */
export function normBackward(
  rng: Rng, d: ArrayLike<number>, n: number, batch: number, log2Batch: number, k: ArrayLike<number>,
  bias: ArrayLike<number>, exponent: number, F: number, lrShift: number, out: ArrayLike<number>,
  online?: { R: number; gm: ArrayLike<number>; gc: ArrayLike<number>; gExp: number },
): NormBackwardOut {
  const kk = Array.from(k, (v) => v & 255), mm = Array.from(k, (v) => v >> 8);
  let kmax = kk[0];
  for (let j = 0; j < n; j++) kmax = Math.max(kmax, kk[j]);
  const res: NormBackwardOut = { d: new Int32Array(batch * n), bias: Int32Array.from(bias), exponent: 0 };
  const v = new Array<number>(batch * n).fill(0);
  const cap = CAP;
  const shiftBy = online && online.R > 0 ? online.gExp - exponent : 0;
  if (online) {
    res.gm = new Int32Array(n);
    res.gc = new Int32Array(n);
    res.gExp = exponent;
  }
  for (let j = 0; j < n; j++) {
    let sum = 0, signs = 0;
    let c = 0n;
    const beta = biasValue(bias[j]);
    for (let b = 0; b < batch; b++) {
      sum += d[b * n + j];
      c += BigInt(d[b * n + j]) * BigInt(out[b * n + j] - beta);
      signs += Math.sign(out[b * n + j] - beta);
    }
    i32(sum, "sum d");
    res.bias[j] = i32(bias[j] - sround(rng, sum, exponent + F + BIAS_EXTRA - lrShift - log2Batch), "bias");
    let mean = shr(sum, log2Batch);
    c = shrBig(c, log2Batch);
    if (online) {
      let gm = align(online.gm[j], shiftBy), gc = align(online.gc[j], shiftBy);
      gm = i32(gm + towards(mean - gm, online.R), "gm");
      gc = i32(gc + towards(Number(sat(shrBig(c, F))) - gc, online.R), "gc");
      res.gm![j] = gm;
      res.gc![j] = gc;
      mean = gm;
      c = BigInt(gc);
    }
    const half = 1n << BigInt(F - 1);
    const g = c + shrBig(c, 2);
    const gs = shrBig(g * BigInt(signs), log2Batch);
    const t = (x: bigint) => (x > 0n ? shrBig(g - gs + half, F) : x < 0n ? shrBig(half - g - gs, F) : shrBig(half - gs, F));
    for (let b = 0; b < batch; b++) {
      const xh = BigInt(out[b * n + j] - beta);
      const corr = online ? shrBig(xh * c + half, F) : t(xh);
      const w = BigInt(d[b * n + j] - mean) - corr;
      v[b * n + j] = Number(w > BigInt(cap) ? BigInt(cap) : w < BigInt(-cap) ? BigInt(-cap) : w);
    }
  }
  let r = 0;
  for (;;) {
    let fits = true;
    for (let j = 0; j < n; j++) {
      for (let b = 0; b < batch; b++) {
        if (Math.abs(v[b * n + j]) * mm[j] * 2 ** (kmax - kk[j] - r) >= DELTA_LIMIT) fits = false;
      }
    }
    if (fits) break;
    r++;
  }
  for (let j = 0; j < n; j++) {
    for (let b = 0; b < batch; b++) {
      res.d[b * n + j] = i32(roundShift(i32(v[b * n + j] * mm[j], "v · M"), kmax - kk[j] - r), "d");
    }
  }
  res.exponent = exponent - kmax + r;
  return res;
}

// ---------------------------------------------------------------------------------------------
// Loss (step 5)

/** Gradient g = -2·t·margin where margin = 2^8 - t·y > 0, else 0; t = +1 at the label. */
export function hingeBackward(y: ArrayLike<number>, labels: ArrayLike<number>, n: number, batch: number): {
  g: Int32Array; margins2: number; lossDoc: number;
} {
  const g = new Int32Array(batch * n);
  let squares = 0;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < n; j++) {
      const t = j === labels[b] ? 1 : -1;
      const margin = 256 - t * y[b * n + j];
      if (margin > 0) {
        g[b * n + j] = i32(-2 * t * margin, "g");
        squares += margin * margin;
      }
    }
  }
  if (squares > Number.MAX_SAFE_INTEGER) throw new RangeError("loss sum beyond 2^53");
  // "Loss reported as Σ margin² >> 8"
  return { g, margins2: squares, lossDoc: shr(squares, 8) };
}

/** Σ (margin² >> 8): the per-term reading of the loss formula. */
export function lossPerTerm(y: ArrayLike<number>, labels: ArrayLike<number>, n: number, batch: number): number {
  let sum = 0;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < n; j++) {
      const t = j === labels[b] ? 1 : -1;
      const margin = 256 - t * y[b * n + j];
      if (margin > 0) sum += shr(margin * margin, 8);
    }
  }
  return sum;
}

/** Samples whose highest score (first index on ties) is their label. */
export function countCorrect(y: ArrayLike<number>, labels: ArrayLike<number>, n: number, batch: number): number {
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let j = 1; j < n; j++) if (y[b * n + j] > y[b * n + best]) best = j;
    if (best === labels[b]) correct++;
  }
  return correct;
}

// ---------------------------------------------------------------------------------------------
// QBP (step 7) and the weight update (step 6)

/** Exponent e of Q(x) = 2^e for x >= 1, or -1 for Q(x) = 0. */
export function quantizeExponent(rng: Rng, x: number, lo: number, hi: number): number {
  const f = floorLog2(x);
  if (f >= hi) return hi;
  if (f < lo) return shr(rng.byte(), 8 - lo) < x ? lo : -1;
  if (f === 0) return 0;
  return shr(rng.byte(), 8 - f) < x - 2 ** f ? f + 1 : f;
}

/**
 * Input row by input row: acc_j = sum_b d[b][j] · 2^(q[b][i] - lo) (QBP, zero inputs skipped)
 * or sum_b d[b][j] · x[b][i] (exact), saturated at ±(2^30 - 1); then w_ij -= sround(acc_j, shift),
 * clipped to ±2^14. `batch`: the rows (a conv layer's patch rows).
 * Returns the new weights [nIn][nOut].
 */
export function denseUpdate(
  rng: Rng, x: ArrayLike<number>, nIn: number, batch: number, d: ArrayLike<number>, nOut: number,
  w: ArrayLike<number>, qbp: boolean, lo: number, hi: number, shift: number,
): Int16Array {
  const out = Int16Array.from(w);
  for (let i = 0; i < nIn; i++) {
    const acc = new Array(nOut).fill(0);
    for (let b = 0; b < batch; b++) {
      const v = x[b * nIn + i];
      if (v === 0) continue;
      if (qbp) {
        const q = quantizeExponent(rng, v, lo, hi);
        if (q < 0) continue;
        for (let j = 0; j < nOut; j++) acc[j] += d[b * nOut + j] * 2 ** (q - lo);
      } else {
        for (let j = 0; j < nOut; j++) acc[j] += d[b * nOut + j] * v;
      }
    }
    for (let j = 0; j < nOut; j++) {
      const nw = w[i * nOut + j] - sround(rng, saturate(acc[j], SUM_MAX), shift);
      out[i * nOut + j] = saturate(nw, WEIGHT_ONE);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE, reflected polynomial 0xEDB88320), bit by bit

export function crc32(bytes: ArrayLike<number>, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c = (c ^ bytes[i]) >>> 0;
    for (let k = 0; k < 8; k++) c = c % 2 === 1 ? ((c >>> 1) ^ 0xEDB88320) >>> 0 : c >>> 1;
  }
  return ~c >>> 0;
}
