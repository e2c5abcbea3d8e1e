// The model: plans the arena from the spec, initialises it, runs training and evaluation
// steps. Kernels know nothing of this file; this file knows no transport.
import {
  ONLINE_LOG2_BATCH, ONLINE_LOG2_SAMPLES, ONLINE_WIDE_LOG2_FAN_IN, ONLINE_WIDE_EXTRA_LOG2, RUNNING_SHIFT, RATE_LOG2_BATCH, CALIBRATION_LOG2_SAMPLES, BOOST_LOG2_FANS,
  WEIGHT_SHIFT, HIDDEN_SHIFT, OUTPUT_SHIFT, QBP_TOP_PIXEL, QBP_TOP_HIDDEN, MODE_TC, MODE_FIXED, MAX_LAYERS,
} from "./config";
import { OK, E_SPEC, E_NOMEM, E_NOT_READY, E_BATCH } from "./errors";
import {
  SPEC, SPEC_BYTES, specValid, specMode, specQbp, specWindow, specLog2Batch, specLayers,
  specLrStart, specLrEnd, specDecaySteps, specRandBits, specSize, specHeight, specWidth,
} from "./spec";
import { SIZE_CONV, SIZE_POOL, SIZE_UNITS } from "./shared/spec";
import { product } from "./arith";
import { arenaReset, arenaTake, arenaEnd, arenaCommit } from "./arena";
import {
  arenaLayout, A_STATE_HEAD, A_WEIGHTS, A_BIAS, A_MEAN, A_SPREAD, A_ONLINE, A_INPUTS, A_LABELS, A_SCALES,
  A_KEPT, A_ACTIVATIONS, A_ROW_POS, A_ROW_NEG, A_ROW_SUMS, A_PING, A_PONG, A_SCORES, A_POOLED,
  A_PATCH_ERRORS, LAYER_CONV, SHAPE_WIDTH_SHIFT, FIELD_IN, FIELD_OUT, FIELD_SHAPE,
} from "./shared/arena";
import { half, rngLoad, rngSave, rngSeed, setFieldBits, resetStreams } from "./prng";
import { denseForward, denseBackward } from "./kernels/dense";
import { patches } from "./kernels/conv";
import { pool } from "./kernels/pool";
import { normForward, normBackward } from "./kernels/norm";
import { denseUpdate } from "./kernels/update";
import { hingeBackward, countCorrect, lastLossSum, argmax } from "./kernels/loss";
import { writeHeader, sealState, checkState, O_RNG, O_STEP, O_LR, O_LOSS } from "./state";
import { copyBytes, zeroWords } from "./bytes";

// Per-layer plan: one record of addresses (arena offsets) and sizes per layer, in static memory.
// A conv layer is a dense layer of nIn = 9·cin rows over the patches of its input (one row
// per sample and position: rows = batch·pixels), kernels/conv.ts.
// A tensor the arena places per layer is the field at its A_* code (checked below), and one
// not per layer is that field of record -1 (tensorAt), so place() stores every address alike.
@unmanaged class LayerPlan {
  nIn: i32; w: i32; bias: i32; mean: i32; spread: i32; grad: i32; // state tensors, online error terms
  nOut: i32; x: i32; k: i32; kept: i32; y: i32;  // layer input, unit scales, kept rows, activations
  buf: i32; lo: i32; hi: i32; shift: i32; fansLog2: i32; // sums/errors buffer, QBP window, output shift, the rate boost + 3
  conv: i32; out: i32; pool: i32; h: i32; w_: i32; // conv layer?, next input, pooled?, input height and width
  cin: i32; pixels: i32; patches: i32; down: i32;  // input channels, h·w (1 dense), patches, errors sent down
  pad1: i32; pad2: i32; pad3: i32; pad4: i32; pad5: i32; pad6: i32; pad7: i32;
}
const PLAN_LOG2_BYTES = 7; // a record is a shift away: 32 fields of 4 bytes
// @ts-ignore: compile-time check (AssemblyScript's static assertion)
if (offsetof<LayerPlan>() != 1 << PLAN_LOG2_BYTES) ERROR("LayerPlan is not 128 bytes");
// @ts-ignore: compile-time check
if (offsetof<LayerPlan>("w") != A_WEIGHTS << 2 || offsetof<LayerPlan>("bias") != A_BIAS << 2
  || offsetof<LayerPlan>("mean") != A_MEAN << 2 || offsetof<LayerPlan>("spread") != A_SPREAD << 2
  || offsetof<LayerPlan>("grad") != A_ONLINE << 2 || offsetof<LayerPlan>("k") != A_SCALES << 2
  || offsetof<LayerPlan>("kept") != A_KEPT << 2 || offsetof<LayerPlan>("y") != A_ACTIVATIONS << 2
  // @ts-ignore: compile-time check
  || offsetof<LayerPlan>("out") != A_POOLED << 2
  // @ts-ignore: compile-time check
  || offsetof<LayerPlan>("nIn") != FIELD_IN << 2 || offsetof<LayerPlan>("nOut") != FIELD_OUT << 2) ERROR("LayerPlan fields are not at their tensor codes");
