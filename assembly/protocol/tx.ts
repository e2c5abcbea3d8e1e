// Reply bytes produced by the current io_feed call, read by the firmware at io_tx_ptr.
import { TX_CAP } from "./config";
import { copyBytes } from "../bytes";

export const TX: usize = memory.data(TX_CAP);
let txLen: i32 = 0;

export function txClear(): void { txLen = 0; }
export function txLength(): i32 { return txLen; }

/**
 * Appends a whole encoded frame or nothing: a torn frame would only cost the host a CRC
 * failure, while a missing one is recovered from the reply cache on retransmission.
 */
export function txAppend(src: usize, n: i32): bool {
  if (n > TX_CAP - txLen) return false;
  copyBytes(TX + <usize>txLen, src, <usize>n);
  txLen += n;
  return true;
}
