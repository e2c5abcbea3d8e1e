// Data frames shrink on a line that damages frames and stay full-size on a clean one: at a
// high bit-error rate a large frame is mostly resent (docs/protocol.md §2, frame size).
import test from "ava";
import { FrameDecoder } from "../../host/protocol/frame.ts";
import { Cmd } from "../../host/protocol/opcodes.ts";
import { Session } from "../../host/protocol/session.ts";
import { FaultyTransport } from "../../host/transports/faulty.ts";
import type { Transport } from "../../host/transports/transport.ts";
import { openDevice, WIDE_SPEC, wideBatch } from "./helpers.ts";

/** Records the decoded size of every BATCH_DATA frame the host writes. */
class Recorder implements Transport {
  readonly dataFrames: number[] = [];
  private readonly decoder = new FrameDecoder();
  constructor(private readonly inner: Transport) {}
  write(bytes: Uint8Array): Promise<void> {
    for (const f of this.decoder.push(bytes)) if (f.ok && f.cmd === Cmd.BATCH_DATA) this.dataFrames.push(f.body.length);
    return this.inner.write(bytes);
  }
  onData(cb: (c: Uint8Array) => void): () => void { return this.inner.onData(cb); }
  close(): Promise<void> { return this.inner.close(); }
}

async function train(bitErrorRate: number, batches: number) {
  const recorder = new Recorder(new FaultyTransport(await openDevice(), { seed: 5, bitErrorRate }));
  const session = new Session(recorder, { timeoutMs: 40, slowTimeoutMs: 500, maxRetries: 30 });
  const info = await session.hello();
  await session.init(WIDE_SPEC, 1);
  for (let id = 1; id <= batches; id++) {
    const { inputs, labels } = wideBatch(id);
    await session.train(id, inputs, labels);
  }
  const frames = recorder.dataFrames;
  await session.close();
  return { frames, full: info.maxFrame - 7 }; // body of a full frame: maxFrame less seq, cmd and crc
}

test("a clean line gets full data frames", async (t) => {
  const { frames, full } = await train(0, 6);
  const largest = Math.max(...frames);
  t.is(largest, full);
  // Every batch is cut into full frames but for its last input chunk and its labels.
  t.true(frames.filter((n) => n === full).length >= frames.length / 2);
});

test("a line with about 1e-4 bit errors gets smaller data frames once it has shown them", async (t) => {
  // 1e-3 per byte is about 1.25e-4 per bit: a full frame is damaged about 40 % of the time.
  const { frames, full } = await train(1e-3, 12);
  const late = frames.slice(frames.length / 2);
  const largest = Math.max(...late);
  t.log(`data frame bodies in the second half: largest ${largest} of ${full}`);
  t.true(largest < full * 0.7, `largest late data frame ${largest} bytes`);
  t.true(largest >= 64 + 8);
});
