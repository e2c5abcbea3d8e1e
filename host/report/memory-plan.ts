// The device module's memory plan for a spec, tensor by tensor: the arena the module lays out
// (assembly/shared/arena.ts, through host/module/arena.ts), named. The module itself only
// reports the total (required_bytes); the part below the arena is its static data and stack.
// test/report/memory-plan.test.ts checks the sum against the module for several specs.
import * as A from "../../assembly/shared/arena.ts";
import { arenaTensors } from "../module/arena.ts";
import { type ModelSpec, type PlannedWeightLayer, weightLayers } from "../module/spec.ts";

export interface PlanEntry {
  name: string;
  bytes: number;
  /** "static": the module's data and stack below the arena; "state": the saved model
   * (the state blob); "scratch": training buffers. */
  part: "static" | "state" | "scratch";
}

/** What each arena tensor is called, for layer l (n: input bytes per sample, w: the weight layers, B: batch). */
function tensorName(tensor: number, l: number, n0: number, w: PlannedWeightLayer[], B: number): string {
  const rows = (y: PlannedWeightLayer) => (y.pixels > 1 ? `${B}·${y.pixels}` : `${B}`);
  switch (tensor) {
    case A.A_STATE_HEAD: return "state header, PRNG, counters";
    case A.A_WEIGHTS: return `layer ${l} latent weights int16[${w[l].nIn}][${w[l].nOut}]`;
    case A.A_BIAS: return `layer ${l} bias`;
    case A.A_MEAN: return `layer ${l} running mean`;
    case A.A_SPREAD: return `layer ${l} running spread`;
    case A.A_ONLINE: return `layer ${l} running error mean, projection, exponent (online normalisation)`;
    case A.A_INPUTS: return `batch inputs uint8[${B}][${n0}]`;
    case A.A_LABELS: return `batch labels uint8[${B}]`;
    case A.A_SCALES: return `layer ${l} unit scales`;
    case A.A_KEPT: return `layer ${l} kept sampled rows`;
    case A.A_ACTIVATIONS: return `layer ${l} activations uint8[${rows(w[l])}][${w[l].nOut}]`;
    case A.A_POOLED: return `layer ${l} pooled activations uint8[${B}·${w[l].pixels >> 2}][${w[l].nOut}]`;
    case A.A_PATCH_ERRORS: return "conv patch errors int32[width][9·cin] (one image row)";
    case A.A_ROW_POS: return "row bits (+1)";
    case A.A_ROW_NEG: return "row bits (-1)";
    case A.A_ROW_SUMS: return "row sums, update samples (conv nets: int64 totals)";
    case A.A_PING: return "sums and errors (ping; conv nets: also patches)";
    case A.A_PONG: return "sums and errors (pong; conv nets: also patches)";
    case A.A_SCORES: return "scores copy";
  }
  throw new Error(`arena tensor ${tensor} has no name`);
}

/** The arena's tensors for `spec`, in address order (without the static part). */
export function arenaPlan(spec: ModelSpec): PlanEntry[] {
  let state = true;
  const layers = weightLayers(spec);
  return arenaTensors(spec).map(({ tensor, layer, bytes }) => {
    if (tensor === A.A_INPUTS) state = false;
    return { name: tensorName(tensor, layer, spec.sizes[0], layers, spec.batch), bytes, part: state ? "state" : "scratch" };
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

/**
 * The weight layer that needs the most bytes: its own tensors, its int32 sums and errors and
 * (conv) its patches; what a refusal (E_NOMEM) names.
 */
export function largestLayer(spec: ModelSpec): { layer: number; label: string; bytes: number } {
  const layers = weightLayers(spec), B = spec.batch;
  const sum = layers.map((y) => 4 * B * y.pixels * y.nOut + (y.conv ? B * y.pixels * y.nIn : 0));
  for (const t of arenaTensors(spec)) if (t.layer >= 0) sum[t.layer] += t.bytes;
  const layer = sum.indexOf(Math.max(...sum));
  return { layer, label: layers[layer].label, bytes: sum[layer] };
}

/** The E_NOMEM refusal's clause: `layer "c8-p" (weight layer 1) needs the most, 540 KiB of 700 KiB planned`. */
export function needsMost(spec: ModelSpec): string {
  const top = largestLayer(spec);
  const total = arenaPlan(spec).reduce((a, e) => a + e.bytes, 0);
  const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;
  return `layer "${top.label}" (weight layer ${top.layer + 1}) needs the most, ${kib(top.bytes)} of ${kib(total)} planned`;
}
