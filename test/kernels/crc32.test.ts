import test from "ava";
import { Gen } from "./gen.ts";
import { crc32 } from "./oracle.ts";
import { fresh, k, put } from "./wasm.ts";

test.beforeEach(() => fresh());

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const wasmCrc = (bytes: Uint8Array, crc = 0) => k.crc32(crc, put(bytes), bytes.length) >>> 0;

test("crc32 of \"123456789\" is the IEEE check value 0xCBF43926", (t) => {
  t.is(wasmCrc(ascii("123456789")), 0xCBF43926);
  t.is(crc32(ascii("123456789")), 0xCBF43926);
});

test("crc32 of the empty string is 0 and of \"a\" is 0xE8B7BE43", (t) => {
  t.is(wasmCrc(new Uint8Array(0)), 0);
  t.is(wasmCrc(ascii("a")), 0xE8B7BE43);
  t.is(crc32(ascii("a")), 0xE8B7BE43);
});

test("crc32 continues across chunks: crc(crc(\"1234\"), \"56789\") = crc(\"123456789\")", (t) => {
  t.is(wasmCrc(ascii("56789"), wasmCrc(ascii("1234"))), 0xCBF43926);
});

test("crc32 matches the bitwise oracle on random buffers up to 64 KiB", (t) => {
  const g = new Gen(80);
  for (const n of [1, 2, 3, 7, 64, 255, 1000, 4097, 65536]) {
    const bytes = Uint8Array.from({ length: n }, () => g.int(0, 255));
    const start = g.u32();
    t.is(wasmCrc(bytes), crc32(bytes), `length ${n}`);
    t.is(wasmCrc(bytes, start), crc32(bytes, start), `length ${n} continued from ${start}`);
  }
});
