// CRC-32 (IEEE 802.3, reflected, 0xEDB88320) of every frame, in the protocol's (ptr, len)
// form: the model's function (assembly/crc32.ts, a 16-entry table of 64 bytes, four bits per
// lookup), so the device holds one table, not two.
import { crc32 as crcContinue } from "../crc32";

// @ts-ignore: decorator
@inline export function crc32(ptr: usize, len: i32): u32 { return crcContinue(0, ptr, <usize>len); }

/** Extends a CRC over more bytes: crc32More(crc32(a), b) == crc32(a ++ b). */
// @ts-ignore: decorator
@inline export function crc32More(crc: u32, ptr: usize, len: i32): u32 { return crcContinue(crc, ptr, <usize>len); }
