// The named tensors of a state blob (docs/model-format.md), to say where two states differ.
import {
  STATE_HEADER_BYTES, STATE_O_DIGEST, STATE_O_LOSS, STATE_O_LR, STATE_O_RESERVED, STATE_O_RNG, STATE_O_SPEC, STATE_O_STEP,
} from "../../assembly/shared/state.ts";
import { A_BIAS, A_INPUTS, A_MEAN, A_ONLINE, A_SPREAD, A_WEIGHTS } from "../../assembly/shared/arena.ts";
import { arenaTensors } from "./arena.ts";
import { decodeSpec, SPEC_BYTES, weightLayers } from "./spec.ts";

/** The spec bytes inside a state blob. */
export const stateSpecBytes = (blob: Uint8Array) => blob.subarray(STATE_O_SPEC, STATE_O_SPEC + SPEC_BYTES);

export interface TensorSlot { name: string; offset: number; count: number; size: 1 | 2 | 4 }

export function stateTensors(blob: Uint8Array): TensorSlot[] {
  const spec = decodeSpec(stateSpecBytes(blob));
  const slots: TensorSlot[] = [
    { name: "header", offset: 0, count: STATE_HEADER_BYTES, size: 1 },
    { name: "rng", offset: STATE_O_RNG, count: 4, size: 4 },
    { name: "step", offset: STATE_O_STEP, count: 1, size: 4 },
    { name: "lr", offset: STATE_O_LR, count: 1, size: 4 },
    { name: "loss", offset: STATE_O_LOSS, count: 1, size: 4 },
    { name: "reserved", offset: STATE_O_RESERVED, count: 1, size: 4 },
  ];
  // The state is the arena up to the batch inputs.
  const weight = weightLayers(spec);
  for (const { tensor, layer: l, offset } of arenaTensors(spec)) {
    if (tensor === A_INPUTS) break;
    const nOut = weight[l]?.nOut;
    const layer = `layer${l}`;
    switch (tensor) {
      case A_WEIGHTS: slots.push({ name: `${layer}.weights`, offset, count: weight[l].nIn * nOut, size: 2 }); break;
      case A_BIAS: slots.push({ name: `${layer}.bias`, offset, count: nOut, size: 4 }); break;
      case A_MEAN: slots.push({ name: `${layer}.running_mean`, offset, count: nOut, size: 4 }); break;
      case A_SPREAD: slots.push({ name: `${layer}.running_spread`, offset, count: nOut, size: 4 }); break;
      case A_ONLINE:
        slots.push({ name: `${layer}.error_mean`, offset, count: nOut, size: 4 });
        slots.push({ name: `${layer}.error_projection`, offset: offset + nOut * 4, count: nOut, size: 4 });
        slots.push({ name: `${layer}.error_exponent`, offset: offset + nOut * 8, count: 1, size: 4 });
        break;
    }
  }
  return slots;
}

/** First differing element of two states of the same spec, or null when identical. */
export function firstDifference(a: Uint8Array, b: Uint8Array): { tensor: string; index: number } | null {
  if (a.length !== b.length) return { tensor: "length", index: Math.min(a.length, b.length) };
  for (const s of stateTensors(a)) {
    // The digest field follows from the rest; skip it.
    for (let i = 0; i < s.count; i++) {
      const o = s.offset + i * s.size;
      if (s.name === "header" && o >= STATE_O_DIGEST && o < STATE_O_DIGEST + 4) continue;
      for (let k = 0; k < s.size; k++) if (a[o + k] !== b[o + k]) return { tensor: s.name, index: i };
    }
  }
  return null;
}
