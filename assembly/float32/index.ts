// Direct exports of the float32 comparison module (same names as assembly/index.ts).
import * as model from "./model";

export function spec_ptr(): usize { return model.specPtr(); }
export function required_bytes(): i32 { return model.requiredBytes(); }
export function init(seedLo: u32, seedHi: u32): i32 { return model.initModel(seedLo, seedHi); }
export function batch_inputs_ptr(): usize { return model.inputsPtr(); }
export function batch_labels_ptr(): usize { return model.labelsPtr(); }
export function train(n: i32): i32 { return model.trainBatch(n); }
export function evaluate(n: i32): i32 { return model.evalBatch(n); }
export function last_loss(): u32 { return model.lastLoss(); }
export function step(): u32 { return model.stepCount(); }
export function set_ternary_layers(mask: i32): void { model.setTernaryLayers(mask); }
