// Builds one reply frame: header, body written by a handler, status, CRC; then COBS-encodes
// it, caches it under its seq (unless told not to) and queues it for the firmware.
import { CRC_LEN, ENC_MAX, FRAME_MAX, REPLY_HEADER_LEN } from "./config";
import { crc32 } from "./crc32";
import { cobsEncode } from "./cobs";
import { cachePut } from "./replay";
import { txAppend } from "./tx";
import { REPLY_BIT } from "./opcodes";

const PAYLOAD: usize = memory.data(FRAME_MAX);
const ENC: usize = memory.data(ENC_MAX);
// a literal: the imported constant made this global's initialiser a start function (11 bytes)
let pos: i32 = 4;
// @ts-ignore: compile-time check
if (REPLY_HEADER_LEN != 4) ERROR("pos starts at REPLY_HEADER_LEN");
let seq: u16 = 0;

/** Starts a reply to (seq, cmd); a NAK passes its own cmd byte as the reply cmd. */
export function replyBegin(s: u16, cmd: u8, isNak: bool = false): void {
  seq = s;
  store<u16>(PAYLOAD, s);
  store<u8>(PAYLOAD, isNak ? cmd : cmd | REPLY_BIT, 2);
  pos = REPLY_HEADER_LEN;
}

/** Body bytes still free in this reply. */
export function replyRoom(): i32 { return FRAME_MAX - CRC_LEN - pos; }
/** Where the next body bytes go, for handlers that copy bulk data in (then call replySkip). */
// @ts-ignore: decorator
@inline export function replyCursor(): usize { return PAYLOAD + <usize>pos; }
// @ts-ignore: decorator
@inline export function replySkip(n: i32): void { pos += n; }

export function putU8(v: u32): void { store<u8>(PAYLOAD + <usize>pos, <u8>v); pos += 1; }
export function putU16(v: u32): void { store<u16>(PAYLOAD + <usize>pos, <u16>v); pos += 2; }
export function putU32(v: u32): void { store<u32>(PAYLOAD + <usize>pos, v); pos += 4; }

export function replyFinish(status: i32, cache: bool): void {
  store<i8>(PAYLOAD, <i8>status, 3);
  store<u32>(PAYLOAD + <usize>pos, crc32(PAYLOAD, pos));
  // A leading delimiter, as the host sends: noise before the reply ends up in a fragment of
  // its own instead of damaging the reply.
  store<u8>(ENC, 0);
  let n = 1 + cobsEncode(PAYLOAD, pos + CRC_LEN, ENC + 1);
  if (cache) cachePut(seq, ENC, n);
  txAppend(ENC, n);
}
