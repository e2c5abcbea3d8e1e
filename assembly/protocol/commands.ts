// Command handlers: each parses its body, checks it completely before touching the model,
// and writes its reply body only on success (docs/protocol.md lists every layout).
// Batch data is idempotent and addressed (upload id + offset): it may arrive in any order and
// any number of times. The command that consumes an upload runs after all of it (frame.ts runs
// commands only once every earlier frame is done); data of the next upload waits (E_BUSY)
// until that command has run.
import { product } from "../arith";
import { OK, E_BATCH, E_NOT_READY, E_STATE_CRC } from "../errors";
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
import { E_BATCH_CRC, E_BUSY, E_CMD, E_DIRTY, E_LEN, E_PROTO_VERSION, E_RANGE, E_WAIT } from "./status";
import { bootStatus, dirty, forgetModel, lastBatchId, setDirty, setLastBatchId, setRebootRequest, REBOOT_USB_BOOT } from "./state";
import { putU16, putU32, putU8, replyBegin, replyCursor, replyFinish, replyRoom, replySkip } from "./reply";
import { crc32, crc32More } from "./crc32";
import { checkpointSave } from "./checkpoint";
import { SPEC_BYTES } from "../shared/spec";
import { STATE_O_DIGEST } from "../shared/state";
import * as F from "../shared/frame";
import { copyBytes } from "../bytes";


/** Upload whose data the batch buffer holds (ids grow within a session; 0 = none yet). */
let bufUpload: u32 = 0;
/** The buffer's upload has not been consumed yet: a newer upload must wait (E_BUSY). */
let bufOpen = false;

/** A new session (HELLO): no upload in the buffer. */
// @ts-ignore: decorator
@inline export function resetBatchBuffer(): void { bufUpload = 0; bufOpen = false; }

/** False for the answers that leave a request not done: the host sends it again later. */
// @ts-ignore: decorator
@inline export function taken(status: i32): bool { return status != E_WAIT && status != E_BUSY; }

/**
 * Runs one request and emits its reply. Replies of commands with effects are cached under seq
 * (a retransmission gets them again, never a second execution); batch data is idempotent and
 * answers that leave a request not done are not cached. Returns the status.
 */
