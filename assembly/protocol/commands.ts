// Command handlers: each parses its body, checks it completely before touching the model,
// and writes its reply body only on success (docs/protocol.md lists every layout).
import { product } from "../arith";
import { OK, E_BATCH, E_NOT_READY } from "../errors";
import {
  specPtr, initModel, isReady, inputsPtr, labelsPtr, batchSize, inputCount,
  trainBatch, lastLoss, evalBatch, statePtr, stateLen, stateCommit, stateDigest, stepCount, arenaEnd,
  calibrateBatch,
} from "./model-api";
import {
  BUILD_ID, FRAME_MAX, MODULE_VERSION, PROTOCOL_VERSION, REPLY_BUDGET, WINDOW,
} from "./config";
import {
  CMD_BATCH_DATA, CMD_CHECKPOINT, CMD_EVAL, CMD_HELLO, CMD_INIT, CMD_STATE_COMMIT,
  CMD_STATE_READ, CMD_STATE_WRITE, CMD_STATS, CMD_TRAIN, CMD_CALIBRATE, CMD_REBOOT,
} from "./opcodes";
import { E_BATCH_CRC, E_CMD, E_DIRTY, E_LEN, E_PROTO_VERSION, E_RANGE } from "./status";
import { bootStatus, dirty, lastBatchId, setDirty, setLastBatchId, setRebootRequest, REBOOT_USB_BOOT } from "./state";
import { putU16, putU32, putU8, replyBegin, replyCursor, replyFinish, replyRoom, replySkip } from "./reply";
import { crc32, crc32More } from "./crc32";
import { checkpointSave } from "./checkpoint";
import { SPEC_BYTES } from "../shared/spec";


/** Runs one in-order request and emits its reply (cached under seq). Returns the status. */
export function execute(seq: u16, cmd: u8, body: usize, len: i32): i32 {
  replyBegin(seq, cmd);
  let status = handle(cmd, body, len);
  replyFinish(status, true);
  return status;
}

function handle(cmd: u8, body: usize, len: i32): i32 {
  switch (cmd) {
    case CMD_HELLO: return hello(body, len);
    case CMD_INIT: return init(body, len);
    case CMD_BATCH_DATA: return batchData(body, len);
    case CMD_TRAIN: return train(body, len);
    case CMD_EVAL: return evaluate(body, len);
    case CMD_STATE_READ: return stateRead(body, len);
    case CMD_STATE_WRITE: return stateWrite(body, len);
    case CMD_STATE_COMMIT: return commit(body, len);
    case CMD_CHECKPOINT: return checkpoint(len);
    case CMD_STATS: return stats(len);
    case CMD_CALIBRATE: return calibrate(body, len);
    case CMD_REBOOT: return reboot(body, len);
  }
  return E_CMD;
}

/** Linear memory above static data and the model arena (what a bigger model could still use). */
function freeMemory(): u32 {
  let top = <u64>memory.size() << 16;
  let used = <u64>(isReady() ? arenaEnd() : __heap_base);
  return used >= top ? 0 : <u32>(top - used);
}

/** ready u8, dirty u8, step u32, digest u32, lastBatchId u32, stateLen u32 (18 bytes). */
function putSummary(): void {
  let ready = isReady();
  putU8(ready ? 1 : 0);
  putU8(dirty ? 1 : 0);
  putU32(ready ? stepCount() : 0);
  putU32(ready ? stateDigest() : 0);
  putU32(lastBatchId);
  putU32(ready ? stateLen() : 0);
}

function usable(): i32 {
  if (!isReady()) return E_NOT_READY;
  if (dirty) return E_DIRTY;
  return OK;
}

function hello(body: usize, len: i32): i32 {
  if (len != 2) return E_LEN;
  putU16(PROTOCOL_VERSION); // also in the refusal, so the host can say which version to use
  if (load<u16>(body) != PROTOCOL_VERSION) return E_PROTO_VERSION;
  putU32(MODULE_VERSION);
  putU32(BUILD_ID);
  putU16(FRAME_MAX);
  putU8(WINDOW);
  putU16(REPLY_BUDGET);
  putU32(freeMemory());
  putU8(<u32>bootStatus);
  putSummary();
  memory.copy(replyCursor(), specPtr(), SPEC_BYTES);
  replySkip(SPEC_BYTES);
  return OK;
}

function init(body: usize, len: i32): i32 {
  if (len != SPEC_BYTES + 8) return E_LEN;
  // Whatever the outcome, the old model is gone once its spec area is overwritten.
  setDirty(true);
  memory.copy(specPtr(), body, SPEC_BYTES);
  let r = initModel(load<u32>(body, SPEC_BYTES), load<u32>(body, SPEC_BYTES + 4));
  if (r < 0) return r;
  setDirty(false);
  setLastBatchId(0);
  putSummary();
  return OK;
}

// The batch area as the host addresses it: inputs [batchSize][inputCount], then labels.
function inputBytes(): u32 { return <u32>inputCount() << ctz(<u32>batchSize()); }

