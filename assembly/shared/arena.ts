/// <reference path="./portable.d.ts" preserve="true" />
// The arena: every tensor a spec needs, its size and its place, in address order. The device
// lays out its memory by it (assembly/model.ts), the host draws the memory plan from it
// (host/report/memory-plan.ts). Plain TypeScript that AssemblyScript also compiles.
// A new tensor: its A_* code and take() call here, where model.ts place() keeps its address
// (a per-layer tensor: the LayerPlan field at the index of its code),
// and its name in memory-plan.ts (a state tensor also in host/module/state-layout.ts).
//
//  __heap_base
//  | state header 64 B | rng, step, lr 32 B | per layer: w int16[nIn][nOut], bias,        |
//  |   running mean, running spread int32[nOut] (, online error terms: batch < 16)      |
//  +------------------------------------------------------------------- state end ------+
//  | batch inputs uint8[B][n0] | labels uint8[B] | per layer: k int32[nOut],             |
//  |   kept rows u32 (layers > 0), activations uint8[B·pixels][nOut] (hidden), pooled   |
//  |   ones | row bits | acc | one image row's patch errors (conv layers > 0)          |
//  | ping int32[B·pixels][nOut] | pong (the other layers) (| scores copy)                 |
// A conv layer is a dense layer of nIn = 9·cin inputs over its patches: `pixels` rows per sample.
// Its patches, and the errors it sends down, live in the other buffer of the two (the layer
// below's, whose sums are dead by then): the errors at its start, or, when the layer below is
// pooled, the pooled errors in the last quarter of the space the unpooled ones take (pool.ts
// spreads them in place) with the patches at the start (they end before that quarter:
// 9·cin·pixels bytes against 12·cin·pixels); else the patches after the errors.
//  +------------------------------------------------------------------- arena end ------+
import { product } from "./arith.ts";
import { STATE_O_LAYERS } from "./state.ts";

// The tensors (the first argument of `take`). The state is everything before A_INPUTS.
export const A_STATE_HEAD = 0;  // the state blob's header and counters
export const A_WEIGHTS = 1;     // per layer: latent weights int16[nIn][nOut]
export const A_BIAS = 2;        // per layer: int32[nOut]
export const A_MEAN = 3;        // per layer: running means int32[nOut]
export const A_SPREAD = 4;      // per layer: running spreads int32[nOut]
export const A_ONLINE = 5;      // per layer, batches below 2^ONLINE_LOG2_BATCH: running error means, projection, exponent
export const A_INPUTS = 6;      // batch inputs uint8[B][n0]: the first scratch tensor
export const A_LABELS = 7;      // batch labels uint8[B]
export const A_SCALES = 8;      // per layer: unit scales int32[nOut]
export const A_KEPT = 9;        // per layer above the first: sampled input rows kept for the update
export const A_ACTIVATIONS = 10; // per hidden layer: uint8[B][nOut]
export const A_ROW_POS = 11;    // one row's sampled +1 bits
export const A_ROW_NEG = 12;    // one row's sampled -1 bits (ternary)
export const A_ROW_SUMS = 13;   // row sums, then the update's sample list (, its int64 sums: conv nets)
export const A_PING = 14;       // sums and errors int32[B][max nOut]
export const A_PONG = 15;       // sums and errors of the neighbouring layers
export const A_SCORES = 16;     // one-layer nets: a copy of the scores for the backward pass
export const A_POOLED = 17;     // per pooled conv layer: its pooled activations uint8[B·pixels/4][nOut]
export const A_PATCH_ERRORS = 18; // one image row's patch errors int32[width][9·cin] (conv layers > 0)

/** Rows update.ts sums in its 32-bit lanes at a time (its sample list); a conv layer has more. */
export const CHUNK_LOG2_ROWS = 8;

/** Per-layer flags of the arena's `shape` callback (bits 16-17), and where its image width is. */
export const LAYER_CONV = 1;
export const LAYER_POOL = 2;
export const SHAPE_WIDTH_SHIFT = 20;
/** What arenaLayout's `layer(l, field)` answers: inputs, units, shape (the device's plan record has nIn and nOut at these codes). */
export const FIELD_IN = 0;
export const FIELD_OUT = 6;
export const FIELD_SHAPE = 7;

/** Bytes a tensor of `bytes` occupies: the arena keeps every tensor 4-byte aligned. */
export function aligned(bytes: i32): i32 { return (bytes + 3) & ~3; }

/** Bit words of a row of n units. */
export function rowWords(n: i32): i32 { return (n + 31) >> 5; }

// The callbacks are called from one place each: on the device every call of a callback is an
// indirect call, which wasm2c turns into a range and type check (the Pico's text budget).
function ask(layer: (l: i32, field: i32) => i32, l: i32, field: i32): i32 { return layer(l, field); }
function takeOne(take: (tensor: i32, layer: i32, bytes: i32) => void, tensor: i32, layer: i32, bytes: i32): void {
  take(tensor, layer, bytes);
}