export function execute(seq: u16, cmd: u8, body: usize, len: i32): i32 {
  replyBegin(seq, cmd);
  let status = handle(cmd, body, len);
  replyFinish(status, cmd != CMD_BATCH_DATA && taken(status));
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

/**
 * ready u8, dirty u8, step u32, digest u32, lastBatchId u32, stateLen u32 (18 bytes). All
 * zeros without a model. Dirty state has no digest: it is never computed (nor sealed into the
 * blob) over a partly written state, so reading the summary cannot make such a blob valid.
 */
function putSummary(): void {
  let ready = isReady();
  let clean = ready && !dirty;
  putU8(ready ? 1 : 0);
  putU8(ready && dirty ? 1 : 0);
  putU32(clean ? stepCount() : 0);
  putU32(clean ? stateDigest() : 0);
  putU32(clean ? lastBatchId : 0);
  putU32(ready ? stateLen() : 0);
}

function usable(): i32 {
  if (!isReady()) return E_NOT_READY;
  if (dirty) return E_DIRTY;
  return OK;
}

function hello(body: usize, len: i32): i32 {
  if (len != F.HELLO_BODY) return E_LEN;
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
  copyBytes(replyCursor(), specPtr(), SPEC_BYTES);
  replySkip(SPEC_BYTES);
  return OK;
}

function init(body: usize, len: i32): i32 {
  if (len != SPEC_BYTES + F.INIT_SEED_BYTES) return E_LEN;
  // Whatever the outcome, the old model is gone once its spec area is overwritten.
  forgetModel();
  bufOpen = false; // the batch area moves with the new layout
  copyBytes(specPtr(), body, SPEC_BYTES);
  let r = initModel(load<u32>(body, SPEC_BYTES), load<u32>(body, SPEC_BYTES + 4));
  if (r < 0) { forgetModel(); return r; }
  putSummary();
  return OK;
}

// The batch area as the host addresses it: inputs [batchSize][inputCount], then labels.
function inputBytes(): u32 { return <u32>inputCount() << ctz(<u32>batchSize()); }

// @ts-ignore: decorator (inlined into its one caller: fewer module bytes)
@inline function batchData(body: usize, len: i32): i32 {
  if (len < F.BATCH_DATA_HEADER) return E_LEN;
  if (!isReady()) return E_NOT_READY;
  let upload = load<u32>(body);
  let off = load<u32>(body, 4);
  let n = <u32>(len - F.BATCH_DATA_HEADER);
  let src = body + F.BATCH_DATA_HEADER;
  let inBytes = inputBytes();
  let total = inBytes + <u32>batchSize();
  if (off > total || n > total - off) return E_RANGE;
  if (upload < bufUpload || (upload == bufUpload && !bufOpen)) return OK; // consumed: a late copy
  if (upload > bufUpload) {
    // Uploads take the buffer in turn: the one before must have been consumed by its command.
    if (bufOpen || upload != bufUpload + 1) return E_BUSY;
    bufUpload = upload;
    bufOpen = true;
  }
  if (off < inBytes) {
    let k = min(n, inBytes - off);
    copyBytes(inputsPtr() + <usize>off, src, <usize>k);
    src += k; off += k; n -= k;
  }
  if (n > 0) copyBytes(labelsPtr() + <usize>(off - inBytes), src, <usize>n);
  return OK;
}

/** Whether the buffer holds upload `upload` with its first n rows and labels matching `crc`. */
function batchReady(upload: u32, n: i32, crc: u32): i32 {
  if (upload != bufUpload || !bufOpen || batchCrc(n) != crc) return E_BATCH_CRC;
  return OK;
}

/** The command for `upload` runs now: that upload, and every older one, is consumed. */
function consume(upload: u32): void {
  if (upload >= bufUpload) { bufUpload = upload; bufOpen = false; }
}

/** CRC-32 of the first n rows of inputs followed by the first n labels. */
function batchCrc(n: i32): u32 {
  return crc32More(crc32(inputsPtr(), product(n, inputCount())), labelsPtr(), n);
}

// @ts-ignore: decorator (inlined into its one caller: fewer module bytes)
@inline function train(body: usize, len: i32): i32 {
  if (len != F.TRAIN_BODY) return E_LEN;
  let id = load<u32>(body);
  let upload = load<u32>(body, 4);
  let n = <i32>load<u16>(body, 8);
  let r = usable();
  if (r == OK && n != batchSize()) r = E_BATCH;
  if (r != OK) { consume(upload); return r; }
  if (id <= lastBatchId) {
    // Already in the weights (a replay after a reset): ack, do not apply.
    consume(upload);
    putU8(0); putU16(0); putU32(0); putU32(stepCount()); putU32(lastBatchId);
    return OK;
  }
  r = batchReady(upload, n, load<u32>(body, 10));
  consume(upload);
  if (r != OK) return r;
  r = trainBatch(n);
  if (r < 0) return r;
  setLastBatchId(id);
  putU8(1); putU16(<u32>r); putU32(lastLoss()); putU32(stepCount()); putU32(id);
  return OK;
}

/**
 * EVAL's and CALIBRATE's checks (the body starts with the upload u32, n u16 at 4, the batch CRC
 * at `crcAt`): a usable model, an n the command accepts, then the buffer; the upload is consumed
 * whatever the outcome.
 */
function batchChecked(body: usize, n: i32, nValid: bool, crcAt: usize): i32 {
  let upload = load<u32>(body);
  let r = usable();
  if (r == OK && !nValid) r = E_BATCH;
  if (r == OK) r = batchReady(upload, n, load<u32>(body + crcAt));
  consume(upload);
  return r;
}

function evaluate(body: usize, len: i32): i32 {
  if (len != F.EVAL_BODY) return E_LEN;
  let n = <i32>load<u16>(body, 4);
  let r = batchChecked(body, n, n != 0 && n <= batchSize(), 6);
  if (r != OK) return r;
  r = evalBatch(n);
  if (r < 0) return r;
  putU16(<u32>r);
  return OK;
}

/** Re-estimates normalisation statistics on a full batch (changes the state, not the step). */
function calibrate(body: usize, len: i32): i32 {
  if (len != F.CALIBRATE_BODY) return E_LEN;
  let n = <i32>load<u16>(body, 4);
  let r = batchChecked(body, n, n == batchSize(), 7);
  if (r != OK) return r;
  r = calibrateBatch(n, load<u8>(body, 6) != 0);
  if (r < 0) return r;
  putU16(<u32>r);
  return OK;
}

/** True if [off, off + n) lies inside the state blob. */
// @ts-ignore: decorator
@inline function inState(off: u32, n: u32): bool {
  let total = stateLen();
  return off <= total && n <= total - off;
}

function stateRead(body: usize, len: i32): i32 {
  if (len != F.STATE_READ_BODY) return E_LEN;
  if (!isReady()) return E_NOT_READY;
  if (dirty) return E_DIRTY; // a partly written blob is nobody's state: never hand it out
  let off = load<u32>(body);
  let n = <i32>load<u16>(body, 4);
  if (n > replyRoom() - F.STATE_READ_REPLY_HEADER || !inState(off, <u32>n)) return E_RANGE;
  // The digest field in the blob's header is written on demand: a read from the start of
  // the blob seals it, so the copy the host assembles is a valid blob for STATE_WRITE.
  if (off == 0) stateDigest();
  putU32(off);
  copyBytes(replyCursor(), statePtr() + <usize>off, <usize>n);
  replySkip(n);
  return OK;
}

function stateWrite(body: usize, len: i32): i32 {
  if (len < F.STATE_WRITE_HEADER) return E_LEN;
  if (!isReady()) return E_NOT_READY;
  let off = load<u32>(body);
  let n = len - F.STATE_WRITE_HEADER;
  if (!inState(off, <u32>n)) return E_RANGE;
  if (n > 0) { setDirty(true); setLastBatchId(0); }
  copyBytes(statePtr() + <usize>off, body + F.STATE_WRITE_HEADER, <usize>n);
  return OK;
}

/**
 * Adopts the written blob if it passes the model's checks and its digest is the one the host
 * sent (so only a blob the host wrote completely is ever adopted); otherwise no model remains.
 * Without a write since the last commit it only re-labels the live state, if the digests match.
 */
function commit(body: usize, len: i32): i32 {
  if (len != F.STATE_COMMIT_BODY) return E_LEN;
  if (!isReady()) return E_NOT_READY;
  let want = load<u32>(body, 4);
  if (!dirty) {
    if (stateDigest() != want) return E_STATE_CRC;
  } else {
    let r = stateCommit();
    if (r == OK && load<u32>(statePtr(), STATE_O_DIGEST) != want) r = E_STATE_CRC;
    if (r < 0) { forgetModel(); return r; }
  }
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
  if (len != F.REBOOT_BODY) return E_LEN;
  let mode = load<u8>(body);
  if (mode != REBOOT_USB_BOOT) return E_RANGE;
  setRebootRequest(mode);
  return OK;
}