function batchData(body: usize, len: i32): i32 {
  if (len < 4) return E_LEN;
  if (!isReady()) return E_NOT_READY;
  let off = load<u32>(body);
  let n = <u32>(len - 4);
  let src = body + 4;
  let inBytes = inputBytes();
  let total = inBytes + <u32>batchSize();
  if (off > total || n > total - off) return E_RANGE;
  if (off < inBytes) {
    let k = min(n, inBytes - off);
    memory.copy(inputsPtr() + <usize>off, src, <usize>k);
    src += k; off += k; n -= k;
  }
  if (n > 0) memory.copy(labelsPtr() + <usize>(off - inBytes), src, <usize>n);
  return OK;
}

/** CRC-32 of the first n rows of inputs followed by the first n labels. */
function batchCrc(n: i32): u32 {
  return crc32More(crc32(inputsPtr(), product(n, inputCount())), labelsPtr(), n);
}

function train(body: usize, len: i32): i32 {
  if (len != 10) return E_LEN;
  let r = usable();
  if (r != OK) return r;
  let id = load<u32>(body);
  let n = <i32>load<u16>(body, 4);
  if (n != batchSize()) return E_BATCH;
  if (id <= lastBatchId) {
    // Already in the weights (a replay after a reset, or a resent TRAIN): ack, do not apply.
    putU8(0); putU16(0); putU32(0); putU32(stepCount()); putU32(lastBatchId);
    return OK;
  }
  if (batchCrc(n) != load<u32>(body, 6)) return E_BATCH_CRC;
  r = trainBatch(n);
  if (r < 0) return r;
  setLastBatchId(id);
  putU8(1); putU16(<u32>r); putU32(lastLoss()); putU32(stepCount()); putU32(id);
  return OK;
}

function evaluate(body: usize, len: i32): i32 {
  if (len != 6) return E_LEN;
  let r = usable();
  if (r != OK) return r;
  let n = <i32>load<u16>(body);
  if (n == 0 || n > batchSize()) return E_BATCH;
  if (batchCrc(n) != load<u32>(body, 2)) return E_BATCH_CRC;
  r = evalBatch(n);
  if (r < 0) return r;
  putU16(<u32>r);
  return OK;
}

/** Re-estimates normalisation statistics on a full batch (changes the state, not the step). */
function calibrate(body: usize, len: i32): i32 {
  if (len != 7) return E_LEN;
  let r = usable();
  if (r != OK) return r;
  let n = <i32>load<u16>(body);
  if (n != batchSize()) return E_BATCH;
  if (batchCrc(n) != load<u32>(body, 3)) return E_BATCH_CRC;
  r = calibrateBatch(n, load<u8>(body, 2) != 0);
  if (r < 0) return r;
  putU16(<u32>r);
  return OK;
}

/** True if [off, off + n) lies inside the state blob. */
function inState(off: u32, n: u32): bool {
  let total = stateLen();
  return off <= total && n <= total - off;
}

function stateRead(body: usize, len: i32): i32 {
  if (len != 6) return E_LEN;
  if (!isReady()) return E_NOT_READY;
  let off = load<u32>(body);
  let n = <i32>load<u16>(body, 4);
  if (n > replyRoom() - 4 || !inState(off, <u32>n)) return E_RANGE;
  // The digest field in the blob's header is written on demand: a read from the start of
  // the blob seals it, so the copy the host assembles is a valid blob for STATE_WRITE.
  if (off == 0) stateDigest();
  putU32(off);
  memory.copy(replyCursor(), statePtr() + <usize>off, <usize>n);
  replySkip(n);
  return OK;
}

function stateWrite(body: usize, len: i32): i32 {
  if (len < 4) return E_LEN;
  if (!isReady()) return E_NOT_READY;
  let off = load<u32>(body);
  let n = len - 4;
  if (!inState(off, <u32>n)) return E_RANGE;
  if (n > 0) setDirty(true);
  memory.copy(statePtr() + <usize>off, body + 4, <usize>n);
  return OK;
}

function commit(body: usize, len: i32): i32 {
  if (len != 4) return E_LEN;
  if (!isReady()) return E_NOT_READY;
  let r = stateCommit();
  if (r < 0) return r; // stays dirty: the blob at statePtr is not a model
  setDirty(false);
  setLastBatchId(load<u32>(body));
  putU32(stepCount());
  putU32(stateDigest());
  return OK;
}

function checkpoint(len: i32): i32 {
  if (len != 0) return E_LEN;
  let r = checkpointSave();
  if (r < 0) return r;
  putU32(<u32>r);
  putU32(stateDigest());
  return OK;
}

function stats(len: i32): i32 {
  if (len != 0) return E_LEN;
  putSummary();
  putU32(isReady() ? lastLoss() : 0);
  return OK;
}

/** REBOOT mode u8: the firmware reboots after sending this reply (io_reboot), if it can. */
function reboot(body: usize, len: i32): i32 {
  if (len != 1) return E_LEN;
  let mode = load<u8>(body);
  if (mode != REBOOT_USB_BOOT) return E_RANGE;
  setRebootRequest(mode);
  return OK;
}
