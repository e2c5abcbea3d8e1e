/**
 * A plain reading of docs/model-format.md, "Convolutional nets", written from the document:
 * nested loops over (b, y, x, c) with explicit channels-last indices and a bounds test per
 * term (the kernels choose the valid kernel rows instead), JS numbers (exact to 2^53).
 * Sampled weights are s[r][co] with row r = (ky·3 + kx)·cin + ci.
 */
import { BC, BIAS_EXTRA, biasValue, DELTA_LIMIT, i32, type Rng, roundShift, sampleRow, saturate, shr, signRow, sround, STAT_EXTRA, SUM_MAX, statValue, towards, unitScale, WEIGHT_ONE } from "./oracle.ts";

export interface Geometry { h: number; w: number; cin: number; cout: number; batch: number }

const at = (g: { h: number; w: number }, c: number, b: number, y: number, x: number, ch: number) => ((b * g.h + y) * g.w + x) * c + ch;
const inside = (g: Geometry, y: number, x: number) => y >= 0 && y < g.h && x >= 0 && x < g.w;

/** Step 1: the 9·cin rows, drawn in order (ky, kx, ci), each a dense row of cout weights. */
export function convSample(rng: Rng | undefined, w: ArrayLike<number>, g: Geometry, mode: number): number[][] {
  const s: number[][] = [];
  for (let r = 0; r < 9 * g.cin; r++) {
    const row = Array.from({ length: g.cout }, (_, co) => w[r * g.cout + co]);
    s.push(rng ? sampleRow(rng, row, mode) : signRow(row, mode));
  }
  return s;
}

/** Step 2: z[b][y][x][co] = sum over valid (ky, kx) and ci of s · in (BC as 2·P − S, the same value). */
export function convForward(x: ArrayLike<number>, g: Geometry, s: number[][], mode: number): number[] {
  const z = new Array(g.batch * g.h * g.w * g.cout).fill(0);
  for (let b = 0; b < g.batch; b++) for (let y = 0; y < g.h; y++) for (let xx = 0; xx < g.w; xx++) {
    for (let co = 0; co < g.cout; co++) {
      let pos = 0, all = 0, sum = 0;
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
        const iy = y + ky - 1, ix = xx + kx - 1;
        if (!inside(g, iy, ix)) continue; // zero padding
        for (let ci = 0; ci < g.cin; ci++) {
          const v = x[at(g, g.cin, b, iy, ix, ci)];
          const sw = s[(ky * 3 + kx) * g.cin + ci][co];
          sum += sw * v;
          all += v;
          if (sw === 1) pos += v;
        }
      }
      z[at(g, g.cout, b, y, xx, co)] = i32(mode === BC ? 2 * pos - all : sum, "z");
    }
  }
  return z;
}

/** Step 6, error backprop: d'[b][y][x][ci] = sum of s · d over the outputs reading it; 0 where act is 0 or 255. */
export function convBackward(d: ArrayLike<number>, g: Geometry, s: number[][], act: ArrayLike<number>): number[] {
  const out = new Array(g.batch * g.h * g.w * g.cin).fill(0);
  for (let b = 0; b < g.batch; b++) for (let y = 0; y < g.h; y++) for (let xx = 0; xx < g.w; xx++) {
    for (let ci = 0; ci < g.cin; ci++) {
      const i = at(g, g.cin, b, y, xx, ci);
      if (act[i] === 0 || act[i] === 255) continue;
      let sum = 0;
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
        const oy = y - ky + 1, ox = xx - kx + 1;
        if (!inside(g, oy, ox)) continue;
        for (let co = 0; co < g.cout; co++) sum += s[(ky * 3 + kx) * g.cin + ci][co] * d[at(g, g.cout, b, oy, ox, co)];
      }
      out[i] = i32(sum, "d'");
    }
  }
  return out;
}

