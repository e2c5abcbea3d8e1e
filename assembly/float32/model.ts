// The float32 counterpart of the device module, for cost comparisons only (bench/): the same
// MLP (dense, batch norm, ReLU, squared hinge, plain SGD) in full-precision float32, built
// by the same compiler. Same spec format and direct exports as assembly/index.ts; mode, qbp,
// window and randbits are ignored. Not a training product: no state blob, no protocol.
// Conv nets (docs/model-format.md, "Convolutional nets") as the integer module runs them: a
// 3x3 "same" conv is the dense layer over the patches of one sample at a time (channels-last),
// per-channel batch norm over all the batch's positions, ReLU, 2x2 max pooling (first maximum).
import {
  SPEC, specValid, specLog2Batch, specLayers, specLrStart, specLrEnd, specDecaySteps, specSize, specHeight, specWidth,
} from "../spec";
import { SIZE_CONV, SIZE_POOL, SIZE_UNITS } from "../shared/spec";
import { arenaReset, arenaTake, arenaEnd, arenaCommit } from "../arena";
import { next, rngSeed } from "../prng";
import { E_SPEC, E_NOMEM, E_NOT_READY, E_BATCH, OK } from "../errors";

const EPS: f32 = 1e-4;
const MOMENTUM: f32 = 0.1;

// Per layer: nIn, nOut, W, beta, runMean, runVar, z/dz, xhat, invStd, act (next input, f32), dAct;
// conv layers also: conv?, pooled?, input height, width, channels, positions (h·w; 1 dense),
// and when pooled the pooled activations, their errors and each one's argmax in act.
const PLAN: usize = memory.data(1024); // 8 layers (MAX_LAYERS) of 32 fields
// @ts-ignore: decorator
@inline function plan(l: i32, f: i32): i32 { return load<i32>(PLAN + (<usize>l << 7) + (<usize>f << 2)); }
// @ts-ignore: decorator
@inline function setPlan(l: i32, f: i32, v: usize): void { store<i32>(PLAN + (<usize>l << 7) + (<usize>f << 2), <i32>v); }
const N_IN = 0, N_OUT = 1, W = 2, BETA = 3, RMEAN = 4, RVAR = 5, Z = 6, XHAT = 7, INVSTD = 8, ACT = 9, DACT = 10;
const CONV = 11, POOL = 12, HEIGHT = 13, WIDTH = 14, CIN = 15, PIX = 16, POOLED = 17, DPOOLED = 18, ARG = 19;
const TERNARY_W = 20; // a ternary layer's propagated weights

// An experiment's switch (bench/experiments/device-conv.ts, TERNARY=mask), off by default: the
// layers of bit l propagate the deterministic ternary weights of MODE_FIXED TC (latent weights
// uniform in [-1, 1], clipped there; +-1 beyond +-1/2, else 0; scale-free under batch norm),
// with the gradient taken w.r.t. them, as in the integer module. So the method's weights can
// be measured apart from its integer arithmetic, layer by layer, at float32 speed.
// Their weight steps are 2^3 times the spec's rate: the better of the two tried on a short
// Fashion-MNIST run with every layer ternary (lr 3 -> 8 as float32 trains, and 0 -> 5).
const TERNARY_RATE: f32 = 8;
let ternaryLayers = 0;
export function setTernaryLayers(mask: i32): void { ternaryLayers = mask; }
// @ts-ignore: decorator
@inline function ternary(l: i32): bool { return ((ternaryLayers >> l) & 1) != 0; }
/** The weights layer l propagates: its latent ones, or their ternary copy. */
function propagated(l: i32): usize { return <usize>plan(l, ternary(l) ? TERNARY_W : W); }

let ready = false;
let layers = 0, batch = 0;
let inputs: usize = 0, labels: usize = 0, x0: usize = 0;
let patches: usize = 0, patchErr: usize = 0; // one sample's patches of a conv layer, and their errors (f32)
let step: u32 = 0;
let lastLossValue: f32 = 0;

