// The float32 counterpart of the device module, for cost comparisons only (bench/): the same
// MLP (dense, batch norm, ReLU, squared hinge, plain SGD) in full-precision float32, built
// by the same compiler. Same spec format and direct exports as assembly/index.ts; mode, qbp,
// window and randbits are ignored. Not a training product: no state blob, no protocol.
import { SPEC, specValid, specLog2Batch, specLayers, specLrStart, specLrEnd, specDecaySteps, specSize } from "../spec";
import { arenaReset, arenaTake, arenaEnd, arenaCommit } from "../arena";
import { next, rngSeed } from "../prng";
import { E_SPEC, E_NOMEM, E_NOT_READY, E_BATCH, OK } from "../errors";

const EPS: f32 = 1e-4;
const MOMENTUM: f32 = 0.1;

// Per layer: nIn, nOut, W, beta, runMean, runVar, z/dz, xhat, invStd, act (next input, f32), dAct.
const PLAN: usize = memory.data(1024);
// @ts-ignore: decorator
@inline function plan(l: i32, f: i32): i32 { return load<i32>(PLAN + (<usize>l << 6) + (<usize>f << 2)); }
// @ts-ignore: decorator
@inline function setPlan(l: i32, f: i32, v: usize): void { store<i32>(PLAN + (<usize>l << 6) + (<usize>f << 2), <i32>v); }
const N_IN = 0, N_OUT = 1, W = 2, BETA = 3, RMEAN = 4, RVAR = 5, Z = 6, XHAT = 7, INVSTD = 8, ACT = 9, DACT = 10;

let ready = false;
let layers = 0, batch = 0;
let inputs: usize = 0, labels: usize = 0, x0: usize = 0;
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
  inputs = arenaTake(<usize>(batch * specSize(SPEC, 0)));
  labels = arenaTake(<usize>batch);
  x0 = arenaTake(<usize>(batch * specSize(SPEC, 0)) << 2);
  for (let l = 0; l < layers; l++) {
    let nIn = specSize(SPEC, l), nOut = specSize(SPEC, l + 1);
    setPlan(l, N_IN, nIn); setPlan(l, N_OUT, nOut);
    setPlan(l, W, arenaTake(<usize>(nIn * nOut) << 2));
    setPlan(l, BETA, arenaTake(<usize>nOut << 2));
    setPlan(l, RMEAN, arenaTake(<usize>nOut << 2));
    setPlan(l, RVAR, arenaTake(<usize>nOut << 2));
    setPlan(l, Z, arenaTake(<usize>(batch * nOut) << 2));
    setPlan(l, XHAT, arenaTake(<usize>(batch * nOut) << 2));
    setPlan(l, INVSTD, arenaTake(<usize>nOut << 2));
    setPlan(l, ACT, arenaTake(<usize>(batch * nOut) << 2));
    setPlan(l, DACT, arenaTake(<usize>(batch * nOut) << 2));
  }
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
    let limit = Mathf.sqrt(6.0 / <f32>(nIn + nOut)); // Glorot uniform
    let w = <usize>plan(l, W);
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

function layerInput(l: i32): usize { return l == 0 ? x0 : <usize>plan(l - 1, ACT); }

function forward(n: i32, training: bool): void {
  let nIn0 = plan(0, N_IN);
  for (let k = 0; k < n * nIn0; k++) store<f32>(x0 + (<usize>k << 2), <f32>load<u8>(inputs + <usize>k) * (1.0 / 256.0));
  for (let l = 0; l < layers; l++) {
    let nIn = plan(l, N_IN), nOut = plan(l, N_OUT);
    let x = layerInput(l), w = <usize>plan(l, W), z = <usize>plan(l, Z);
    for (let k = 0; k < n * nOut; k++) store<f32>(z + (<usize>k << 2), 0);
    for (let b = 0; b < n; b++) {
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
    let last = l == layers - 1;
    for (let j = 0; j < nOut; j++) {
      let mean: f32, variance: f32;
      if (training) {
        mean = 0;
        for (let b = 0; b < n; b++) mean += load<f32>(z + (<usize>(b * nOut + j) << 2));
        mean /= <f32>n;
        variance = 0;
        for (let b = 0; b < n; b++) { let d = load<f32>(z + (<usize>(b * nOut + j) << 2)) - mean; variance += d * d; }
        variance /= <f32>n;
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
      for (let b = 0; b < n; b++) {
        let o = <usize>(b * nOut + j) << 2;
        let xh = (load<f32>(z + o) - mean) * inv;
        store<f32>(<usize>plan(l, XHAT) + o, xh);
        let y = xh + beta;
        store<f32>(<usize>plan(l, ACT) + o, last ? y : (y > 0 ? y : 0));
      }
    }
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
    // Through batch norm: dz = inv/n · (n·dy − Σdy − x̂·Σ(dy·x̂)); beta step.
    for (let j = 0; j < no; j++) {
      let s: f32 = 0, sx: f32 = 0;
      for (let b = 0; b < n; b++) { let o = <usize>(b * no + j) << 2; s += load<f32>(dy + o); sx += load<f32>(dy + o) * load<f32>(xh + o); }
      let inv = load<f32>(<usize>plan(l, INVSTD) + (<usize>j << 2));
      for (let b = 0; b < n; b++) {
        let o = <usize>(b * no + j) << 2;
        store<f32>(dz + o, inv / <f32>n * (<f32>n * load<f32>(dy + o) - s - load<f32>(xh + o) * sx));
      }
      let bp = <usize>plan(l, BETA) + (<usize>j << 2);
      store<f32>(bp, load<f32>(bp) - lr * s);
    }
    let x = layerInput(l), w = <usize>plan(l, W);
    if (l > 0) { // error to the previous layer, masked by its ReLU
      let dPrev = <usize>plan(l - 1, DACT), aPrev = <usize>plan(l - 1, ACT);
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < nIn; i++) {
          let o = <usize>(b * nIn + i) << 2;
          let acc: f32 = 0;
          if (load<f32>(aPrev + o) > 0) {
            let wr = w + (<usize>(i * no) << 2), dr = dz + (<usize>(b * no) << 2);
            for (let j = 0; j < no; j++) acc += load<f32>(wr + (<usize>j << 2)) * load<f32>(dr + (<usize>j << 2));
          }
          store<f32>(dPrev + o, acc);
        }
      }
    }
    // Weight step: W -= lr · x^T dz (zero inputs skipped, as in the integer module).
    for (let b = 0; b < n; b++) {
      let dr = dz + (<usize>(b * no) << 2);
      for (let i = 0; i < nIn; i++) {
        let xv = load<f32>(x + (<usize>(b * nIn + i) << 2));
        if (xv == 0) continue;
        let scale = lr * xv;
        let wr = w + (<usize>(i * no) << 2);
        for (let j = 0; j < no; j++) {
          let p = wr + (<usize>j << 2);
          store<f32>(p, load<f32>(p) - scale * load<f32>(dr + (<usize>j << 2)));
        }
      }
    }
  }
  step++;
  return correct;
}

export function evalBatch(n: i32): i32 {
  if (!ready) return E_NOT_READY;
  if (n < 1 || n > batch) return E_BATCH;
  forward(n, false);
  return countCorrect(n);
}