/** Step 4: 2x2 max pool, first maximum in the order (0,0), (0,1), (1,0), (1,1); returns out and argmax indices. */
export function poolForward(x: ArrayLike<number>, h: number, w: number, c: number, batch: number): { out: number[]; arg: number[] } {
  const out: number[] = [], arg: number[] = [];
  for (let b = 0; b < batch; b++) for (let py = 0; py < h / 2; py++) for (let px = 0; px < w / 2; px++) {
    for (let ch = 0; ch < c; ch++) {
      let best = -1;
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const i = at({ h, w }, c, b, 2 * py + dy, 2 * px + dx, ch);
        if (best < 0 || x[i] > x[best]) best = i;
      }
      out.push(x[best]);
      arg.push(best);
    }
  }
  return { out, arg };
}

/** Step 6 through a pool: d_out to each window's argmax, 0 elsewhere. */
export function poolBackward(dOut: ArrayLike<number>, x: ArrayLike<number>, h: number, w: number, c: number, batch: number): number[] {
  const { arg } = poolForward(x, h, w, c, batch);
  const dIn = new Array(batch * h * w * c).fill(0);
  arg.forEach((i, k) => { dIn[i] = dOut[k]; });
  return dIn;
}

/**
 * The patch matrix [batch·h·w][9·cin]: row (b, y, x) holds in[b][y+ky−1][x+kx−1][ci] in the
 * order (ky, kx, ci), 0 outside the image (zero padding). The conv layer is the dense layer
 * on these rows.
 */
export function patchesOf(x: ArrayLike<number>, g: { h: number; w: number; cin: number; batch: number }): number[] {
  const out: number[] = [];
  for (let b = 0; b < g.batch; b++) for (let y = 0; y < g.h; y++) for (let xx = 0; xx < g.w; xx++) {
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) for (let ci = 0; ci < g.cin; ci++) {
      const iy = y + ky - 1, ix = xx + kx - 1;
      out.push(iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? x[at(g, g.cin, b, iy, ix, ci)] : 0);
    }
  }
  return out;
}

/**
 * Step 6, weight gradient and update, exact products (qbp = 0), written as the direct sum:
 * row (ky, kx, ci) by row, co in order, acc = sum of d · x over samples and output pixels
 * whose input is inside, saturated at ±(2^30 − 1); w −= sround(acc, shift), clipped to ±2^14.
 * One update over all B·H·W rows, as the document says.
 */