export function specPtr(): usize { return SPEC; }
export function inputsPtr(): usize { return inputs; }
export function labelsPtr(): usize { return labels; }
export function stepCount(): u32 { return step; }
export function lastLoss(): u32 { return <u32>(lastLossValue * 256); }

function layout(): usize {
  if (!specValid()) return 0;
  layers = specLayers(SPEC);
  batch = 1 << specLog2Batch(SPEC);
  arenaReset();
  let h = specHeight(SPEC), w = specWidth(SPEC), c = specSize(SPEC, 0);
  if (h == 0) { h = 1; w = 1; }
  let features = c * h * w;
  inputs = arenaTake(<usize>(batch * features));
  labels = arenaTake(<usize>batch);
  x0 = arenaTake(<usize>(batch * features) << 2);
  let patchMax = 0;
  for (let l = 0; l < layers; l++) {
    let e = specSize(SPEC, l + 1);
    let conv = (e & SIZE_CONV) != 0, pool = (e & SIZE_POOL) != 0;
    let nOut = e & SIZE_UNITS;
    let nIn = conv ? 9 * c : c * h * w, pix = conv ? h * w : 1;
    setPlan(l, N_IN, nIn); setPlan(l, N_OUT, nOut);
    setPlan(l, CONV, conv ? 1 : 0); setPlan(l, POOL, pool ? 1 : 0);
    setPlan(l, HEIGHT, h); setPlan(l, WIDTH, w); setPlan(l, CIN, c); setPlan(l, PIX, pix);
    if (conv && pix * nIn > patchMax) patchMax = pix * nIn;
    let rows = batch * pix; // a conv layer's batch norm and buffers: one row per sample and position
    setPlan(l, W, arenaTake(<usize>(nIn * nOut) << 2));
    if (ternary(l)) setPlan(l, TERNARY_W, arenaTake(<usize>(nIn * nOut) << 2));
    setPlan(l, BETA, arenaTake(<usize>nOut << 2));
    setPlan(l, RMEAN, arenaTake(<usize>nOut << 2));
    setPlan(l, RVAR, arenaTake(<usize>nOut << 2));
    setPlan(l, Z, arenaTake(<usize>(rows * nOut) << 2));
    setPlan(l, XHAT, arenaTake(<usize>(rows * nOut) << 2));
    setPlan(l, INVSTD, arenaTake(<usize>nOut << 2));
    setPlan(l, ACT, arenaTake(<usize>(rows * nOut) << 2));
    setPlan(l, DACT, arenaTake(<usize>(rows * nOut) << 2));
    if (pool) {
      setPlan(l, POOLED, arenaTake(<usize>((rows >> 2) * nOut) << 2));
      setPlan(l, DPOOLED, arenaTake(<usize>((rows >> 2) * nOut) << 2));
      setPlan(l, ARG, arenaTake(<usize>((rows >> 2) * nOut) << 2));
      h >>= 1; w >>= 1;
    }
    if (!conv) { h = 1; w = 1; }
    c = nOut;
  }
  patches = arenaTake(<usize>patchMax << 2);
  patchErr = arenaTake(<usize>patchMax << 2);
  return arenaEnd();
}

export function requiredBytes(): i32 { ready = false; let e = layout(); return e == 0 ? E_SPEC : <i32>e; }

function uniform(): f32 { return <f32>(next() >>> 8) * (1.0 / 16777216.0); }

