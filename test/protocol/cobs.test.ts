import test from "ava";
import { cobsDecode, cobsEncode, cobsMaxEncoded } from "../../host/protocol/cobs.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (...v: number[]) => Uint8Array.from(v);
const run = (n: number, from = 1) => Uint8Array.from({ length: n }, (_, i) => ((i + from - 1) % 255) + 1);

// Vectors from Cheshire & Baker / the Wikipedia COBS table.
const vectors: [Uint8Array, string][] = [
  [bytes(), "01"],
  [bytes(0), "0101"],
  [bytes(0, 0), "010101"],
  [bytes(0, 0x11, 0), "01021101"],
  [bytes(0x11, 0x22, 0, 0x33), "0311220233"],
  [bytes(0x11, 0x22, 0x33, 0x44), "0511223344"],
  [bytes(0x11, 0, 0, 0), "0211010101"],
];

for (const [raw, enc] of vectors) {
  test(`encodes ${hex(raw) || "empty"} as ${enc}`, (t) => {
    t.is(hex(cobsEncode(raw)), enc);
    t.deepEqual(cobsDecode(Buffer.from(enc, "hex")), raw);
  });
}

test("254 non-zero bytes fill one block", (t) => {
  const raw = run(254);
  const enc = cobsEncode(raw);
  t.is(enc[0], 0xff);
  t.is(enc.length, 256); // code, 254 data, trailing code 01
  t.deepEqual(cobsDecode(enc), raw);
});

test("255 and 508 non-zero bytes span blocks without phantom zeros", (t) => {
  for (const n of [253, 255, 256, 508, 509, 1000]) {
    const raw = run(n);
    const enc = cobsEncode(raw);
    t.false(enc.includes(0));
    t.true(enc.length <= cobsMaxEncoded(n));
    t.deepEqual(cobsDecode(enc), raw, `n=${n}`);
  }
});

test("zero right after a full block", (t) => {
  const raw = Uint8Array.from([...run(254), 0, 7]);
  t.deepEqual(cobsDecode(cobsEncode(raw)), raw);
});

test("random buffers round-trip and never contain 0x00", (t) => {
  let x = 12345;
  for (let k = 0; k < 500; k++) {
    const n = (x = (x * 1103515245 + 12345) >>> 0) % 700;
    const raw = Uint8Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24) & (k & 1 ? 0x0f : 0xff));
    const enc = cobsEncode(raw);
    t.false(enc.includes(0));
    t.deepEqual(cobsDecode(enc), raw);
  }
});

test("malformed input decodes to null", (t) => {
  t.is(cobsDecode(bytes(0x05, 0x11, 0x22)), null, "block runs past the end");
  t.is(cobsDecode(bytes(0x03, 0x00, 0x22)), null, "zero inside a block");
  t.is(cobsDecode(bytes(0x00)), null, "zero code byte");
});
