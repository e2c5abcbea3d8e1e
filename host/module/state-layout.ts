// The named tensors of a state blob (docs/model-format.md), to say where two states differ.
import {
  STATE_HEADER_BYTES, STATE_O_DIGEST, STATE_O_LAYERS, STATE_O_LOSS, STATE_O_LR, STATE_O_RESERVED, STATE_O_RNG, STATE_O_SPEC, STATE_O_STEP,
} from "../../assembly/shared/state.ts";
import { decodeSpec, SPEC_BYTES } from "./spec.ts";

/** The spec bytes inside a state blob. */
export const stateSpecBytes = (blob: Uint8Array) => blob.subarray(STATE_O_SPEC, STATE_O_SPEC + SPEC_BYTES);

export interface TensorSlot { name: string; offset: number; count: number; size: 1 | 2 | 4 }

/** Batches below this normalise online and keep running error statistics (docs/model-format.md). */
export const ONLINE_BATCH = 8;

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
  let at = STATE_O_LAYERS;
  for (let l = 0; l + 1 < spec.sizes.length; l++) {
    const nIn = spec.sizes[l], nOut = spec.sizes[l + 1];
    slots.push({ name: `layer${l}.weights`, offset: at, count: nIn * nOut, size: 2 });
    at += (nIn * nOut * 2 + 3) & ~3;
    for (const t of ["bias", "running_mean", "running_spread"]) {
      slots.push({ name: `layer${l}.${t}`, offset: at, count: nOut, size: 4 });
      at += nOut * 4;
    }
    if (spec.batch < ONLINE_BATCH) {
      slots.push({ name: `layer${l}.error_mean`, offset: at, count: nOut, size: 4 });
      slots.push({ name: `layer${l}.error_projection`, offset: at + nOut * 4, count: nOut, size: 4 });
      slots.push({ name: `layer${l}.error_exponent`, offset: at + nOut * 8, count: 1, size: 4 });
      at += nOut * 8 + 4;
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
