// The slice of the model core the protocol uses, in one place, so that a change of the core's
// internal API touches this file only.
import { arenaEnd } from "../arena";
import {
  specPtr, initModel, isReady, inputsPtr, labelsPtr, batchSize, inputCount, trainBatch,
  lastLoss, evalBatch, statePtr, stateLen, stepCount, calibrateBatch, stateDigest, stateCommit, dropModel,
} from "../model";

export {
  specPtr, initModel, isReady, inputsPtr, labelsPtr, batchSize, inputCount, trainBatch,
  lastLoss, evalBatch, statePtr, stateLen, stepCount, arenaEnd, calibrateBatch, stateDigest, stateCommit, dropModel,
};