// Record -1 holds the tensors that are not per layer, each at its code's field as well.
const PLAN: usize = memory.data((MAX_LAYERS + 1) << PLAN_LOG2_BYTES) + (1 << PLAN_LOG2_BYTES);

// @ts-ignore: decorator
@inline function plan(l: i32): LayerPlan { return changetype<LayerPlan>(PLAN + (<usize>l << PLAN_LOG2_BYTES)); }
/** Where the arena put a tensor that is not per layer (A_*). */
// @ts-ignore: decorator
@inline function tensorAt(tensor: i32): usize { return load<u32>(PLAN - (1 << PLAN_LOG2_BYTES) + (<usize>tensor << 2)); }

let ready = false;
let layers = 0;
let mode = 0;         // MODE_BC or MODE_TC
let sampled = true;   // training draws its weights (else MODE_FIXED: the deterministic ones)
let qbp = false;
let log2Batch = 0;
let online = false; // batches below 2^ONLINE_LOG2_BATCH normalise with running statistics
let calSteps: u32 = 0;
let batch = 0;
let state: usize = 0;
let stateBytes: u32 = 0;
let inputs: usize = 0;
let labels: usize = 0;
let scoresCopy: usize = 0;
let inputBytes = 0;         // per sample
let lrStep: i32 = 0; // learning-rate shift increment per step, Q16
let windowExtra: i32 = 0; // this training step's E: wide layers' online statistics move by 2^-(rate + E)

export function specPtr(): usize { return SPEC; }
export function isReady(): bool { return ready; }
export function inputsPtr(): usize { return inputs; }
export function labelsPtr(): usize { return labels; }
export function batchSize(): i32 { return batch; }
// @ts-ignore: decorator
@inline export function inputCount(): i32 { return ready ? inputBytes : 0; }
export function outputCount(): i32 { return ready ? plan(layers - 1).nOut : 0; }
export function statePtr(): usize { return state; }
export function stateLen(): u32 { return stateBytes; }
export function stepCount(): u32 { return ready ? load<u32>(state + O_STEP) : 0; }
export function lastLoss(): u32 { return ready ? load<u32>(state + O_LOSS) : 0; }

/** Puts one tensor of the arena (assembly/shared/arena.ts) in place and notes where: in its
 * layer's record (layer -1: not per layer) at the field of its code. */
function place(tensor: i32, l: i32, bytes: i32): void {
  store<i32>(changetype<usize>(plan(l)) + (<usize>tensor << 2), <i32>arenaTake(<usize>bytes));
}

