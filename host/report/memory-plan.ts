// The device module's memory plan for a spec, tensor by tensor: the arena the module lays out
// (assembly/shared/arena.ts, through host/module/arena.ts), named. The module itself only
// reports the total (required_bytes); the part below the arena is its static data and stack.
// test/report/memory-plan.test.ts checks the sum against the module for several specs.
import * as A from "../../assembly/shared/arena.ts";
import { arenaTensors } from "../module/arena.ts";
import type { ModelSpec } from "../module/spec.ts";

export interface PlanEntry {
  name: string;
  bytes: number;
  /** "static": the module's data and stack below the arena; "state": the saved model
   * (the state blob); "scratch": training buffers. */
  part: "static" | "state" | "scratch";
}

/** What each arena tensor is called, for layer l (n: widths, B: batch). */
function tensorName(tensor: number, l: number, n: number[], B: number): string {
  switch (tensor) {
    case A.A_STATE_HEAD: return "state header, PRNG, counters";
    case A.A_WEIGHTS: return `layer ${l} latent weights int16[${n[l]}][${n[l + 1]}]`;
    case A.A_BIAS: return `layer ${l} bias`;
    case A.A_MEAN: return `layer ${l} running mean`;
    case A.A_SPREAD: return `layer ${l} running spread`;
    case A.A_ONLINE: return `layer ${l} running error mean, projection, exponent (online normalisation)`;
    case A.A_INPUTS: return `batch inputs uint8[${B}][${n[0]}]`;
    case A.A_LABELS: return `batch labels uint8[${B}]`;
    case A.A_SCALES: return `layer ${l} unit scales`;
    case A.A_KEPT: return `layer ${l} kept sampled rows`;
    case A.A_ACTIVATIONS: return `layer ${l} activations uint8[${B}][${n[l + 1]}]`;
    case A.A_ROW_POS: return "row bits (+1)";
    case A.A_ROW_NEG: return "row bits (-1)";
    case A.A_ROW_SUMS: return "row sums, update samples";
    case A.A_PING: return "sums and errors (ping)";
    case A.A_PONG: return "sums and errors (pong)";
    case A.A_SCORES: return "scores copy";
  }
  throw new Error(`arena tensor ${tensor} has no name`);
}

/** The arena's tensors for `spec`, in address order (without the static part). */
export function arenaPlan(spec: ModelSpec): PlanEntry[] {
  let state = true;
  return arenaTensors(spec).map(({ tensor, layer, bytes }) => {
    if (tensor === A.A_INPUTS) state = false;
    return { name: tensorName(tensor, layer, spec.sizes, spec.batch), bytes, part: state ? "state" : "scratch" };
  });
}

/**
 * The whole linear memory the module needs: its static part (required minus the arena)
 * then the arena. `required`: the module's required_bytes for the spec.
 */
export function memoryPlan(spec: ModelSpec, required: number): PlanEntry[] {
  const arena = arenaPlan(spec);
  const used = arena.reduce((a, e) => a + e.bytes, 0);
  return [{ name: "module data and stack", bytes: required - used, part: "static" }, ...arena];
}
