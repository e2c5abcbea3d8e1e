// Link layer (protocol v2): turns the byte stream into checked frames and runs the receiving
// side of selective repeat. Data frames (BATCH_DATA, STATE_WRITE) are taken as they arrive,
// in any order; a command runs only once every frame before it is done, so commands keep the
// order the host sent them in (E_WAIT until then). Each sequence number is executed at most
// once: a retransmission of a done one gets its cached reply again, byte for byte. A frame not
// taken (E_WAIT, E_BUSY) stays "not done" and is executed when it comes again.
// docs/protocol.md §2.
import { CRC_LEN, FRAME_MAX, HEADER_LEN, MIN_FRAME, WINDOW } from "./config";
import {
  cobsDecodeByte, cobsDecodeStart, cobsLength, cobsOverflow, cobsStarted, cobsTruncated,
} from "./cobs";
import { crc32 } from "./crc32";
import { CMD_BATCH_DATA, CMD_HELLO, CMD_NAK, CMD_STATE_READ, CMD_STATE_WRITE, CMD_STATS } from "./opcodes";
import { E_NOSYNC, E_STALE, E_WAIT, NAK_COBS, NAK_CRC, NAK_SHORT, NAK_TOO_LONG } from "./status";
import { replyBegin, replyFinish } from "./reply";
import { cacheClear, cacheReplay } from "./replay";
import { execute, resetBatchBuffer, taken } from "./commands";

const FRAME: usize = memory.data(FRAME_MAX);
/** False after boot until a HELLO: the device cannot know which seqs the host uses. */
let synced = false;
/** Lowest sequence number not done yet: the left edge of the receive window. */
let base: u16 = 0;
/** Bit i set: seq base + i is done (executed, reply cached). Bit 0 is never set for long. */
let done: u64 = 0;

export function linkReset(): void {
  synced = false;
  base = 0;
  done = 0;
  cacheClear();
  resetBatchBuffer();
  cobsDecodeStart(FRAME, FRAME_MAX);
}

// @ts-ignore: decorator (inlined into its one caller: fewer module bytes)
@inline export function linkByte(b: u8): void {
  if (b != 0) { cobsDecodeByte(b); return; }
  frameEnd();
  cobsDecodeStart(FRAME, FRAME_MAX);
}

function nak(reason: u8): void {
  // Only worth sending if a seq can be read; the host treats it as a hint, not a fact.
  if (cobsLength() < 2) return;
  replyBegin(load<u16>(FRAME), CMD_NAK, true);
  replyFinish(reason, false);
}

// @ts-ignore: decorator (inlined into its one caller: fewer module bytes)
@inline function frameEnd(): void {
  if (!cobsStarted()) return; // bare delimiter: idle line or the host flushing noise
  if (cobsOverflow()) { nak(NAK_TOO_LONG); return; }
  if (cobsTruncated()) { nak(NAK_COBS); return; }
  let len = cobsLength();
  if (len < MIN_FRAME) { nak(NAK_SHORT); return; }
  let bodyLen = len - MIN_FRAME;
  if (crc32(FRAME, len - CRC_LEN) != load<u32>(FRAME + <usize>(len - CRC_LEN))) {
    nak(NAK_CRC);
    return;
  }
  let seq = load<u16>(FRAME);
  let cmd = load<u8>(FRAME, 2);
  let body = FRAME + HEADER_LEN;

  if (cmd == CMD_HELLO) {
    // HELLO ends whatever session came before. Accepted, it opens a new window after its own
    // seq; refused (another protocol version), the device waits for a HELLO it accepts.
    cacheClear();
    resetBatchBuffer();
    synced = execute(seq, cmd, body, bodyLen) == 0;
    base = seq + 1;
    done = 0;
    return;
  }
  if (!synced) {
    replyBegin(seq, cmd);
    replyFinish(E_NOSYNC, false);
    return;
  }
  let ahead = <i32>(<u16>(seq - base));
  if (ahead < WINDOW) {
    let bit = <u64>1 << <u64>ahead;
    if ((done & bit) != 0) { replay(seq, cmd, body, bodyLen); return; }
    if (ahead != 0 && cmd != CMD_BATCH_DATA && cmd != CMD_STATE_WRITE) {
      replyBegin(seq, cmd); // a command waits for everything sent before it
      replyFinish(E_WAIT, false);
      return;
    }
    if (!taken(execute(seq, cmd, body, bodyLen))) return; // answered, but not done: resend later
    done |= bit;
    // Slide the window over the done prefix.
    while ((done & 1) != 0) { done >>= 1; base++; }
  } else if (ahead >= 0x10000 - WINDOW) {
    replay(seq, cmd, body, bodyLen); // behind the window: done long ago
  }
  // else: beyond the window, which a host keeping the rules never sends: dropped.
}

/**
 * A retransmission of a done seq: its cached reply. Batch data is not cached (its reply is an
 * empty OK): it is acknowledged again without being written again, since a copy that old may
 * belong to an upload that is gone. A read whose reply was evicted is answered afresh.
 */
function replay(seq: u16, cmd: u8, body: usize, len: i32): void {
  if (cacheReplay(seq)) return;
  // Reads change nothing: an evicted reply is simply computed again.
  if (cmd == CMD_STATE_READ || cmd == CMD_STATS) { execute(seq, cmd, body, len); return; }
  replyBegin(seq, cmd);
  replyFinish(cmd == CMD_BATCH_DATA ? 0 : E_STALE, false);
}
