/// <reference path="./portable.d.ts" preserve="true" />
// The arena: every tensor a spec needs, its size and its place, in address order. The device
// lays out its memory by it (assembly/model.ts), the host draws the memory plan from it
// (host/report/memory-plan.ts). Plain TypeScript that AssemblyScript also compiles.
// A new tensor: its A_* code and take() call here, where model.ts place() keeps its address,
// and its name in memory-plan.ts (a state tensor also in host/module/state-layout.ts).
//
//  __heap_base
//  | state header 64 B | rng, step, lr 32 B | per layer: w int16[nIn][nOut], bias,        |
//  |   running mean, running spread int32[nOut] (, online error terms: batch < 16)      |
//  +------------------------------------------------------------------- state end ------+
//  | batch inputs uint8[B][n0] | labels uint8[B] | per layer: k int32[nOut],             |
//  |   kept rows u32 (layers > 0), activations uint8[B][nOut] (hidden) | row bits | acc | |
//  | ping int32[B][max nOut] | pong int32[B][L > 2 ? max hidden : nL] (| scores copy)    |
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
export const A_ROW_SUMS = 13;   // row sums, then the update's sample list
export const A_PING = 14;       // sums and errors int32[B][max nOut]
export const A_PONG = 15;       // sums and errors of the neighbouring layers
export const A_SCORES = 16;     // one-layer nets: a copy of the scores for the backward pass

/** Bytes a tensor of `bytes` occupies: the arena keeps every tensor 4-byte aligned. */
export function aligned(bytes: i32): i32 { return (bytes + 3) & ~3; }

/** Bit words of a row of n units. */
export function rowWords(n: i32): i32 { return (n + 31) >> 5; }

/**
 * Calls take(tensor, layer, bytes) for each tensor (its bytes aligned) of a net with `layers` layers of widths
 * width(0) .. width(layers), at batch 2^log2Batch, in address order; layer -1 = not per layer.
 * `ternary`: TC mode (two kept bits per weight); `online`: small-batch normalisation state.
 */
export function arenaLayout(
  layers: i32, width: (l: i32) => i32, log2Batch: i32, ternary: boolean, online: boolean,
  take: (tensor: i32, layer: i32, bytes: i32) => void,
): void {
  take(A_STATE_HEAD, -1, STATE_O_LAYERS);
  for (let l = 0; l < layers; l++) {
    let nOut = width(l + 1);
    take(A_WEIGHTS, l, aligned(product(width(l), nOut) << 1));
    take(A_BIAS, l, nOut << 2);
    take(A_MEAN, l, nOut << 2);
    take(A_SPREAD, l, nOut << 2);
    if (online) take(A_ONLINE, l, (nOut << 3) + 4);
  }
  take(A_INPUTS, -1, aligned(width(0) << log2Batch));
  take(A_LABELS, -1, aligned(1 << log2Batch));
  let maxOut = 0, maxHidden = 0;
  for (let l = 0; l < layers; l++) {
    let nOut = width(l + 1);
    if (nOut > maxOut) maxOut = nOut;
    if (l < layers - 1 && nOut > maxHidden) maxHidden = nOut;
    take(A_SCALES, l, nOut << 2);
    if (l > 0) take(A_KEPT, l, product(width(l), rowWords(nOut)) << (ternary ? 3 : 2));
    if (l < layers - 1) take(A_ACTIVATIONS, l, aligned(nOut << log2Batch));
  }
  let nLast = width(layers);
  take(A_ROW_POS, -1, rowWords(maxOut) << 2);
  take(A_ROW_NEG, -1, rowWords(maxOut) << 2);
  take(A_ROW_SUMS, -1, (maxOut + (1 << log2Batch)) << 2);
  take(A_PING, -1, maxOut << (log2Batch + 2));
  take(A_PONG, -1, (layers > 2 ? maxHidden : nLast) << (log2Batch + 2));
  // Deeper nets keep the scores in the buffer of the layer below, whose sums are dead by then.
  if (layers == 1) take(A_SCORES, -1, nLast << (log2Batch + 2));
}