export function initModel(seedLo: u32, seedHi: u32): i32 {
  ready = false;
  if (layout() == 0) return E_SPEC;
  if (!arenaCommit()) return E_NOMEM;
  rngSeed(seedLo, seedHi);
  for (let l = 0; l < layers; l++) {
    let nIn = plan(l, N_IN), nOut = plan(l, N_OUT);
    let limit = Mathf.sqrt(6.0 / <f32>(nIn + (plan(l, CONV) ? 9 * nOut : nOut))); // Glorot uniform (a conv's fans 9·cin, 9·cout)
    let w = <usize>plan(l, W);
    if (ternary(l)) limit = 1;
    for (let i = 0; i < nIn * nOut; i++) store<f32>(w + (<usize>i << 2), (uniform() * 2 - 1) * limit);
    for (let j = 0; j < nOut; j++) {
      store<f32>(<usize>plan(l, BETA) + (<usize>j << 2), 0);
      store<f32>(<usize>plan(l, RMEAN) + (<usize>j << 2), 0);
      store<f32>(<usize>plan(l, RVAR) + (<usize>j << 2), 1);
    }
  }
  step = 0;
  ready = true;
  return OK;
}

/** Layer l's input: the pixels, the layer below's activations, or its pooled ones. */
function layerInput(l: i32): usize {
  return l == 0 ? x0 : <usize>plan(l - 1, plan(l - 1, POOL) ? POOLED : ACT);
}

/** Values per sample of layer l's input image (a dense layer: its inputs). */
function imageSize(l: i32): i32 { return plan(l, CONV) ? plan(l, PIX) * plan(l, CIN) : plan(l, N_IN); }

/** z[r] += x[r] · W for `rows` rows of nIn inputs (zero inputs skipped, as in the integer module). */
function matmulAdd(x: usize, rows: i32, nIn: i32, w: usize, nOut: i32, z: usize): void {
  for (let b = 0; b < rows; b++) {
    let zr = z + (<usize>(b * nOut) << 2);
    for (let i = 0; i < nIn; i++) {
      let xv = load<f32>(x + (<usize>(b * nIn + i) << 2));
      if (xv == 0) continue;
      let wr = w + (<usize>(i * nOut) << 2);
      for (let j = 0; j < nOut; j++) {
        let p = zr + (<usize>j << 2);
        store<f32>(p, load<f32>(p) + xv * load<f32>(wr + (<usize>j << 2)));
      }
    }
  }
}

/**
 * `back` false: the 3x3 patches [h·w][9·c] of one image img [h][w][c] (f32, 0 outside).
 * `back` true: every patch value added back onto the image value it was read from.
 */
function im2col(img: usize, h: i32, w: i32, c: i32, p: usize, back: bool): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ky = -1; ky <= 1; ky++) {
        for (let kx = -1; kx <= 1; kx++) {
          let sy = y + ky, sx = x + kx;
          let inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
          let src = img + (<usize>((sy * w + sx) * c) << 2);
          for (let ci = 0; ci < c; ci++) {
            if (back) { if (inside) store<f32>(src, load<f32>(src) + load<f32>(p)); }
            else store<f32>(p, inside ? load<f32>(src) : 0);
            p += 4; src += 4;
          }
        }
      }
    }
  }
}

/** 2x2 max pooling of layer l's activations (first maximum, its index kept for the backward). */
function poolForward(l: i32, n: i32): void {
  let h = plan(l, HEIGHT), w = plan(l, WIDTH), c = plan(l, N_OUT);
  let a = <usize>plan(l, ACT), out = <usize>plan(l, POOLED), arg = <usize>plan(l, ARG);
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let py = 0; py < h >> 1; py++) {
      for (let px = 0; px < w >> 1; px++) {
        for (let j = 0; j < c; j++) {
          let first = ((b * h + 2 * py) * w + 2 * px) * c + j;
          let best = first, top = load<f32>(a + (<usize>first << 2));
          for (let q = 1; q < 4; q++) { // (0,1), (1,0), (1,1)
            let at = first + ((q & 1) ? c : 0) + ((q & 2) ? w * c : 0);
            let v = load<f32>(a + (<usize>at << 2));
            if (v > top) { top = v; best = at; }
          }
          store<f32>(out + (<usize>k << 2), top);
          store<i32>(arg + (<usize>k << 2), best);
          k++;
        }
      }
    }
  }
}

