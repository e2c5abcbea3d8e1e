import test from "ava";
import { crc32 } from "../host/crc32.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

test("check value of CRC-32/ISO-HDLC", (t) => {
  t.is(crc32(ascii("123456789")), 0xcbf43926);
});

test("known vectors", (t) => {
  t.is(crc32(new Uint8Array(0)), 0);
  t.is(crc32(ascii("a")), 0xe8b7be43);
  t.is(crc32(ascii("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  t.is(crc32(new Uint8Array(32)), 0x190a55ad);
  t.is(crc32(new Uint8Array(32).fill(0xff)), 0xff6cab0b);
});

test("continues over split input", (t) => {
  const all = ascii("123456789");
  for (let cut = 0; cut <= all.length; cut++) {
    t.is(crc32(all.subarray(cut), crc32(all.subarray(0, cut))), 0xcbf43926);
  }
});
