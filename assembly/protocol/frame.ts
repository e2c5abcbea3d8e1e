// Link layer: turns the byte stream into checked frames and decides, from the sequence
// number, whether a frame is new (execute), a retransmission (replay the cached reply) or out
// of order after a loss (drop silently: the host goes back to the lost frame on its own).
import { CRC_LEN, FRAME_MAX, HEADER_LEN, MIN_FRAME, WINDOW } from "./config";
import {
  cobsDecodeByte, cobsDecodeStart, cobsLength, cobsOverflow, cobsStarted, cobsTruncated,
} from "./cobs";
import { crc32 } from "./crc32";
import { CMD_HELLO, CMD_NAK } from "./opcodes";
import { E_NOSYNC, E_STALE, NAK_COBS, NAK_CRC, NAK_SHORT, NAK_TOO_LONG } from "./status";
import { replyBegin, replyFinish } from "./reply";
import { cacheClear, cacheReplay } from "./replay";
import { execute } from "./commands";

const FRAME: usize = memory.data(FRAME_MAX);
/** False after boot until a HELLO: the device cannot know which seq the host expects. */
let synced = false;
/** Next sequence number to execute. */
let expected: u16 = 0;

export function linkReset(): void {
  synced = false;
  expected = 0;
  cacheClear();
  cobsDecodeStart(FRAME, FRAME_MAX);
}

export function linkByte(b: u8): void {
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

function frameEnd(): void {
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
    // HELLO ends whatever session came before. Accepted, it starts a new sequence after its
    // own seq; refused (another protocol version), the device waits for a HELLO it accepts.
    cacheClear();
    synced = execute(seq, cmd, body, bodyLen) == 0;
    expected = seq + 1;
    return;
  }
  if (!synced) {
    replyBegin(seq, cmd);
    replyFinish(E_NOSYNC, false);
    return;
  }
  let ahead = <u16>(seq - expected);
  if (ahead == 0) {
    expected++;
    execute(seq, cmd, body, bodyLen);
  } else if (<i32>ahead >= 0x10000 - WINDOW) {
    if (!cacheReplay(seq)) { replyBegin(seq, cmd); replyFinish(E_STALE, false); }
  }
  // else: ahead of a lost frame, dropped; its go-back retransmission arrives in order.
}