function forward(n: i32, training: bool): void {
  let nIn0 = imageSize(0);
  for (let k = 0; k < n * nIn0; k++) store<f32>(x0 + (<usize>k << 2), <f32>load<u8>(inputs + <usize>k) * (1.0 / 256.0));
  for (let l = 0; l < layers; l++) {
    let nIn = plan(l, N_IN), nOut = plan(l, N_OUT);
    if (ternary(l)) {
      let w = <usize>plan(l, W), q = <usize>plan(l, TERNARY_W);
      for (let i = 0; i < nIn * nOut; i++) { let v = load<f32>(w + (<usize>i << 2)); store<f32>(q + (<usize>i << 2), v >= 0.5 ? 1 : (v <= -0.5 ? -1 : 0)); }
    }
    let x = layerInput(l), w = propagated(l), z = <usize>plan(l, Z);
    let pix = plan(l, PIX), rows = n * pix;
    for (let k = 0; k < rows * nOut; k++) store<f32>(z + (<usize>k << 2), 0);
    if (plan(l, CONV)) {
      let image = <usize>imageSize(l) << 2;
      for (let b = 0; b < n; b++) {
        im2col(x + <usize>b * image, plan(l, HEIGHT), plan(l, WIDTH), plan(l, CIN), patches, false);
        matmulAdd(patches, pix, nIn, w, nOut, z + (<usize>(b * pix * nOut) << 2));
      }
    } else matmulAdd(x, n, nIn, w, nOut, z);
    let last = l == layers - 1;
    for (let j = 0; j < nOut; j++) {
      let mean: f32, variance: f32;
      if (training) {
        mean = 0;
        for (let b = 0; b < rows; b++) mean += load<f32>(z + (<usize>(b * nOut + j) << 2));
        mean /= <f32>rows;
        variance = 0;
        for (let b = 0; b < rows; b++) { let d = load<f32>(z + (<usize>(b * nOut + j) << 2)) - mean; variance += d * d; }
        variance /= <f32>rows;
        let rm = <usize>plan(l, RMEAN) + (<usize>j << 2), rv = <usize>plan(l, RVAR) + (<usize>j << 2);
        store<f32>(rm, load<f32>(rm) + MOMENTUM * (mean - load<f32>(rm)));
        store<f32>(rv, load<f32>(rv) + MOMENTUM * (variance - load<f32>(rv)));
      } else {
        mean = load<f32>(<usize>plan(l, RMEAN) + (<usize>j << 2));
        variance = load<f32>(<usize>plan(l, RVAR) + (<usize>j << 2));
      }
      let inv: f32 = 1.0 / Mathf.sqrt(variance + EPS);
      store<f32>(<usize>plan(l, INVSTD) + (<usize>j << 2), inv);
      let beta = load<f32>(<usize>plan(l, BETA) + (<usize>j << 2));
      for (let b = 0; b < rows; b++) {
        let o = <usize>(b * nOut + j) << 2;
        let xh = (load<f32>(z + o) - mean) * inv;
        store<f32>(<usize>plan(l, XHAT) + o, xh);
        let y = xh + beta;
        store<f32>(<usize>plan(l, ACT) + o, last ? y : (y > 0 ? y : 0));
      }
    }
    if (plan(l, POOL)) poolForward(l, n);
  }
}

function countCorrect(n: i32): i32 {
  let nOut = plan(layers - 1, N_OUT), y = <usize>plan(layers - 1, ACT);
  let correct = 0;
  for (let b = 0; b < n; b++) {
    let best = 0, top = load<f32>(y + (<usize>(b * nOut) << 2));
    for (let j = 1; j < nOut; j++) { let v = load<f32>(y + (<usize>(b * nOut + j) << 2)); if (v > top) { top = v; best = j; } }
    if (best == <i32>load<u8>(labels + <usize>b)) correct++;
  }
  return correct;
}