/** What the arena's layout asks of layer l (shared/arena.ts, FIELD_*: nIn and nOut at their codes). */
function layerField(l: i32, field: i32): i32 {
  let p = plan(l);
  if (field == FIELD_SHAPE) return p.pixels | (p.conv << 16) | (p.pool << 17) | (p.w_ << SHAPE_WIDTH_SHIFT);
  return load<i32>(changetype<usize>(p) + (<usize>field << 2));
}

/** Lays out the arena for the spec at SPEC; returns its end address, or 0 for a bad spec. */
function layout(): usize {
  if (!specValid()) return 0;
  layers = specLayers(SPEC);
  mode = specMode(SPEC) & MODE_TC;
  sampled = (specMode(SPEC) & MODE_FIXED) == 0;
  qbp = specQbp(SPEC);
  log2Batch = specLog2Batch(SPEC);
  batch = 1 << log2Batch;
  online = log2Batch < ONLINE_LOG2_BATCH;
  // Each layer's geometry: a conv layer maps 9·cin patch values to cout channels at h·w pixels.
  let h = specHeight(SPEC), w = specWidth(SPEC);
  let c = specSize(SPEC, 0);
  if (h == 0) { h = 1; w = 1; }
  inputBytes = product(product(c, h), w);
  let pooled = 1;
  for (let l = 0; l < layers; l++) {
    let p = plan(l);
    let e = specSize(SPEC, l + 1);
    let conv = (e & SIZE_CONV) != 0;
    let nOut = e & SIZE_UNITS;
    let cells = product(product(c, h), w);
    // Offsets in the other buffer (shared/arena.ts) of the errors this layer sends down (int32
    // [B][cells]) and of its patches: the pooled errors in the last quarter of the unpooled
    // ones, the patches at the start; else the errors at the start, the patches after them.
    let errors = cells << (log2Batch + 2);
    p.down = pooled ? errors + (errors << 1) : 0;
    p.patches = pooled ? 0 : errors;
    p.nIn = conv ? product(9, c) : cells;
    // BinaryConnect's per-layer rate scale 1/W0^2 ~ (fan_in + fan_out) / 6, as a shift: the
    // rate / 8 · (fan_in + fan_out), rounded down to a power of two (a conv's fans 9·cin +
    // 9·cout), the fans counted up to 2^BOOST_LOG2_FANS; the / 8 in trainBatch.
    p.fansLog2 = log2Capped(conv ? product(9, c + nOut) : cells + nOut, BOOST_LOG2_FANS);
    p.nOut = nOut;
    p.conv = conv ? LAYER_CONV : 0;
    p.pool = pooled = (e & SIZE_POOL) != 0 ? 1 : 0;
    p.h = h; p.w_ = w; p.cin = c;
    p.pixels = conv ? product(h, w) : 1;
    if (!conv) { h = 1; w = 1; } else if (p.pool) { h >>= 1; w >>= 1; }
    c = nOut;
    p.grad = 0; p.kept = 0; p.y = 0; // tensors a layer may lack
  }
  arenaReset();
  arenaLayout(layers, layerField, inputBytes, log2Batch, mode == MODE_TC, online, place);
  state = tensorAt(A_STATE_HEAD);
  inputs = tensorAt(A_INPUTS);
  labels = tensorAt(A_LABELS);
  stateBytes = <u32>(inputs - state);
  let ping = tensorAt(A_PING), pong = tensorAt(A_PONG);

  for (let l = 0; l < layers; l++) {
    let p = plan(l);
    let nIn = p.nIn, nOut = p.nOut;
    if (!p.pool) p.out = p.y;
    p.x = l == 0 ? <i32>inputs : plan(l - 1).out;
    let top = l == 0 ? QBP_TOP_PIXEL : QBP_TOP_HIDDEN;
    let lo = top - specWindow(SPEC) + 1;
    p.hi = top; p.lo = lo < 0 ? 0 : lo;
    p.shift = l == layers - 1 ? OUTPUT_SHIFT : HIDDEN_SHIFT;
    // Sums and errors of layer l share one buffer; neighbours alternate so backprop never
    // reads and writes the same one. The other one holds its patches and the errors it sends
    // down (shared/arena.ts).
    p.buf = <i32>(((layers - 1 - l) & 1) == 0 ? pong : ping);
    let other = <i32>(ping + pong) - p.buf;
    p.patches += other; p.down += other;
  }
  // The output layer's backward needs its scores after the loss overwrote them: a copy in the
  // buffer of the layer below, whose sums are dead by then (a one-layer net has its own).
  scoresCopy = layers > 1 ? <usize>plan(layers - 2).buf : tensorAt(A_SCORES);
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

  // everything but the latent weights starts at zero: biases, running statistics, counters
  zeroWords(state, stateBytes);
  writeHeader(state, SPEC, SPEC_BYTES, stateBytes);
  rngSeed(seedLo, seedHi);
  resetStreams();
  for (let l = 0; l < layers; l++) {
    let p = plan(l);
    let w = <usize>p.w;
    let end = w + (<usize>product(p.nIn, p.nOut) << 1);
    for (let a = w; a < end; a += 2) store<i16>(a, <i16>(<i32>(half() >>> 1) - (1 << WEIGHT_SHIFT)));
  }
  store<i32>(state + O_LR, specLrStart(SPEC) << 16);
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

/** min(floor(log2 v), limit) for v >= 1. */
function log2Capped(v: u32, limit: i32): i32 {
  let f = 31 - clz(v);
  return f < limit ? f : limit;
}

/** Forgets the model (the protocol's failed restore); initModel or a good blob brings one back. */
export function dropModel(): void { ready = false; }

function labelsValid(n: i32): bool {
  let classes = outputCount();
  for (let b = 0; b < n; b++) if (<i32>load<u8>(labels + <usize>b) >= classes) return false;
  return true;
}

/**
 * Forward pass of all layers on n samples; returns the scores buffer. `stochastic`: training,
 * sampled weights (MODE_FIXED: the deterministic ones) and rows kept for backprop, else the
 * deterministic weights. `statShift` >= 0: normalise
 * with this batch's statistics and move the running ones by 2^-statShift (0: set them), else
 * (-1) use them; `rate` >= 0: dense layers normalise online, moving them by 2^-rate.
 */
function forward(n: i32, stochastic: bool, rate: i32, statShift: i32): usize {
  for (let l = 0; l < layers; l++) {
    let p = plan(l);
    let buf = <usize>p.buf;
    let rows = product(n, p.pixels);
    denseForward(layerInput(l, n), p.nIn, rows, <usize>p.w, p.nOut, mode,
      stochastic && sampled, buf, tensorAt(A_ROW_POS), tensorAt(A_ROW_NEG), stochastic ? <usize>p.kept : 0);
    normForward(buf, p.nOut, rows, p.shift, <usize>p.bias,
      <usize>p.mean, <usize>p.spread, <usize>p.k,
      <usize>p.y, onlineRate(p.conv != 0, p.nIn, rate, stochastic), statShift);
    if (p.pool) pool(<usize>p.y, p.h, p.w_, p.nOut, n, <usize>p.out, 0);
  }
  return <usize>plan(layers - 1).buf;
}

/**
 * A layer's online rate: none for a conv layer (batch statistics over its positions); a wide
 * dense layer's window longer by this training step's E (`training`: not in calibration).
 */
// @ts-ignore: decorator
@inline function onlineRate(conv: bool, nIn: i32, rate: i32, training: bool): i32 {
  return conv ? -1 : rate + (training && nIn >> ONLINE_WIDE_LOG2_FAN_IN != 0 ? windowExtra : 0);
}

/** Layer l's dense input for n samples: its input, or for a conv layer the patches of it. */
function layerInput(l: i32, n: i32): usize {
  let p = plan(l);
  if (!p.conv) return <usize>p.x;
  patches(<usize>p.x, p.h, p.w_, p.cin, n, <usize>p.patches, false, 0, p.h);
  return <usize>p.patches;
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
  let average = log2Capped(calSteps + 1, CALIBRATION_LOG2_SAMPLES - log2Batch);
  let scores = forward(n, false, online ? average : -1, average); // fresh: average 0, a copy
  return countCorrect(scores, labels, outputCount(), n);
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

  // a running mean's step 2^-floor(log2(steps + 1)): a plain average at first; a wide layer's
  // window doubles with each whole halving of the rate so far, twice at most (a rising rate's
  // negative count: twice too, the unsigned min)
  let rate = online ? log2Capped(step + 1, ONLINE_LOG2_SAMPLES - log2Batch) : -1;
  let halvings = (lr >> 16) - specLrStart(SPEC);
  windowExtra = online ? <i32>min(<u32>halvings, <u32>ONLINE_WIDE_EXTRA_LOG2) : 0;
  let scores = forward(n, true, rate, step == 0 ? 0 : RUNNING_SHIFT); // the first step sets them
  let nLast = outputCount();
  let correct = countCorrect(scores, labels, nLast, n);
  copyBytes(scoresCopy, scores, <usize>nLast << (log2Batch + 2));
  hingeBackward(scores, labels, nLast, n);

  let exponent = -OUTPUT_SHIFT;
  for (let l = layers - 1; l >= 0; l--) {
    let p = plan(l);
    let d = <usize>p.buf;
    let nOut = p.nOut, nIn = p.nIn;
    let rows = product(n, p.pixels);
    let conv = p.conv != 0;
    exponent = normBackward(d, nOut, rows, log2Batch, <usize>p.k, <usize>p.bias,
      exponent, p.shift, lrShift + RATE_LOG2_BATCH - log2Batch,
      l == layers - 1 ? scoresCopy : <usize>p.y, l < layers - 1, <usize>p.grad, onlineRate(conv, nIn, rate, true));
    let lo = p.lo;
    let shift = exponent + (qbp ? lo : 0) + WEIGHT_SHIFT - lrShift - RATE_LOG2_BATCH + p.fansLog2 - 3; // + the boost
    let x = layerInput(l, n);
    // Errors of the layer below's output (pooled ones: of its pooling's output).
    let target = <usize>p.down;
    if (l > 0) {
      if (conv) {
        // One image row at a time: its patch errors, summed back onto the image they came from.
        let cin = p.cin, h = p.h, w = p.w_;
        let image = <usize>product(p.pixels, cin) << 2;
        let dRow = <usize>product(w, nOut) << 2, xRow = <usize>product(w, nIn);
        zeroWords(target, image << log2Batch);
        let patchErrors = tensorAt(A_PATCH_ERRORS);
        let dp = d, xp = x, tp = target;
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < h; y++) {
            denseBackward(dp, nOut, w, <usize>p.kept, nIn, mode, xp, patchErrors);
            patches(tp, h, w, cin, 1, patchErrors, true, y, y + 1);
            dp += dRow; xp += xRow;
          }
          tp += image;
        }
      } else denseBackward(d, nOut, n, <usize>p.kept, nIn, mode, x, target);
    }
    // before the pooling's backward, which overwrites the patches
    denseUpdate(x, nIn, rows, d, nOut, <usize>p.w, tensorAt(A_ROW_SUMS), qbp, lo, p.hi, shift);
    if (l > 0) {
      let below = plan(l - 1);
      if (below.pool) pool(<usize>below.y, below.h, below.w_, below.nOut, n, 0, <usize>below.buf);
    }
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
  let scores = forward(n, false, -1, -1);
  return countCorrect(scores, labels, outputCount(), n);
}

/** Predicted class of each of n samples after evalBatch, written as uint8 over the labels. */
export function predictBatch(n: i32): i32 {
  if (!ready) return E_NOT_READY;
  if (n < 1 || n > batch) return E_BATCH;
  let scores = forward(n, false, -1, -1);
  let nLast = outputCount();
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
