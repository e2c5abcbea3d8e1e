// The device's byte pump driven directly (no session): framing, sequencing and refusals.
import test from "ava";
import { encodeFrame, type GoodFrame } from "../../host/protocol/frame.ts";
import { Writer } from "../../host/protocol/messages.ts";
import { Cmd, NAK, NakReason, PROTOCOL_VERSION, REPLY_BIT } from "../../host/protocol/opcodes.ts";
import { batchCrc } from "../../host/protocol/session.ts";
import { Status } from "../../host/protocol/status.ts";
import { BATCH, batch, feed, INPUTS, openDevice, replies, replyStatus, SPEC } from "./helpers.ts";

const status = replyStatus;
const hello = (seq: number, version = PROTOCOL_VERSION) => encodeFrame(seq, Cmd.HELLO, new Writer(2).u16(version).done());
const stats = (seq: number) => encodeFrame(seq, Cmd.STATS);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
/** A BATCH_DATA frame: upload id, offset, bytes. */
const data = (seq: number, upload: number, offset: number, bytes: Uint8Array) =>
  encodeFrame(seq, Cmd.BATCH_DATA, new Writer(8 + bytes.length).u32(upload).u32(offset).raw(bytes).done());
const trainBody = (id: number, upload: number, inputs: Uint8Array, labels: Uint8Array, n = BATCH) =>
  new Writer(14).u32(id).u32(upload).u16(n).u32(batchCrc(inputs, labels)).done();
const stepOf = (s: GoodFrame) => new DataView(s.body.buffer, s.body.byteOffset).getUint32(3, true);

async function device() {
  return openDevice();
}

/** HELLO at seq 100, INIT at 101: the next seq is 102. */
async function initialised() {
  const dev = await device();
  const init = new Writer(56).raw(SPEC).u32(1).u32(0).done();
  const r = replies(feed(dev, cat(hello(100), encodeFrame(101, Cmd.INIT, init))));
  if (r.length !== 2 || status(r[1]) !== 0) throw new Error("init failed");
  return dev;
}

test("a frame split across io_feed calls at any byte is answered exactly once", async (t) => {
  const dev = await device();
  const wire = hello(7);
  for (let cut = 1; cut < wire.length; cut++) {
    const first = feed(dev, wire.subarray(0, cut));
    t.is(first.length, 0);
    const r = replies(feed(dev, wire.subarray(cut)));
    t.is(r.length, 1);
    t.like(r[0], { seq: 7, cmd: Cmd.HELLO | REPLY_BIT });
  }
});

test("several frames in one call get their replies in order", async (t) => {
  const dev = await device();
  const r = replies(feed(dev, cat(hello(1), stats(2), stats(3), stats(4))));
  t.deepEqual(r.map((f) => [f.seq, f.cmd, status(f)]), [[1, 0x81, 0], [2, 0x8a, 0], [3, 0x8a, 0], [4, 0x8a, 0]]);
});

test("a retransmitted TRAIN replays its cached reply and does not train again", async (t) => {
  const dev = await initialised();
  const { inputs, labels } = batch(1);
  const train = encodeFrame(103, Cmd.TRAIN, trainBody(1, 1, inputs, labels));
  const first = feed(dev, cat(data(102, 1, 0, cat(inputs, labels)), train));
  const again = feed(dev, train);
  t.deepEqual(again, first.subarray(first.length - again.length), "byte-identical reply");
  const [s] = replies(feed(dev, stats(104)));
  t.is(stepOf(s), 1, "one step");
});

test("replies are framed like requests: a leading delimiter, COBS, a trailing delimiter", async (t) => {
  const dev = await device();
  const bytes = feed(dev, hello(3));
  t.is(bytes[0], 0);
  t.is(bytes.at(-1), 0);
  t.false(bytes.subarray(1, -1).includes(0));
});

test("a command ahead of a lost frame waits (E_WAIT) and runs when sent again; a damaged frame is NAKed with its seq", async (t) => {
  const dev = await initialised();
  const [wait] = replies(feed(dev, stats(103)));
  t.is(status(wait), Status.E_WAIT, "102 is missing: 103 may not run before it");
  const damaged = stats(102);
  damaged[4] ^= 0x20;
  const [nak] = replies(feed(dev, damaged));
  t.like(nak, { seq: 102, cmd: NAK });
  t.is(nak.body[0], NakReason.CRC);
  const r = replies(feed(dev, cat(stats(102), stats(103))));
  t.deepEqual(r.map((f) => [f.seq, status(f)]), [[102, 0], [103, 0]]);
});

test("batch data is taken in any order and written in place; a lost chunk costs that chunk only", async (t) => {
  const dev = await initialised();
  const { inputs, labels } = batch(1);
  const all = cat(inputs, labels);
  const half = 64;
  // Chunk 1 (seq 102) is lost; chunk 2 (103) and the TRAIN (104) arrive.
  const r1 = replies(feed(dev, cat(data(103, 1, half, all.subarray(half)), encodeFrame(104, Cmd.TRAIN, trainBody(1, 1, inputs, labels)))));
  t.deepEqual(r1.map(status), [0, Status.E_WAIT], "chunk 2 taken out of order; TRAIN waits for chunk 1");
  const r2 = replies(feed(dev, cat(data(102, 1, 0, all.subarray(0, half)), encodeFrame(104, Cmd.TRAIN, trainBody(1, 1, inputs, labels)))));
  t.deepEqual(r2.map(status), [0, 0]);
  t.is(r2[1].body[1], 1, "applied");
  const [s] = replies(feed(dev, stats(105)));
  t.is(stepOf(s), 1);
});

