// The slice of the model core the protocol uses, in one place, so that a change of the core's
// internal API touches this file only. Commit and digest follow assembly/index.ts exactly.
import { OK } from "../errors";
import { sealState, checkState } from "../state";
import { arenaEnd } from "../arena";
import {
  specPtr, initModel, isReady, inputsPtr, labelsPtr, batchSize, inputCount, trainBatch,
  lastLoss, evalBatch, statePtr, stateLen, stepCount, adoptState, dropModel, calibrateBatch,
} from "../model";

export {
  specPtr, initModel, isReady, inputsPtr, labelsPtr, batchSize, inputCount, trainBatch,
  lastLoss, evalBatch, statePtr, stateLen, stepCount, arenaEnd, calibrateBatch,
};

/** CRC-32 of the state blob, also sealed into its header (so a copy of the blob is valid). */
export function stateDigest(): u32 {
  return isReady() ? sealState(statePtr(), stateLen()) : 0;
}

/** Adopts the blob written at statePtr: 0, or a negative status and no model. */
export function stateCommit(): i32 {
  let status = checkState(statePtr(), stateLen());
  if (status == OK) adoptState(); else dropModel();
  return status;
}
