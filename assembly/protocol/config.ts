// Compile-time sizes and identity of the wire protocol (docs/protocol.md). The host learns
// every limit here in the HELLO reply, so a board with less RAM only changes these numbers.
// Sized so that 784-128-10 at batch 32 trains in 256 KiB of linear memory (~5 KiB of buffers);
// 512-byte frames still carry ~97 % payload (bench:link).

import * as F from "../shared/frame";

/** Wire protocol version; HELLO refuses any other. */
export const PROTOCOL_VERSION: u16 = <u16>F.PROTOCOL_VERSION;
/** Module version (major << 16 | minor << 8 | patch) reported in HELLO. */
export const MODULE_VERSION: u32 = 0x000101; // 0.1.1: REBOOT (0x0C)
/** Build identity reported in HELLO; a release script may patch it, 0 = unversioned build. */
export const BUILD_ID: u32 = 0;

/** Largest decoded frame (seq + cmd + body + crc) the device accepts or sends. */
export const FRAME_MAX: i32 = 512;
/** Largest COBS-encoded frame with its leading and trailing 0x00: one code byte per 254 data bytes. */
export const ENC_MAX: i32 = FRAME_MAX + (FRAME_MAX + 253) / 254 + 2;
/** Raw bytes the firmware may copy to io_rx_ptr per io_feed call (frames are decoded as they stream). */
export const RX_CAP: i32 = 512;
/**
 * Requests the device remembers replies for (a power of two): the host's sliding window.
 * Larger than one batch's frames, so the next batch can stream while a step computes.
 */
export const WINDOW: i32 = 64;
/**
 * Encoded reply bytes the host may have outstanding. The tx buffer and the reply cache are
 * sized from it so that a whole window of replies always fits in both.
 */
export const REPLY_BUDGET: i32 = 1024;
/** Reply bytes produced by one io_feed call; slack above the budget absorbs NAKs of noise. */
export const TX_CAP: i32 = REPLY_BUDGET + 256;
/** Reply cache ring; a ring that wraps wastes at most one frame, hence the extra ENC_MAX. */
export const HIST_CAP: i32 = REPLY_BUDGET + ENC_MAX;

/** Frame layout (assembly/shared/frame.ts). */
export { HEADER_LEN, CRC_LEN, MIN_FRAME, REPLY_HEADER_LEN } from "../shared/frame";
