// The device's arena for a spec, tensor by tensor: the layout the module allocates by
// (assembly/shared/arena.ts, run here as plain TypeScript). Offsets count from the arena's
// start, which is also the start of the state blob.
import { arenaLayout } from "../../assembly/shared/arena.ts";
import { ONLINE_LOG2_BATCH } from "../../assembly/shared/state.ts";
import { type ModelSpec, weightLayers } from "./spec.ts";
import { LAYER_CONV, LAYER_POOL, SHAPE_WIDTH_SHIFT, FIELD_IN, FIELD_OUT } from "../../assembly/shared/arena.ts";

/** One tensor: `tensor` an A_* code, `layer` -1 for tensors not per layer. */
export interface ArenaTensor { tensor: number; layer: number; offset: number; bytes: number }

export function arenaTensors(spec: Pick<ModelSpec, "sizes" | "batch" | "mode" | "conv">): ArenaTensor[] {
  const out: ArenaTensor[] = [];
  let offset = 0;
  const log2Batch = 31 - Math.clz32(spec.batch);
  const w = weightLayers(spec);
  const layerField = (l: number, field: number) => field === FIELD_IN ? w[l].nIn : field === FIELD_OUT ? w[l].nOut
    : w[l].pixels | (w[l].conv ? LAYER_CONV << 16 : 0) | (w[l].pool ? LAYER_POOL << 16 : 0) | (w[l].width << SHAPE_WIDTH_SHIFT);
  arenaLayout(w.length, layerField, spec.sizes[0], log2Batch, spec.mode === "tc", log2Batch < ONLINE_LOG2_BATCH, (tensor, layer, bytes) => {
    out.push({ tensor, layer, offset, bytes });
    offset += bytes;
  });
  return out;
}
