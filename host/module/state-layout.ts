// The named tensors of a state blob (docs/model-format.md), to say where two states differ.
import { decodeSpec, SPEC_BYTES } from "./spec.ts";

export interface TensorSlot { name: string; offset: number; count: number; size: 1 | 2 | 4 }

/** Batches below this normalise online and keep running error statistics (docs/model-format.md). */
export const ONLINE_BATCH = 8;

export function stateTensors(blob: Uint8Array): TensorSlot[] {
  const spec = decodeSpec(blob.subarray(16, 16 + SPEC_BYTES));
  const slots: TensorSlot[] = [
    { name: "header", offset: 0, count: 64, size: 1 },
    { name: "rng", offset: 64, count: 4, size: 4 },
    { name: "step", offset: 80, count: 1, size: 4 },
    { name: "lr", offset: 84, count: 1, size: 4 },
    { name: "loss", offset: 88, count: 1, size: 4 },
    { name: "reserved", offset: 92, count: 1, size: 4 },
  ];
  let at = 96;
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
    // The digest field (header bytes 12..15) follows from the rest; skip it.
    for (let i = 0; i < s.count; i++) {
      const o = s.offset + i * s.size;
      if (s.name === "header" && o >= 12 && o < 16) continue;
      for (let k = 0; k < s.size; k++) if (a[o + k] !== b[o + k]) return { tensor: s.name, index: i };
    }
  }
  return null;
}
