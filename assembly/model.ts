// The model: plans the arena from the spec, initialises it, runs training and evaluation
// steps. Kernels know nothing of this file; this file knows no transport.
import {
  WEIGHT_SHIFT, HIDDEN_SHIFT, OUTPUT_SHIFT, QBP_TOP_PIXEL, QBP_TOP_HIDDEN, MODE_TC, MAX_LAYERS,
} from "./config";
import { OK, E_SPEC, E_NOMEM, E_NOT_READY, E_BATCH } from "./errors";
import {
  SPEC, SPEC_BYTES, specValid, specMode, specQbp, specWindow, specLog2Batch, specLayers,
  specLrStart, specLrEnd, specDecaySteps, specRandBits, specSize,
} from "./spec";
import { product } from "./arith";
import { arenaReset, arenaTake, arenaEnd, arenaCommit } from "./arena";
import { half, rngLoad, rngSave, rngSeed, setFieldBits, resetStreams } from "./prng";
import { denseForward, denseBackward, wordsFor } from "./kernels/dense";
import { normForward, normBackward } from "./kernels/norm";
import { denseUpdate } from "./kernels/update";
import { hingeBackward, countCorrect, lastLossSum, argmax } from "./kernels/loss";
import { writeHeader, sealState, checkState, HEADER_BYTES, O_RNG, O_STEP, O_LR, O_LOSS, COUNTERS_BYTES } from "./state";

// Per-layer plan: one 64-byte record of addresses and sizes, in static memory.
const PLAN: usize = memory.data(MAX_LAYERS << 6); // one 64-byte record per layer
const L_IN = 0, L_OUT = 4, L_W = 8, L_BIAS = 12, L_MEAN = 16, L_SPREAD = 20, L_K = 24,
  L_MEANS = 28, L_KEPT = 32, L_X = 36, L_Y = 40, L_BUF = 44, L_LO = 48, L_HI = 52, L_SHIFT = 56,
  L_BOOST = 60;

// @ts-ignore: decorator
@inline function plan(l: i32, field: i32): i32 { return load<i32>(PLAN + (<usize>l << 6) + field); }
// @ts-ignore: decorator
@inline function setPlan(l: i32, field: i32, v: i32): void { store<i32>(PLAN + (<usize>l << 6) + field, v); }

let ready = false;
let layers = 0;
let mode = 0;
let qbp = false;
let log2Batch = 0;
let batch = 0;
let state: usize = 0;
let stateBytes: u32 = 0;
let inputs: usize = 0;
let labels: usize = 0;
let rowPos: usize = 0;
let rowNeg: usize = 0;
let acc: usize = 0;
let lrStep: i32 = 0; // learning-rate shift increment per step, Q16

export function specPtr(): usize { return SPEC; }
export function isReady(): bool { return ready; }
export function inputsPtr(): usize { return inputs; }
export function labelsPtr(): usize { return labels; }
export function batchSize(): i32 { return batch; }
export function inputCount(): i32 { return ready ? plan(0, L_IN) : 0; }
export function outputCount(): i32 { return ready ? plan(layers - 1, L_OUT) : 0; }
export function statePtr(): usize { return state; }
export function stateLen(): u32 { return stateBytes; }
export function stepCount(): u32 { return ready ? load<u32>(state + O_STEP) : 0; }
export function lastLoss(): u32 { return ready ? load<u32>(state + O_LOSS) : 0; }

