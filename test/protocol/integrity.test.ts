// State integrity (docs/protocol.md §3, §6): a blob that fails its check is never adopted,
// whatever the commands around it; reading the summary never makes a partly written state
// valid; without a model the summary is all zeros. Driven with raw frames, as an independent
// client written from the document would.
import test from "ava";
import { crc32 } from "../../host/crc32.ts";
import { encodeFrame, FrameDecoder, type GoodFrame } from "../../host/protocol/frame.ts";
import { Reader, readDeviceInfo, readSummary, Writer, type ModelSummary } from "../../host/protocol/messages.ts";
import { Cmd, PROTOCOL_VERSION } from "../../host/protocol/opcodes.ts";
import { Status } from "../../host/protocol/status.ts";
import type { InProcessTransport } from "../../host/transports/in-process.ts";
import { batchCrc } from "../../host/protocol/session.ts";
import { BATCH, batch, openDevice, SPEC } from "./helpers.ts";

/** A raw client: one frame at a time through the byte pump, the reply decoded. */
class Raw {
  private seq = 1000;
  constructor(readonly transport: InProcessTransport) {}
  send(cmd: number, body: Uint8Array = new Uint8Array(0)): { status: number; body: Uint8Array } {
    const dev = this.transport.exports, mem = this.transport.memory;
    const frame = encodeFrame(this.seq++, cmd, body);
    mem.write(dev.io_rx_ptr(), frame);
    const n = dev.io_feed(frame.length);
    const frames = new FrameDecoder().push(mem.read(dev.io_tx_ptr(), n));
    if (frames.length !== 1 || !frames[0].ok) throw new Error(`expected one good reply to 0x${cmd.toString(16)}`);
    const f = frames[0] as GoodFrame;
    return { status: (f.body[0] << 24) >> 24, body: f.body.subarray(1) };
  }
  ok(cmd: number, body?: Uint8Array): Uint8Array {
    const r = this.send(cmd, body);
    if (r.status !== 0) throw new Error(`command 0x${cmd.toString(16)} failed with ${r.status}`);
    return r.body;
  }
  hello(): ReturnType<typeof readDeviceInfo> {
    this.seq += 100;
    return readDeviceInfo(this.ok(Cmd.HELLO, new Writer(2).u16(PROTOCOL_VERSION).done()));
  }
  stats(): ModelSummary { return readSummary(new Reader(this.ok(Cmd.STATS))); }
  init(seed = 1): number { return this.send(Cmd.INIT, new Writer(56).raw(SPEC).u32(seed).u32(0).done()).status; }
  train(id: number, upload: number): void {
    const { inputs, labels } = batch(id);
    this.ok(Cmd.BATCH_DATA, new Writer(8 + inputs.length + labels.length).u32(upload).u32(0).raw(inputs).raw(labels).done());
    this.ok(Cmd.TRAIN, new Writer(14).u32(id).u32(upload).u16(BATCH).u32(batchCrc(inputs, labels)).done());
  }
  readState(len: number): Uint8Array {
    const blob = new Uint8Array(len);
    for (let off = 0; off < len; off += 256) {
      const n = Math.min(256, len - off);
      blob.set(this.ok(Cmd.STATE_READ, new Writer(6).u32(off).u16(n).done()).subarray(4), off);
    }
    return blob;
  }
  write(off: number, bytes: Uint8Array): number {
    for (let at = 0; at < bytes.length; at += 256) {
      const part = bytes.subarray(at, at + 256);
      const status = this.send(Cmd.STATE_WRITE, new Writer(4 + part.length).u32(off + at).raw(part).done()).status;
      if (status !== 0) return status;
    }
    return 0;
  }
  commit(lastBatchId: number, digest: number): number {
    return this.send(Cmd.STATE_COMMIT, new Writer(8).u32(lastBatchId).u32(digest).done()).status;
  }
}

const NO_MODEL = { ready: false, dirty: false, step: 0, digest: 0, lastBatchId: 0, stateLen: 0 };

async function trainedDevice(maxPages?: number): Promise<Raw> {
  const raw = new Raw(await openDevice(maxPages ? { maxPages } : {}));
  raw.hello();
  if (raw.init(7) !== 0) throw new Error("init");
  for (let id = 1; id <= 3; id++) raw.train(id, id);
  return raw;
}