/**
 * Calls take(tensor, layer, bytes) for each tensor (its bytes aligned) of a net with `layers`
 * layers, at batch 2^log2Batch, in address order; layer -1 = not per layer. Layer l maps
 * layer(l, FIELD_IN) inputs (a conv layer's: 9·cin) to layer(l, FIELD_OUT) units at
 * shape & 0xFFFF positions per sample (1 for dense layers), shape = layer(l, FIELD_SHAPE), with
 * its LAYER_* flags in (shape >> 16) & 3 and its image width in shape >> SHAPE_WIDTH_SHIFT;
 * `inputBytes` per sample. `ternary`: TC mode (two kept bits per weight); `online`:
 * small-batch normalisation state.
 */
export function arenaLayout(
  layers: i32, layer: (l: i32, field: i32) => i32,
  inputBytes: i32, log2Batch: i32, ternary: boolean, online: boolean,
  take: (tensor: i32, layer: i32, bytes: i32) => void,
): void {
  takeOne(take, A_STATE_HEAD, -1, STATE_O_LAYERS);
  for (let l = 0; l < layers; l++) {
    let n = ask(layer, l, FIELD_OUT);
    takeOne(take, A_WEIGHTS, l, aligned(product(ask(layer, l, FIELD_IN), n) << 1));
    takeOne(take, A_BIAS, l, n << 2);
    takeOne(take, A_MEAN, l, n << 2);
    takeOne(take, A_SPREAD, l, n << 2);
    if (online) takeOne(take, A_ONLINE, l, (n << 3) + 4);
  }
  takeOne(take, A_INPUTS, -1, aligned(inputBytes << log2Batch));
  takeOne(take, A_LABELS, -1, aligned(1 << log2Batch));
  let maxOut = 0, chunk = 1 << log2Batch;
  let patchErr = 0, pingCells = 0, pongCells = 0, below = 0, belowPooled = true, convNet = false;
  for (let l = 0; l < layers; l++) {
    let n = ask(layer, l, FIELD_OUT), ni = ask(layer, l, FIELD_IN), s = ask(layer, l, FIELD_SHAPE);
    let pixels = s & 0xFFFF, kind = (s >> 16) & 3;
    let cells = product(pixels, n); // outputs per sample
    // in the other buffer: the patches, after the errors it sends down unless those are pooled
    let other = 0;
    if ((kind & LAYER_CONV) != 0) {
      other = ((product(pixels, ni) + 3) >> 2) + (belowPooled ? 0 : below);
      if (l > 0) {
        let band = product(s >> SHAPE_WIDTH_SHIFT, ni);
        if (band > patchErr) patchErr = band;
      }
      chunk = 1 << CHUNK_LOG2_ROWS;
      convNet = true;
    }
    if (n > maxOut) maxOut = n;
    // Sums and errors of layer l live in ping or pong by parity: each sized for its layers.
    if (((layers - 1 - l) & 1) != 0) {
      if (cells > pingCells) pingCells = cells;
      if (other > pongCells) pongCells = other;
    } else {
      if (cells > pongCells) pongCells = cells;
      if (other > pingCells) pingCells = other;
    }
    takeOne(take, A_SCALES, l, n << 2);
    if (l > 0) takeOne(take, A_KEPT, l, product(ni, rowWords(n)) << (ternary ? 3 : 2));
    if (l < layers - 1) takeOne(take, A_ACTIVATIONS, l, aligned(cells << log2Batch));
    belowPooled = (kind & LAYER_POOL) != 0;
    if (belowPooled) takeOne(take, A_POOLED, l, aligned((cells >> 2) << log2Batch));
    below = cells;
  }
  let nLast = ask(layer, layers - 1, FIELD_OUT);
  takeOne(take, A_ROW_POS, -1, rowWords(maxOut) << 2);
  takeOne(take, A_ROW_NEG, -1, rowWords(maxOut) << 2);
  // conv nets: then the int64 sums of update.ts over all the chunks of rows
  takeOne(take, A_ROW_SUMS, -1, (maxOut + chunk + (convNet ? maxOut << 1 : 0)) << 2);
  if (patchErr > 0) takeOne(take, A_PATCH_ERRORS, -1, patchErr << 2);
  // Ping also holds the scores' copy of deeper nets (the buffer of the layer below the output,
  // whose sums are dead by then).
  if (layers > 1 && pingCells < nLast) pingCells = nLast;
  takeOne(take, A_PING, -1, pingCells << (log2Batch + 2));
  takeOne(take, A_PONG, -1, pongCells << (log2Batch + 2));
  if (layers == 1) takeOne(take, A_SCORES, -1, nLast << (log2Batch + 2));
}