/** Lays out the arena for the spec at SPEC; returns its end address, or 0 for a bad spec. */
function layout(): usize {
  if (!specValid(SPEC)) return 0;
  layers = specLayers(SPEC);
  mode = specMode(SPEC);
  qbp = specQbp(SPEC);
  log2Batch = specLog2Batch(SPEC);
  batch = 1 << log2Batch;
  arenaReset();

  state = arenaTake(HEADER_BYTES + COUNTERS_BYTES);
  for (let l = 0; l < layers; l++) {
    let nIn = specSize(SPEC, l), nOut = specSize(SPEC, l + 1);
    setPlan(l, L_IN, nIn); setPlan(l, L_OUT, nOut);
    setPlan(l, L_W, <i32>arenaTake(<usize>product(nIn, nOut) << 1));
    setPlan(l, L_BIAS, <i32>arenaTake(<usize>nOut << 2));
    setPlan(l, L_MEAN, <i32>arenaTake(<usize>nOut << 2));
    setPlan(l, L_SPREAD, <i32>arenaTake(<usize>nOut << 2));
  }
  stateBytes = <u32>(arenaEnd() - state);

  inputs = arenaTake(<usize>specSize(SPEC, 0) << log2Batch);
  labels = arenaTake(<usize>batch);
  let maxOut = 0, maxHidden = 0;
  for (let l = 0; l < layers; l++) {
    let nIn = plan(l, L_IN), nOut = plan(l, L_OUT);
    if (nOut > maxOut) maxOut = nOut;
    if (l < layers - 1 && nOut > maxHidden) maxHidden = nOut;
    setPlan(l, L_K, <i32>arenaTake(<usize>nOut << 2));
    setPlan(l, L_MEANS, <i32>arenaTake(<usize>nOut << 2));
    let keptWords = l > 0 ? product(nIn, wordsFor(nOut)) << (mode == MODE_TC ? 1 : 0) : 0;
    setPlan(l, L_KEPT, l > 0 ? <i32>arenaTake(<usize>keptWords << 2) : 0);
    setPlan(l, L_Y, l < layers - 1 ? <i32>arenaTake(<usize>nOut << log2Batch) : 0);
    setPlan(l, L_X, l == 0 ? <i32>inputs : plan(l - 1, L_Y));
    let top = l == 0 ? QBP_TOP_PIXEL : QBP_TOP_HIDDEN;
    let lo = top - specWindow(SPEC) + 1;
    setPlan(l, L_HI, top); setPlan(l, L_LO, lo < 0 ? 0 : lo);
    setPlan(l, L_SHIFT, l == layers - 1 ? OUTPUT_SHIFT : HIDDEN_SHIFT);
    // BinaryConnect's per-layer rate scale 1/W0^2 ~ (fan_in + fan_out) / 6, as a shift
    // (rate / 8 · (nIn + nOut), rounded down to a power of two).
    setPlan(l, L_BOOST, (31 - clz(nIn + nOut)) - 3);
  }
  let words = wordsFor(maxOut);
  rowPos = arenaTake(<usize>words << 2);
  rowNeg = arenaTake(<usize>words << 2);
  acc = arenaTake(<usize>(maxOut + batch) << 2); // row sums, then the update's sample list
  let nLast = plan(layers - 1, L_OUT);
  let ping = arenaTake(<usize>maxOut << (log2Batch + 2));
  let pong = arenaTake(<usize>(layers > 2 ? maxHidden : nLast) << (log2Batch + 2));
  // Sums and errors of layer l share one buffer; neighbours alternate so backprop never
  // reads and writes the same one.
  for (let l = 0; l < layers; l++) setPlan(l, L_BUF, <i32>(((layers - 1 - l) & 1) == 0 ? pong : ping));
  return arenaEnd();
}

/** Bytes of linear memory the spec at specPtr() needs (static data + arena), or E_SPEC. */
export function requiredBytes(): i32 {
  ready = false;
  let end = layout();
  return end == 0 ? E_SPEC : <i32>end;
}

/** Allocates and initialises a model from the spec at specPtr(): latent weights uniform in [-1, 1]. */
export function initModel(seedLo: u32, seedHi: u32): i32 {
  ready = false;
  if (layout() == 0) return E_SPEC;
  if (!arenaCommit()) return E_NOMEM;
  deriveSettings();

  writeHeader(state, SPEC, SPEC_BYTES, stateBytes);
  rngSeed(seedLo, seedHi);
  resetStreams();
  for (let l = 0; l < layers; l++) {
    let w = <usize>plan(l, L_W);
    let end = w + (<usize>product(plan(l, L_IN), plan(l, L_OUT)) << 1);
    for (let p = w; p < end; p += 2) store<i16>(p, <i16>(<i32>(half() >>> 1) - (1 << WEIGHT_SHIFT)));
    let n = <usize>plan(l, L_OUT) << 2;
    for (let p: usize = 0; p < n; p += 4) {
      store<i32>(<usize>plan(l, L_BIAS) + p, 0);
      store<i32>(<usize>plan(l, L_MEAN) + p, 0);
      store<i32>(<usize>plan(l, L_SPREAD) + p, 0);
    }
  }
  store<u32>(state + O_STEP, 0);
  store<i32>(state + O_LR, specLrStart(SPEC) << 16);
  store<u32>(state + O_LOSS, 0);
  rngSave(state + O_RNG);
  ready = true;
  return OK;
}

/** Re-derives the plan from the spec inside a state blob the host has just written. */
function adoptState(): void {
  layout();
  deriveSettings();
  ready = true;
}

/** Per-run settings that follow from the spec: random field width, learning-rate step. */
function deriveSettings(): void {
  setFieldBits(<u32>specRandBits(SPEC));
  let decay = specDecaySteps(SPEC);
  let span = (specLrEnd(SPEC) - specLrStart(SPEC)) << 16;
  lrStep = decay == 0 ? 0 : span / <i32>decay;
}

/** Forgets the model (the protocol's failed restore); initModel or a good blob brings one back. */
export function dropModel(): void { ready = false; }

function labelsValid(n: i32): bool {
  let classes = plan(layers - 1, L_OUT);
  for (let b = 0; b < n; b++) if (<i32>load<u8>(labels + <usize>b) >= classes) return false;
  return true;
}

/**
 * Forward pass of all layers on n samples; returns the scores buffer. `stochastic`: sampled
 * weights (and rows kept for backprop), else deterministic ones. `batchStats`: normalise with
 * this batch's statistics and move the running ones (`first`: set them), else use them.
 */
