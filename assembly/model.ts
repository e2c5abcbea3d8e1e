// The model: plans the arena from the spec, initialises it, runs training and evaluation
// steps. Kernels know nothing of this file; this file knows no transport.
import {
  ONLINE_LOG2_BATCH, ONLINE_LOG2_SAMPLES, RUNNING_SHIFT, RATE_LOG2_BATCH, CALIBRATION_LOG2_SAMPLES,
  WEIGHT_SHIFT, HIDDEN_SHIFT, OUTPUT_SHIFT, QBP_TOP_PIXEL, QBP_TOP_HIDDEN, MODE_TC, MAX_LAYERS,
} from "./config";
import { OK, E_SPEC, E_NOMEM, E_NOT_READY, E_BATCH } from "./errors";
import {
  SPEC, SPEC_BYTES, specValid, specMode, specQbp, specWindow, specLog2Batch, specLayers,
  specLrStart, specLrEnd, specDecaySteps, specRandBits, specSize,
} from "./spec";
import { product } from "./arith";
import { arenaReset, arenaTake, arenaEnd, arenaCommit } from "./arena";
import {
  arenaLayout, A_STATE_HEAD, A_WEIGHTS, A_BIAS, A_MEAN, A_SPREAD, A_ONLINE, A_INPUTS, A_LABELS, A_SCALES,
  A_KEPT, A_ACTIVATIONS, A_ROW_POS, A_ROW_NEG, A_ROW_SUMS, A_PING, A_PONG, A_SCORES,
} from "./shared/arena";
import { half, rngLoad, rngSave, rngSeed, setFieldBits, resetStreams } from "./prng";
import { denseForward, denseBackward } from "./kernels/dense";
import { normForward, normBackward } from "./kernels/norm";
import { denseUpdate } from "./kernels/update";
import { hingeBackward, countCorrect, lastLossSum, argmax } from "./kernels/loss";
import { writeHeader, sealState, checkState, O_RNG, O_STEP, O_LR, O_LOSS } from "./state";

// Per-layer plan: one record of addresses (arena offsets) and sizes per layer, in static memory.
@unmanaged class LayerPlan {
  nIn: i32; nOut: i32;
  w: i32; bias: i32; mean: i32; spread: i32; // state tensors
  k: i32; grad: i32; kept: i32;               // unit scales, online error terms, kept rows
  x: i32; y: i32; buf: i32;                   // layer input, activations, sums/errors buffer
  lo: i32; hi: i32; shift: i32; boost: i32;   // QBP window, output shift, rate boost
}
const PLAN_LOG2_BYTES = 6; // a record is a shift away: 16 fields of 4 bytes
// @ts-ignore: compile-time check (AssemblyScript's static assertion)
if (offsetof<LayerPlan>() != 1 << PLAN_LOG2_BYTES) ERROR("LayerPlan is not 64 bytes");
const PLAN: usize = memory.data(MAX_LAYERS << PLAN_LOG2_BYTES);

// @ts-ignore: decorator
@inline function plan(l: i32): LayerPlan { return changetype<LayerPlan>(PLAN + (<usize>l << PLAN_LOG2_BYTES)); }

let ready = false;
let layers = 0;
let mode = 0;
let qbp = false;
let log2Batch = 0;
let online = false; // batches below 2^ONLINE_LOG2_BATCH normalise with running statistics
let calSteps: u32 = 0;
let batch = 0;
let state: usize = 0;
let stateBytes: u32 = 0;
let inputs: usize = 0;
let labels: usize = 0;
let rowPos: usize = 0;
let rowNeg: usize = 0;
let acc: usize = 0;
let scoresCopy: usize = 0;
let ping: usize = 0; // sums and errors: neighbouring layers alternate between ping and pong
let pong: usize = 0;
let lrStep: i32 = 0; // learning-rate shift increment per step, Q16

export function specPtr(): usize { return SPEC; }
export function isReady(): bool { return ready; }
export function inputsPtr(): usize { return inputs; }
export function labelsPtr(): usize { return labels; }
export function batchSize(): i32 { return batch; }
export function inputCount(): i32 { return ready ? plan(0).nIn : 0; }
export function outputCount(): i32 { return ready ? plan(layers - 1).nOut : 0; }
export function statePtr(): usize { return state; }
export function stateLen(): u32 { return stateBytes; }
export function stepCount(): u32 { return ready ? load<u32>(state + O_STEP) : 0; }
export function lastLoss(): u32 { return ready ? load<u32>(state + O_LOSS) : 0; }