test("a checkpoint with one flipped blob byte is refused at boot and no command sequence adopts it", async (t) => {
  const raw = await trainedDevice();
  const ck = raw.ok(Cmd.CHECKPOINT);
  const bytes = new Reader(ck).u32();
  const flash = raw.transport.flash;
  const at = 72 + 200;
  flash.write(at, Uint8Array.of(flash.read(at, 1)![0] ^ 0x10));
  await raw.transport.reset();
  const info = raw.hello();
  t.is(info.bootStatus, Status.E_CHECKPOINT);
  t.like(info.model, NO_MODEL, "HELLO: no model, nothing dirty");
  t.like(raw.stats(), NO_MODEL, "STATS: the same, and reading it changes nothing");
  t.is(raw.send(Cmd.STATE_READ, new Writer(6).u32(0).u16(64).done()).status, Status.E_NOT_READY);
  // A commit naming the damaged blob's own CRC (what a confused host could compute from flash).
  const damaged = flash.read(72, bytes - 72)!;
  t.is(raw.commit(3, crc32(damaged.subarray(16))), Status.E_NOT_READY);
  t.is(raw.commit(3, new DataView(damaged.buffer, damaged.byteOffset).getUint32(12, true)), Status.E_NOT_READY);
  const { inputs, labels } = batch(4);
  raw.send(Cmd.BATCH_DATA, new Writer(8 + inputs.length + labels.length).u32(1).u32(0).raw(inputs).raw(labels).done());
  t.is(raw.send(Cmd.TRAIN, new Writer(14).u32(4).u32(1).u16(BATCH).u32(batchCrc(inputs, labels)).done()).status, Status.E_NOT_READY);
  t.is(raw.send(Cmd.CHECKPOINT).status, Status.E_NOT_READY, "the damaged checkpoint is not rewritten as a good one");
  t.like(raw.stats(), NO_MODEL);
});

test("a partly written state stays invalid whatever is read in between: no digest, STATE_READ refused, commit refused", async (t) => {
  const raw = await trainedDevice();
  const len = raw.stats().stateLen;
  const good = raw.readState(len); // a valid blob (sealed by the read at offset 0)
  const other = await trainedDevice();
  other.train(4, 4);
  const target = other.readState(len); // another valid blob, the one being loaded
  // Only its first chunk arrives.
  t.is(raw.write(0, target.subarray(0, 200)), 0);
  for (const look of [() => raw.stats(), () => raw.hello().model, () => raw.stats()]) {
    const s = look();
    t.like(s, { ready: true, dirty: true, step: 0, digest: 0, lastBatchId: 0 }, "a dirty state has no digest");
  }
  t.is(raw.send(Cmd.STATE_READ, new Writer(6).u32(0).u16(64).done()).status, Status.E_DIRTY);
  t.is(raw.send(Cmd.STATE_READ, new Writer(6).u32(256).u16(64).done()).status, Status.E_DIRTY);
  t.is(raw.commit(4, crc32(target.subarray(16))), Status.E_STATE_CRC, "the digest the host meant");
  t.like(raw.stats(), NO_MODEL, "a failed commit leaves no model: all zeros");
  t.not(crc32(good.subarray(16)), crc32(target.subarray(16)));
});

test("a complete blob is adopted only with the digest the host sent", async (t) => {
  const raw = await trainedDevice();
  const len = raw.stats().stateLen;
  const blob = raw.readState(len);
  const digest = crc32(blob.subarray(16));
  t.is(raw.write(0, blob.subarray(0, 300)), 0);
  t.is(raw.write(300, blob.subarray(300)), 0);
  t.is(raw.commit(3, digest ^ 1), Status.E_STATE_CRC, "right bytes, wrong digest named: refused");
  t.like(raw.stats(), NO_MODEL);
  t.is(raw.init(7), 0);
  t.is(raw.write(300, blob.subarray(300)), 0);
  t.is(raw.write(0, blob.subarray(0, 300)), 0);
  t.is(raw.commit(3, digest), 0);
  t.like(raw.stats(), { ready: true, dirty: false, digest, lastBatchId: 3, step: 3 });
});

test("after a failed INIT the summary is all zeros", async (t) => {
  const raw = await trainedDevice(1);
  t.like(raw.stats(), { ready: true, lastBatchId: 3 });
  const big = SPEC.slice();
  new DataView(big.buffer).setUint16(18, 4000, true); // a hidden layer beyond the 64 KiB of RAM
  const r = raw.send(Cmd.INIT, new Writer(56).raw(big).u32(1).u32(0).done());
  t.is(r.status, Status.E_NOMEM);
  t.like(raw.stats(), NO_MODEL);
  t.like(raw.hello().model, NO_MODEL);
});