export function convUpdate(
  rng: Rng, x: ArrayLike<number>, g: Geometry, d: ArrayLike<number>, w: ArrayLike<number>, shift: number,
): Int16Array {
  const out = Int16Array.from(w);
  for (let r = 0; r < 9 * g.cin; r++) {
    const ky = Math.floor(r / (3 * g.cin)), kx = Math.floor(r / g.cin) % 3, ci = r % g.cin;
    const acc = new Array(g.cout).fill(0);
    for (let b = 0; b < g.batch; b++) for (let y = 0; y < g.h; y++) for (let xx = 0; xx < g.w; xx++) {
      const iy = y + ky - 1, ix = xx + kx - 1;
      if (!inside(g, iy, ix)) continue;
      const m = x[at(g, g.cin, b, iy, ix, ci)];
      for (let co = 0; co < g.cout; co++) acc[co] += d[at(g, g.cout, b, y, xx, co)] * m;
    }
    for (let co = 0; co < g.cout; co++) {
      const nw = w[r * g.cout + co] - sround(rng, saturate(acc[co], SUM_MAX), shift);
      out[r * g.cout + co] = saturate(nw, WEIGHT_ONE);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per-channel normalisation (steps 3 and 6 of the conv rules): the dense rules with n rows.

/** fdiv(S, n) = floor(S / n), exact on BigInt. */
export function fdiv(s: bigint, n: number): bigint {
  const q = s / BigInt(n); // truncates toward zero
  return s < 0n && q * BigInt(n) !== s ? q - 1n : q;
}

/** Step 3, training (or calibrating, statShift R) with batch statistics or evaluation with the running ones; F = 4, uint8 outputs. */
export function channelNormForward(
  z: ArrayLike<number>, rows: number, c: number, bias: ArrayLike<number>, runMean: ArrayLike<number>,
  runSpread: ArrayLike<number>, training: boolean, first: boolean, statShift = 4,
): { act: Uint8Array; k: Int32Array; runMean: Int32Array; runSpread: Int32Array } {
  const out = { act: new Uint8Array(rows * c), k: new Int32Array(c), runMean: Int32Array.from(runMean), runSpread: Int32Array.from(runSpread) };
  for (let j = 0; j < c; j++) {
    // The running statistics are stored 2^STAT_EXTRA finer than z and used rounded.
    let mean = statValue(runMean[j]), spread = statValue(runSpread[j]);
    if (training) {
      let s = 0n;
      for (let r = 0; r < rows; r++) s += BigInt(z[r * c + j]);
      mean = Number(fdiv(s, rows));
      let a = 0n;
      for (let r = 0; r < rows; r++) a += BigInt(Math.abs(z[r * c + j] - mean));
      spread = Number(fdiv(a, rows));
      // First step: a copy (<< 8); then v ⇝ R (R = 4 in training, calibration's average
      // otherwise) = (v + 2^(R−1)) >> R, the running step rounded half up.
      const m8 = i32(mean * 2 ** STAT_EXTRA, "mean << 8"), s8 = i32(spread * 2 ** STAT_EXTRA, "spread << 8");
      out.runMean[j] = first ? m8 : i32(runMean[j] + towards(m8 - runMean[j], statShift), "running mean");
      out.runSpread[j] = first ? s8 : i32(runSpread[j] + towards(s8 - runSpread[j], statShift), "running spread");
    }
    const scale = unitScale(spread);
    out.k[j] = scale;
    for (let r = 0; r < rows; r++) {
      const y = roundShift((z[r * c + j] - mean) * (scale >> 8), 4 - (scale & 255)) + biasValue(bias[j]);
      out.act[r * c + j] = Math.min(255, Math.max(0, y));
    }
  }
  return out;
}

/** Step 6 across the channel normalisation (batch statistics), F = 4. */
export function channelNormBackward(
  rng: Rng, d: ArrayLike<number>, rows: number, c: number, k: ArrayLike<number>, bias: ArrayLike<number>,
  exponent: number, lrShift: number, act: ArrayLike<number>,
): { d: Int32Array; bias: Int32Array; exponent: number } {
  const F = 4, CAP = 2 ** 26 - 1;
  const kk = Array.from(k, (v) => v & 255), mm = Array.from(k, (v) => v >> 8);
  const kmax = Math.max(...kk);
  const res = { d: new Int32Array(rows * c), bias: Int32Array.from(bias), exponent: 0 };
  const v = new Array<number>(rows * c).fill(0);
  for (let j = 0; j < c; j++) {
    let s = 0n, cp = 0n, signs = 0;
    const beta = biasValue(bias[j]);
    for (let r = 0; r < rows; r++) {
      s += BigInt(d[r * c + j]);
      cp += BigInt(d[r * c + j]) * BigInt(act[r * c + j] - beta);
      signs += Math.sign(act[r * c + j] - beta);
    }
    let t = 0;
    while (Number(s >> BigInt(t)) >= 2 ** 30 || Number(s >> BigInt(t)) <= -(2 ** 30)) t++;
    res.bias[j] = i32(bias[j] - sround(rng, Number(s >> BigInt(t)), exponent + F + BIAS_EXTRA - lrShift - 5 + t), "bias");
    const mean = Number(fdiv(s, rows));
    cp = fdiv(cp, rows);
    const half = 1n << BigInt(F - 1);
    const g = cp + (cp >> 2n);
    const gs = fdiv(g * BigInt(signs), rows);
    for (let r = 0; r < rows; r++) {
      const xh = BigInt(act[r * c + j] - beta);
      const t = xh > 0n ? (g - gs + half) >> BigInt(F) : xh < 0n ? (half - g - gs) >> BigInt(F) : (half - gs) >> BigInt(F);
      const w = BigInt(d[r * c + j] - mean) - t;
      v[r * c + j] = Number(w > BigInt(CAP) ? BigInt(CAP) : w < BigInt(-CAP) ? BigInt(-CAP) : w);
    }
  }
  let r = 0;
  while (v.some((x, i) => Math.abs(x) * mm[i % c] * 2 ** (kmax - kk[i % c] - r) >= DELTA_LIMIT)) r++;
  v.forEach((x, i) => { res.d[i] = i32(roundShift(x * mm[i % c], kmax - kk[i % c] - r), "d"); });
  res.exponent = exponent - kmax + r;
  return res;
}