/** Puts one tensor of the arena (assembly/shared/arena.ts) in place and notes where. */
function place(tensor: i32, l: i32, bytes: i32): void {
  let p = arenaTake(<usize>bytes);
  switch (tensor) {
    case A_STATE_HEAD: state = p; break;
    case A_WEIGHTS: plan(l).w = <i32>p; break;
    case A_BIAS: plan(l).bias = <i32>p; break;
    case A_MEAN: plan(l).mean = <i32>p; break;
    case A_SPREAD: plan(l).spread = <i32>p; break;
    case A_ONLINE: plan(l).grad = <i32>p; break;
    case A_INPUTS: inputs = p; break;
    case A_LABELS: labels = p; break;
    case A_SCALES: plan(l).k = <i32>p; break;
    case A_KEPT: plan(l).kept = <i32>p; break;
    case A_ACTIVATIONS: plan(l).y = <i32>p; break;
    case A_ROW_POS: rowPos = p; break;
    case A_ROW_NEG: rowNeg = p; break;
    case A_ROW_SUMS: acc = p; break; // row sums, then the update's sample list
    case A_PING: ping = p; break;
    case A_PONG: pong = p; break;
    case A_SCORES: scoresCopy = p; break;
  }
}

function width(l: i32): i32 { return specSize(SPEC, l); }

