import test from "ava";
import { encodeFrame, FrameDecoder, type DecodedFrame } from "../../host/protocol/frame.ts";

const body = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff);
const good = (frames: DecodedFrame[]) => frames.filter((f) => f.ok);

test("encode then decode one frame", (t) => {
  const d = new FrameDecoder();
  const frames = d.push(encodeFrame(0x1234, 0x04, body(40)));
  t.deepEqual(frames, [{ ok: true, seq: 0x1234, cmd: 0x04, body: body(40) }]);
});

test("a frame split at every possible byte boundary decodes once", (t) => {
  const wire = encodeFrame(7, 3, body(300));
  for (let cut = 0; cut <= wire.length; cut++) {
    const d = new FrameDecoder();
    const frames = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
    t.is(frames.length, 1);
    t.true(frames[0].ok);
  }
});

test("byte-by-byte and several frames per chunk", (t) => {
  const wire = Buffer.concat([encodeFrame(1, 1, body(5)), encodeFrame(2, 2, body(0)), encodeFrame(3, 3, body(600))]);
  const d = new FrameDecoder();
  const oneByOne = [...wire].flatMap((b) => d.push(Uint8Array.of(b)));
  t.deepEqual(good(oneByOne).map((f) => f.ok && f.seq), [1, 2, 3]);
  t.deepEqual(good(new FrameDecoder().push(wire)).map((f) => f.ok && f.seq), [1, 2, 3]);
});

test("garbage between frames never yields a good frame and does not hide the next one", (t) => {
  const d = new FrameDecoder();
  const garbage = Uint8Array.from([0x41, 0x42, 0x00, 0x00, 0x07, 0x99, 0x13, 0x55, 0x00, 0xff, 0x01]);
  const wire = Buffer.concat([encodeFrame(10, 1, body(8)), garbage, Uint8Array.of(0), encodeFrame(11, 1, body(8))]);
  const frames = d.push(wire);
  t.deepEqual(good(frames).map((f) => f.ok && f.seq), [10, 11]);
  t.true(frames.some((f) => !f.ok));
});

test("every single-bit error is reported as a damaged frame, with the seq when it was not hit", (t) => {
  const wire = encodeFrame(0x0502, 6, body(64));
  const reasons = new Set<string>();
  for (let i = 0; i < wire.length - 1; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const w = Uint8Array.from(wire);
      w[i] ^= 1 << bit;
      const frames = new FrameDecoder().push(Uint8Array.from([...w, 0]));
      const where = `byte ${i} bit ${bit}`;
      // a flip to 0x00 cuts the frame in two: both parts are damaged, neither vanishes
      t.true(frames.length >= 1 && frames.every((f) => !f.ok), where);
      for (const f of frames) if (!f.ok) reasons.add(f.reason);
      // bytes 0..2 are COBS's code byte and the seq; a flip after them leaves the seq readable
      if (i >= 3 && frames.length === 1 && !frames[0].ok && frames[0].reason === "crc") t.is(frames[0].seq, 0x0502, where);
    }
  }
  t.deepEqual([...reasons].sort(), ["cobs", "crc"]);
  const w = Uint8Array.from(wire);
  w[10] ^= 0x10;
  t.deepEqual(new FrameDecoder().push(w), [{ ok: false, reason: "crc", seq: 0x0502 }]);
});

test("frames over maxFrame are rejected and the decoder recovers", (t) => {
  const d = new FrameDecoder({ maxFrame: 64 });
  const frames = d.push(Buffer.concat([encodeFrame(1, 1, body(200)), encodeFrame(2, 1, body(57))]));
  t.is(frames.length, 2);
  t.like(frames[0], { ok: false, reason: "long", seq: 1 });
  t.like(frames[1], { ok: true, seq: 2 });
  t.like(d.push(encodeFrame(3, 1, body(58))), [{ ok: false, reason: "long" }]);
});

test("short frames and empty frames", (t) => {
  const d = new FrameDecoder();
  t.deepEqual(d.push(Uint8Array.of(0, 0, 0)), [], "bare delimiters are idle line");
  t.like(d.push(Uint8Array.of(0x03, 0x01, 0x02, 0x00)), [{ ok: false, reason: "short", seq: 0x0201 }]);
});

test("bad options throw a TypeError naming the option", (t) => {
  t.throws(() => new FrameDecoder({ maxFrame: 3 }), { instanceOf: TypeError, message: /maxFrame/ });
  t.throws(() => new FrameDecoder({ maxFrame: 1.5 }), { instanceOf: TypeError, message: /maxFrame/ });
  t.throws(() => new FrameDecoder({ maxFrme: 100 } as never), { instanceOf: TypeError, message: /maxFrme/ });
});