export function trainBatch(n: i32): i32 {
  if (!ready) return E_NOT_READY;
  if (n != batch) return E_BATCH;
  let decay = specDecaySteps(SPEC);
  let t: f32 = decay == 0 ? 0 : <f32>(step < decay ? step : decay) / <f32>decay;
  let lr: f32 = Mathf.pow(2, -(<f32>specLrStart(SPEC) + t * <f32>(specLrEnd(SPEC) - specLrStart(SPEC))));
  forward(n, true);
  let correct = countCorrect(n);
  // Squared hinge on the outputs, averaged over the batch.
  let L = layers - 1, nOut = plan(L, N_OUT);
  let loss: f32 = 0;
  for (let b = 0; b < n; b++) {
    let label = <i32>load<u8>(labels + <usize>b);
    for (let j = 0; j < nOut; j++) {
      let o = <usize>(b * nOut + j) << 2;
      let tgt: f32 = j == label ? 1 : -1;
      let m: f32 = 1 - tgt * load<f32>(<usize>plan(L, ACT) + o);
      let g: f32 = 0;
      if (m > 0) { loss += m * m; g = -2 * tgt * m / <f32>n; }
      store<f32>(<usize>plan(L, DACT) + o, g);
    }
  }
  lastLossValue = loss;
  for (let l = L; l >= 0; l--) {
    let nIn = plan(l, N_IN), no = plan(l, N_OUT);
    let dy = <usize>plan(l, DACT), xh = <usize>plan(l, XHAT), dz = <usize>plan(l, Z);
    let pix = plan(l, PIX), rows = n * pix;
    // Through batch norm: dz = inv/n · (n·dy − Σdy − x̂·Σ(dy·x̂)) (n: rows); beta step.
    for (let j = 0; j < no; j++) {
      let s: f32 = 0, sx: f32 = 0;
      for (let b = 0; b < rows; b++) { let o = <usize>(b * no + j) << 2; s += load<f32>(dy + o); sx += load<f32>(dy + o) * load<f32>(xh + o); }
      let inv = load<f32>(<usize>plan(l, INVSTD) + (<usize>j << 2));
      for (let b = 0; b < rows; b++) {
        let o = <usize>(b * no + j) << 2;
        store<f32>(dz + o, inv / <f32>rows * (<f32>rows * load<f32>(dy + o) - s - load<f32>(xh + o) * sx));
      }
      let bp = <usize>plan(l, BETA) + (<usize>j << 2);
      store<f32>(bp, load<f32>(bp) - lr * s);
    }
    let x = layerInput(l), w = <usize>plan(l, W);
    let rate = ternary(l) ? lr * TERNARY_RATE : lr; // the weight step's
    if (plan(l, CONV)) { convBackward(l, n, rate); clipLayer(l); continue; }
    if (l > 0) { // error to the previous layer, masked by its ReLU
      let pooled = plan(l - 1, POOL) != 0;
      let dPrev = <usize>plan(l - 1, pooled ? DPOOLED : DACT), aPrev = x;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < nIn; i++) {
          let o = <usize>(b * nIn + i) << 2;
          let acc: f32 = 0;
          if (load<f32>(aPrev + o) > 0) {
            let wr = propagated(l) + (<usize>(i * no) << 2), dr = dz + (<usize>(b * no) << 2);
            for (let j = 0; j < no; j++) acc += load<f32>(wr + (<usize>j << 2)) * load<f32>(dr + (<usize>j << 2));
          }
          store<f32>(dPrev + o, acc);
        }
      }
      if (pooled) unpool(l - 1, n);
    }
    // Weight step: W -= lr · x^T dz (zero inputs skipped, as in the integer module).
    for (let b = 0; b < n; b++) {
      let dr = dz + (<usize>(b * no) << 2);
      for (let i = 0; i < nIn; i++) {
        let xv = load<f32>(x + (<usize>(b * nIn + i) << 2));
        if (xv == 0) continue;
        let scale = rate * xv;
        let wr = w + (<usize>(i * no) << 2);
        for (let j = 0; j < no; j++) {
          let p = wr + (<usize>j << 2);
          store<f32>(p, load<f32>(p) - scale * load<f32>(dr + (<usize>j << 2)));
        }
      }
    }
    clipLayer(l);
  }
  step++;
  return correct;
}