/** Lays out the arena for the spec at SPEC; returns its end address, or 0 for a bad spec. */
function layout(): usize {
  if (!specValid()) return 0;
  layers = specLayers(SPEC);
  mode = specMode(SPEC);
  qbp = specQbp(SPEC);
  log2Batch = specLog2Batch(SPEC);
  batch = 1 << log2Batch;
  online = log2Batch < ONLINE_LOG2_BATCH;
  for (let l = 0; l < layers; l++) { plan(l).grad = 0; plan(l).kept = 0; plan(l).y = 0; } // tensors a layer may lack
  arenaReset();
  arenaLayout(layers, width, log2Batch, mode == MODE_TC, online, place);
  stateBytes = <u32>(inputs - state);

  for (let l = 0; l < layers; l++) {
    let nIn = width(l), nOut = width(l + 1);
    plan(l).nIn = nIn; plan(l).nOut = nOut;
    plan(l).x = l == 0 ? <i32>inputs : plan(l - 1).y;
    let top = l == 0 ? QBP_TOP_PIXEL : QBP_TOP_HIDDEN;
    let lo = top - specWindow(SPEC) + 1;
    plan(l).hi = top; plan(l).lo = lo < 0 ? 0 : lo;
    plan(l).shift = l == layers - 1 ? OUTPUT_SHIFT : HIDDEN_SHIFT;
    // BinaryConnect's per-layer rate scale 1/W0^2 ~ (fan_in + fan_out) / 6, as a shift
    // (rate / 8 · (nIn + nOut), rounded down to a power of two).
    plan(l).boost = (31 - clz(nIn + nOut)) - 3;
    // Sums and errors of layer l share one buffer; neighbours alternate so backprop never
    // reads and writes the same one.
    plan(l).buf = <i32>(((layers - 1 - l) & 1) == 0 ? pong : ping);
  }
  // The output layer's backward needs its scores after the loss overwrote them: a copy in the
  // buffer of the layer below, whose sums are dead by then (a one-layer net has its own).
  if (layers > 1) scoresCopy = <usize>plan(layers - 2).buf;
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
    let w = <usize>plan(l).w;
    let end = w + (<usize>product(plan(l).nIn, plan(l).nOut) << 1);
    for (let p = w; p < end; p += 2) store<i16>(p, <i16>(<i32>(half() >>> 1) - (1 << WEIGHT_SHIFT)));
    let n = <usize>plan(l).nOut << 2;
    for (let p: usize = 0; p < n; p += 4) {
      store<i32>(<usize>plan(l).bias + p, 0);
      store<i32>(<usize>plan(l).mean + p, 0);
      store<i32>(<usize>plan(l).spread + p, 0);
    }
    if (online) memory.fill(<usize>plan(l).grad, 0, (<usize>plan(l).nOut << 3) + 4);
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

/** Shift of a running mean's step: floor(log2(steps + 1)) (a plain average) up to `limit`. */
function warmShift(steps: u32, limit: i32): i32 {
  let warm = 31 - clz(steps + 1);
  return warm < limit ? warm : limit;
}

/** Forgets the model (the protocol's failed restore); initModel or a good blob brings one back. */
export function dropModel(): void { ready = false; }

function labelsValid(n: i32): bool {
  let classes = plan(layers - 1).nOut;
  for (let b = 0; b < n; b++) if (<i32>load<u8>(labels + <usize>b) >= classes) return false;
  return true;
}

/**
 * Forward pass of all layers on n samples; returns the scores buffer. `stochastic`: sampled
 * weights (and rows kept for backprop), else deterministic ones. `batchStats`: normalise with
 * this batch's statistics and move the running ones (`first`: set them), else use them.
 */
function forward(n: i32, stochastic: bool, batchStats: bool, first: bool, rate: i32, statShift: i32): usize {
  for (let l = 0; l < layers; l++) {
    let buf = <usize>plan(l).buf;
    denseForward(<usize>plan(l).x, plan(l).nIn, n, <usize>plan(l).w, plan(l).nOut, mode,
      stochastic, buf, rowPos, rowNeg, stochastic ? <usize>plan(l).kept : 0);
    normForward(buf, plan(l).nOut, n, log2Batch, plan(l).shift, <usize>plan(l).bias,
      <usize>plan(l).mean, <usize>plan(l).spread, <usize>plan(l).k, batchStats, first,
      <usize>plan(l).y, rate, statShift);
  }
  return <usize>plan(layers - 1).buf;
}

/**
 * Re-estimates the running normalisation statistics with the deterministic weights that
 * inference uses (training collected them with sampled weights). `fresh`: restart them
 * from this batch. Full batches only. Returns the number classified right.
 */
export function calibrateBatch(n: i32, fresh: bool): i32 {
  if (!ready) return E_NOT_READY;
  if (n != batch || !labelsValid(n)) return E_BATCH;
  calSteps = fresh ? 0 : calSteps + 1;
  // A plain average over the calibration batches (2^-floor(log2(c + 1)) per batch), up to
  // 2^CALIBRATION_LOG2_SAMPLES samples: online or from the batch statistics alike.
  let average = warmShift(calSteps, CALIBRATION_LOG2_SAMPLES - log2Batch);
  let scores = forward(n, false, true, fresh, online ? average : -1, average);
  return countCorrect(scores, labels, plan(layers - 1).nOut, n);
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

  let rate = online ? warmShift(step, ONLINE_LOG2_SAMPLES - log2Batch) : -1;
  let scores = forward(n, true, true, step == 0, rate, RUNNING_SHIFT);
  let nLast = plan(layers - 1).nOut;
  let correct = countCorrect(scores, labels, nLast, n);
  memory.copy(scoresCopy, scores, <usize>nLast << (log2Batch + 2));
  hingeBackward(scores, labels, nLast, n);

  let exponent = -OUTPUT_SHIFT;
  for (let l = layers - 1; l >= 0; l--) {
    let d = <usize>plan(l).buf;
    let nOut = plan(l).nOut, nIn = plan(l).nIn;
    exponent = normBackward(d, nOut, n, log2Batch, <usize>plan(l).k, <usize>plan(l).bias,
      exponent, plan(l).shift, lrShift + RATE_LOG2_BATCH - log2Batch,
      l == layers - 1 ? scoresCopy : <usize>plan(l).y, l < layers - 1, <usize>plan(l).grad, rate);
    let lo = plan(l).lo;
    let shift = exponent + (qbp ? lo : 0) + WEIGHT_SHIFT - lrShift - RATE_LOG2_BATCH + plan(l).boost;
    if (l > 0) {
      denseBackward(d, nOut, n, <usize>plan(l).kept, nIn, mode, <usize>plan(l - 1).y,
        <usize>plan(l - 1).buf);
    }
    denseUpdate(<usize>plan(l).x, nIn, n, d, nOut, <usize>plan(l).w, acc, qbp, lo,
      plan(l).hi, shift);
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
  let scores = forward(n, false, false, false, -1, 0);
  return countCorrect(scores, labels, plan(layers - 1).nOut, n);
}

/** Predicted class of each of n samples after evalBatch, written as uint8 over the labels. */
export function predictBatch(n: i32): i32 {
  if (!ready) return E_NOT_READY;
  if (n < 1 || n > batch) return E_BATCH;
  let scores = forward(n, false, false, false, -1, 0);
  let nLast = plan(layers - 1).nOut;
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