function forward(n: i32, stochastic: bool, batchStats: bool, first: bool): usize {
  for (let l = 0; l < layers; l++) {
    let buf = <usize>plan(l, L_BUF);
    denseForward(<usize>plan(l, L_X), plan(l, L_IN), n, <usize>plan(l, L_W), plan(l, L_OUT), mode,
      stochastic, buf, rowPos, rowNeg, stochastic ? <usize>plan(l, L_KEPT) : 0);
    normForward(buf, plan(l, L_OUT), n, log2Batch, plan(l, L_SHIFT), <usize>plan(l, L_BIAS),
      <usize>plan(l, L_MEAN), <usize>plan(l, L_SPREAD), <usize>plan(l, L_K), batchStats, first,
      <usize>plan(l, L_Y));
  }
  return <usize>plan(layers - 1, L_BUF);
}

/**
 * Re-estimates the running normalisation statistics with the deterministic weights that
 * inference uses (training collected them with sampled weights). `fresh`: restart them
 * from this batch. Full batches only. Returns the number classified right.
 */
export function calibrateBatch(n: i32, fresh: bool): i32 {
  if (!ready) return E_NOT_READY;
  if (n != batch || !labelsValid(n)) return E_BATCH;
  let scores = forward(n, false, true, fresh);
  return countCorrect(scores, labels, plan(layers - 1, L_OUT), n);
}

/**
 * One training step on the batch at inputsPtr()/labelsPtr() (n must be the batch size).
 * Returns how many samples the sampled network classified right before the update.
 */
export function trainBatch(n: i32): i32 {
  if (!ready) return E_NOT_READY;
  if (n != batch || !labelsValid(n)) return E_BATCH;
  rngLoad(state + O_RNG);
  resetStreams();
  let step = load<u32>(state + O_STEP);
  let lr = load<i32>(state + O_LR);
  let lrShift = (lr >> 16) + (<i32>half() < (lr & 0xFFFF) ? 1 : 0); // dithered fractional shift

  let scores = forward(n, true, true, step == 0);
  let nLast = plan(layers - 1, L_OUT);
  let correct = countCorrect(scores, labels, nLast, n);
  hingeBackward(scores, labels, nLast, n);

  let exponent = -OUTPUT_SHIFT;
  for (let l = layers - 1; l >= 0; l--) {
    let d = <usize>plan(l, L_BUF);
    let nOut = plan(l, L_OUT), nIn = plan(l, L_IN);
    exponent = normBackward(d, nOut, n, log2Batch, <usize>plan(l, L_K), <usize>plan(l, L_BIAS),
      exponent, plan(l, L_SHIFT), lrShift, <usize>plan(l, L_MEANS));
    let lo = plan(l, L_LO);
    let shift = exponent + (qbp ? lo : 0) + WEIGHT_SHIFT - lrShift - log2Batch + plan(l, L_BOOST);
    if (l > 0) {
      denseBackward(d, nOut, n, <usize>plan(l, L_KEPT), nIn, mode, <usize>plan(l - 1, L_Y),
        <usize>plan(l - 1, L_BUF));
    }
    denseUpdate(<usize>plan(l, L_X), nIn, n, d, nOut, <usize>plan(l, L_W), acc, qbp, lo,
      plan(l, L_HI), shift);
    // The sums above are w.r.t. integer activations (one = 2^HIDDEN_SHIFT): rescale to the
    // real-valued error the next normalisation step expects.
    exponent += HIDDEN_SHIFT;
  }

  let decay = specDecaySteps(SPEC);
  if (step < decay) store<i32>(state + O_LR, lr + lrStep);
  store<u32>(state + O_STEP, step + 1);
  store<u32>(state + O_LOSS, lastLossSum());
  rngSave(state + O_RNG);
  return correct;
}

/** Accuracy of the deterministic network (signs, running statistics) on n <= batch samples. */
export function evalBatch(n: i32): i32 {
  if (!ready) return E_NOT_READY;
  if (n < 1 || n > batch || !labelsValid(n)) return E_BATCH;
  let scores = forward(n, false, false, false);
  return countCorrect(scores, labels, plan(layers - 1, L_OUT), n);
}

/** Predicted class of each of n samples after evalBatch, written as uint8 over the labels. */
export function predictBatch(n: i32): i32 {
  if (!ready) return E_NOT_READY;
  if (n < 1 || n > batch) return E_BATCH;
  let scores = forward(n, false, false, false);
  let nLast = plan(layers - 1, L_OUT);
  let row = scores;
  for (let b = 0; b < n; b++) {
    store<u8>(labels + <usize>b, <u8>argmax(row, nLast));
    row += <usize>nLast << 2;
  }
  return n;
}



/** CRC-32 of the state blob, also sealed into its header (so a copy of the blob is valid). */
export function stateDigest(): u32 {
  return ready ? sealState(state, stateBytes) : 0;
}

/**
 * Adopts the blob the host wrote at statePtr() after initModel with its spec: 0, or a
 * negative status and no model (training refuses until a good blob or init).
 */
export function stateCommit(): i32 {
  let status = checkState(state, stateBytes);
  if (status == OK) adoptState(); else dropModel();
  return status;
}