/** The errors of pooled layer l's outputs routed to each window's argmax (0 at the other three). */
function unpool(l: i32, n: i32): void {
  let d = <usize>plan(l, DACT), dp = <usize>plan(l, DPOOLED), arg = <usize>plan(l, ARG);
  let count = n * plan(l, PIX) * plan(l, N_OUT);
  for (let k = 0; k < count; k++) store<f32>(d + (<usize>k << 2), 0);
  for (let k = 0; k < count >> 2; k++) store<f32>(d + (<usize>load<i32>(arg + (<usize>k << 2)) << 2), load<f32>(dp + (<usize>k << 2)));
}

/**
 * A conv layer's backward after the batch norm (dz in Z): the error of its input image (all
 * samples, with the weights before the step, masked by the ReLU below), then the weight step
 * W -= rate · patches^T dz, one sample's patches at a time.
 */
function convBackward(l: i32, n: i32, rate: f32): void {
  let nIn = plan(l, N_IN), no = plan(l, N_OUT), pix = plan(l, PIX);
  let h = plan(l, HEIGHT), wd = plan(l, WIDTH), c = plan(l, CIN);
  let x = layerInput(l), w = <usize>plan(l, W), dz = <usize>plan(l, Z);
  let image = imageSize(l);
  if (l > 0) {
    let pooled = plan(l - 1, POOL) != 0;
    let dPrev = <usize>plan(l - 1, pooled ? DPOOLED : DACT);
    for (let k = 0; k < n * image; k++) store<f32>(dPrev + (<usize>k << 2), 0);
    for (let b = 0; b < n; b++) {
      let dr = dz + (<usize>(b * pix * no) << 2);
      for (let r = 0; r < pix; r++) {
        for (let i = 0; i < nIn; i++) {
          let acc: f32 = 0;
          let wr = propagated(l) + (<usize>(i * no) << 2);
          for (let j = 0; j < no; j++) acc += load<f32>(wr + (<usize>j << 2)) * load<f32>(dr + (<usize>(r * no + j) << 2));
          store<f32>(patchErr + (<usize>(r * nIn + i) << 2), acc);
        }
      }
      im2col(dPrev + (<usize>(b * image) << 2), h, wd, c, patchErr, true);
    }
    for (let k = 0; k < n * image; k++) { // masked by the ReLU below
      if (!(load<f32>(x + (<usize>k << 2)) > 0)) store<f32>(dPrev + (<usize>k << 2), 0);
    }
    if (pooled) unpool(l - 1, n);
  }
  for (let b = 0; b < n; b++) {
    im2col(x + (<usize>(b * image) << 2), h, wd, c, patches, false);
    let d0 = dz + (<usize>(b * pix * no) << 2);
    for (let r = 0; r < pix; r++) {
      let dr = d0 + (<usize>(r * no) << 2);
      for (let i = 0; i < nIn; i++) {
        let xv = load<f32>(patches + (<usize>(r * nIn + i) << 2));
        if (xv == 0) continue;
        let scale = rate * xv;
        let wr = w + (<usize>(i * no) << 2);
        for (let j = 0; j < no; j++) {
          let p = wr + (<usize>j << 2);
          store<f32>(p, load<f32>(p) - scale * load<f32>(dr + (<usize>j << 2)));
        }
      }
    }
  }
}

export function evalBatch(n: i32): i32 {
  if (!ready) return E_NOT_READY;
  if (n < 1 || n > batch) return E_BATCH;
  forward(n, false);
  return countCorrect(n);
}

/** A ternary layer's latent weights clipped to [-1, 1] after its step. */
function clipLayer(l: i32): void {
  if (!ternary(l)) return;
  let w = <usize>plan(l, W), n = plan(l, N_IN) * plan(l, N_OUT);
  for (let i = 0; i < n; i++) { let p = w + (<usize>i << 2); let v = load<f32>(p); store<f32>(p, v > 1 ? 1 : (v < -1 ? -1 : v)); }
}
