// Reply cache: the encoded replies to the last WINDOW sequence numbers, so that a retransmitted
// request is answered again without being executed again (a batch never trains twice).
// Replies live in a byte ring; slot (seq mod WINDOW) remembers where. A reply that wraps the
// ring evicts the slots it overwrites; the host's reply budget keeps a window's replies intact.
import { HIST_CAP, WINDOW } from "./config";
import { txAppend } from "./tx";
import { copyBytes, zeroWords } from "../bytes";

const HIST: usize = memory.data(HIST_CAP);
// Per slot: seq u16, offset u16, length u16, valid u16.
const SLOTS: usize = memory.data(WINDOW << 3, 4);
let head: i32 = 0;

// @ts-ignore: decorator
@inline function slot(seq: u16): usize { return SLOTS + (<usize>(seq & <u16>(WINDOW - 1)) << 3); }

// @ts-ignore: decorator
@inline export function cacheClear(): void {
  zeroWords(SLOTS, <usize>(WINDOW << 3));
  head = 0;
}

// @ts-ignore: decorator (inlined into its one caller: fewer module bytes)
@inline export function cachePut(seq: u16, src: usize, n: i32): void {
  let s = slot(seq);
  store<u16>(s, 0, 6);
  if (n > HIST_CAP) return;
  if (n > HIST_CAP - head) head = 0;
  // Evict every cached reply that overlaps the bytes about to be written.
  for (let i = 0; i < WINDOW; i++) {
    let t = SLOTS + (<usize>i << 3);
    if (load<u16>(t, 6) == 0) continue;
    let off = <i32>load<u16>(t, 2);
    let len = <i32>load<u16>(t, 4);
    if (off < head + n && head < off + len) store<u16>(t, 0, 6);
  }
  copyBytes(HIST + <usize>head, src, <usize>n);
  store<u16>(s, seq);
  store<u16>(s, <u16>head, 2);
  store<u16>(s, <u16>n, 4);
  store<u16>(s, 1, 6);
  head += n;
}

/** Re-emits the cached reply to seq; false if it was never cached or has been evicted. */
export function cacheReplay(seq: u16): bool {
  let s = slot(seq);
  if (load<u16>(s, 6) == 0 || load<u16>(s) != seq) return false;
  return txAppend(HIST + <usize>load<u16>(s, 2), <i32>load<u16>(s, 4));
}
