// The device module's memory plan for a spec, tensor by tensor: the arena that
// assembly/model.ts lays out (layout(), drawn in assembly/arena.ts), in the same order.
// The module itself only reports the total (required_bytes); the part below the arena is
// its static data and stack. test/report/memory-plan.test.ts checks the sum against the
// module for several specs.
import type { ModelSpec } from "../module/spec.ts";
import { ONLINE_BATCH } from "../module/state-layout.ts";

export interface PlanEntry {
  name: string;
  bytes: number;
  /** "static": the module's data and stack below the arena; "state": the saved model
   * (the state blob); "scratch": training buffers. */
  part: "static" | "state" | "scratch";
}

const align4 = (n: number) => (n + 3) & ~3;
const wordsFor = (n: number) => (n + 31) >> 5;
/** State header and counters (assembly/state.ts HEADER_BYTES + COUNTERS_BYTES). */
const STATE_HEAD = 64 + 32;

/** The arena's tensors for `spec`, in address order (without the static part). */
export function arenaPlan(spec: ModelSpec): PlanEntry[] {
  const L = spec.sizes.length - 1, B = spec.batch, tc = spec.mode === "tc";
  const out: PlanEntry[] = [{ name: "state header, PRNG, counters", bytes: STATE_HEAD, part: "state" }];
  const n = (l: number) => spec.sizes[l + 1];
  for (let l = 0; l < L; l++) {
    out.push({ name: `layer ${l} latent weights int16[${spec.sizes[l]}][${n(l)}]`, bytes: align4(2 * spec.sizes[l] * n(l)), part: "state" });
    out.push({ name: `layer ${l} bias, running mean, running spread`, bytes: 3 * 4 * n(l), part: "state" });
    if (B < ONLINE_BATCH) out.push({ name: `layer ${l} running error mean, projection, exponent (online normalisation)`, bytes: 8 * n(l) + 4, part: "state" });
  }
  out.push({ name: `batch inputs uint8[${B}][${spec.sizes[0]}]`, bytes: align4(spec.sizes[0] * B), part: "scratch" });
  out.push({ name: `batch labels uint8[${B}]`, bytes: align4(B), part: "scratch" });
  let maxOut = 0, maxHidden = 0;
  for (let l = 0; l < L; l++) {
    maxOut = Math.max(maxOut, n(l));
    if (l < L - 1) maxHidden = Math.max(maxHidden, n(l));
    out.push({ name: `layer ${l} unit scales`, bytes: 4 * n(l), part: "scratch" });
    if (l > 0) out.push({ name: `layer ${l} kept sampled rows`, bytes: 4 * (spec.sizes[l] * wordsFor(n(l)) * (tc ? 2 : 1)), part: "scratch" });
    if (l < L - 1) out.push({ name: `layer ${l} activations uint8[${B}][${n(l)}]`, bytes: align4(n(l) * B), part: "scratch" });
  }
  out.push({ name: "row bits, row sums", bytes: 2 * 4 * wordsFor(maxOut) + 4 * (maxOut + B), part: "scratch" });
  out.push({ name: `sums and errors int32[${B}][${maxOut}] (ping)`, bytes: 4 * maxOut * B, part: "scratch" });
  const pong = L > 2 ? maxHidden : n(L - 1);
  out.push({ name: `sums and errors int32[${B}][${pong}] (pong)`, bytes: 4 * pong * B, part: "scratch" });
  if (L === 1) out.push({ name: `scores copy int32[${B}][${n(0)}]`, bytes: 4 * n(0) * B, part: "scratch" });
  return out;
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
