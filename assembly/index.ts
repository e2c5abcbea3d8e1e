// The device module's exports (docs/device-abi.md). Direct use: Node host, tests, benches.
import * as model from "./model";

/** Address of the 48-byte model spec the host writes before required_bytes/init. */
export function spec_ptr(): usize { return model.specPtr(); }
/** Linear memory the spec needs (bytes, from address 0), or a negative status. Drops the current model. */
export function required_bytes(): i32 { return model.requiredBytes(); }
/** Allocates the model for the spec and seeds it; 0 or a negative status. */
export function init(seedLo: u32, seedHi: u32): i32 { return model.initModel(seedLo, seedHi); }
export function batch_inputs_ptr(): usize { return model.inputsPtr(); }
export function batch_labels_ptr(): usize { return model.labelsPtr(); }
export function batch_size(): i32 { return model.batchSize(); }
/** One training step on a full batch; returns the number classified right, or a negative status. */
export function train(n: i32): i32 { return model.trainBatch(n); }
/** Number classified right by the deterministic network among n <= batch samples. */
export function evaluate(n: i32): i32 { return model.evalBatch(n); }
/**
 * Re-estimates the normalisation statistics used by inference with the deterministic
 * weights, on one full batch (`fresh` = 1 restarts them). Call over some training batches
 * after training, before evaluating or exporting.
 */
export function calibrate(n: i32, fresh: i32): i32 { return model.calibrateBatch(n, fresh != 0); }
/** Writes the deterministic network's predicted classes over the labels buffer. */
export function predict(n: i32): i32 { return model.predictBatch(n); }
/** Squared hinge loss of the last step, summed over the batch, Q8. */
export function last_loss(): u32 { return model.lastLoss(); }
export function step(): u32 { return model.stepCount(); }
export function state_ptr(): usize { return model.statePtr(); }
export function state_len(): u32 { return model.stateLen(); }
/** CRC-32 of the state blob, also written into its header: call before reading the blob. */
export function state_digest(): u32 { return model.stateDigest(); }
/**
 * Adopts the blob the host wrote at state_ptr (after init with the blob's spec).
 * 0, or a negative status and no model (training refuses until a good blob or init).
 */
export function state_commit(): i32 { return model.stateCommit(); }

// Byte pump for firmware and emulators (docs/device-abi.md, docs/protocol.md).
export { boot, io_rx_ptr, io_rx_cap, io_feed, io_tx_ptr } from "./protocol/exports";