test("the next upload waits (E_BUSY) until the command of the one before has run; late copies change nothing", async (t) => {
  const dev = await initialised();
  const b1 = batch(1), b2 = batch(2);
  // TRAIN 1 (seq 103) is lost: upload 2's data must not overwrite upload 1.
  const r1 = replies(feed(dev, cat(data(102, 1, 0, cat(b1.inputs, b1.labels)), data(104, 2, 0, cat(b2.inputs, b2.labels)))));
  t.deepEqual(r1.map(status), [0, Status.E_BUSY]);
  const r2 = replies(feed(dev, cat(
    encodeFrame(103, Cmd.TRAIN, trainBody(1, 1, b1.inputs, b1.labels)),
    data(104, 2, 0, cat(b2.inputs, b2.labels)),
    data(102, 1, 0, cat(b1.inputs, b1.labels)), // a late duplicate of upload 1: acknowledged, not written
    encodeFrame(105, Cmd.TRAIN, trainBody(2, 2, b2.inputs, b2.labels)),
  )));
  t.deepEqual(r2.map(status), [0, 0, 0, 0]);
  t.deepEqual(r2.map((f) => (f.cmd === (Cmd.TRAIN | REPLY_BIT) ? f.body[1] : "data")), [1, "data", "data", 1], "both batches applied");
  const [s] = replies(feed(dev, stats(106)));
  t.is(stepOf(s), 2);
});

test("a frame larger than the device buffer is refused and the next one works", async (t) => {
  const dev = await initialised();
  const huge = encodeFrame(102, Cmd.BATCH_DATA, new Uint8Array(3000).fill(9));
  const [nak] = replies(feed(dev, huge));
  t.like(nak, { seq: 102, cmd: NAK });
  t.is(nak.body[0], NakReason.TOO_LONG);
  const [ok] = replies(feed(dev, stats(102)));
  t.is(status(ok), 0);
});

test("random garbage never traps and only ever draws NAKs", async (t) => {
  const dev = await initialised();
  let x = 0x9e3779b9;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  for (let round = 0; round < 200; round++) {
    const junk = Uint8Array.from({ length: 1 + (rnd() % 3000) }, () => (rnd() % 7 === 0 ? 0 : rnd() & 0xff));
    for (const f of replies(feed(dev, junk))) t.is(f.cmd, NAK);
  }
  // The junk's unterminated tail would be glued onto the next frame: a delimiter flushes it.
  const r = replies(feed(dev, cat(Uint8Array.of(0), stats(102))));
  t.like(r.at(-1), { seq: 102, cmd: Cmd.STATS | REPLY_BIT });
  t.is(status(r.at(-1)!), 0);
});

test("a HELLO of another protocol version is refused and ends the session", async (t) => {
  const dev = await initialised();
  const [version, after] = replies(feed(dev, cat(hello(50, 9), stats(51))));
  t.is(status(version), Status.E_PROTO_VERSION);
  t.is(new DataView(version.body.buffer, version.body.byteOffset).getUint16(1, true), PROTOCOL_VERSION, "says which version it speaks");
  t.is(status(after), Status.E_NOSYNC);
  const [ok] = replies(feed(dev, cat(hello(52), stats(53)))).slice(1);
  t.is(status(ok), 0);
});

test("refusals carry their status", async (t) => {
  const dev = await initialised();

  const { inputs, labels } = batch(1);
  const badCrc = new Writer(14).u32(1).u32(1).u16(BATCH).u32(batchCrc(inputs, labels) ^ 1).done();
  const r = replies(feed(dev, cat(
    encodeFrame(102, 0x55),
    encodeFrame(103, Cmd.STATS, Uint8Array.of(1)),
    encodeFrame(104, Cmd.STATE_READ, new Writer(6).u32(1 << 20).u16(16).done()),
    encodeFrame(105, Cmd.BATCH_DATA, new Writer(12).u32(1).u32(BATCH * INPUTS + BATCH - 2).u32(0).done()),
    encodeFrame(106, Cmd.TRAIN, badCrc),
    encodeFrame(107, Cmd.TRAIN, new Writer(14).u32(5).u32(2).u16(3).u32(0).done()),
  )));
  t.deepEqual(r.map(status), [Status.E_CMD, Status.E_LEN, Status.E_RANGE, Status.E_RANGE, Status.E_BATCH_CRC, Status.E_BATCH]);
});

test("a device that booted since the handshake answers E_NOSYNC until the next HELLO", async (t) => {
  const dev = await device();
  const [r] = replies(feed(dev, stats(5)));
  t.is(status(r), Status.E_NOSYNC);
  const [h, s] = replies(feed(dev, cat(hello(6), stats(7))));
  t.is(status(h), 0);
  t.is(status(s), 0);
});
