// host/transports/trap-detect.ts without QEMU: the trap line is cut out of the byte stream
// wherever the UART splits it, frames (even ones starting with 'F') pass untouched, and a
// session over a device that traps gets a prompt ProtocolError naming the trap code.
import test from "ava";
import { TrapDetectTransport } from "../../host/transports/trap-detect.ts";
import { encodeSpec, parseSpec } from "../../host/module/spec.ts";
import { ProtocolError } from "../../host/protocol/errors.ts";
import { encodeFrame, FrameDecoder } from "../../host/protocol/frame.ts";
import { Cmd } from "../../host/protocol/opcodes.ts";
import { Session } from "../../host/protocol/session.ts";
import { InProcessTransport } from "../../host/transports/in-process.ts";
import { Listeners } from "../../host/transports/plumbing.ts";
import type { Transport } from "../../host/transports/transport.ts";

/** A transport whose received bytes the test supplies. */
class Scripted implements Transport {
  readonly listeners = new Listeners();
  readonly written: Uint8Array[] = [];
  async write(bytes: Uint8Array) { this.written.push(bytes); }
  onData(cb: (c: Uint8Array) => void) { return this.listeners.add(cb); }
  async close() { this.listeners.close(); }
}

const tick = () => new Promise((r) => setImmediate(r));
const ascii = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

test("trap lines are removed from the stream however they are split; frames pass intact", async (t) => {
  const inner = new Scripted();
  const trap = new TrapDetectTransport(inner);
  const got: number[] = [];
  trap.onData((c) => got.push(...c));
  // a frame whose COBS code byte is 'F' (0x46: 69 non-zero bytes follow), then a trap line
  const body = new Uint8Array(62).fill(7);
  const fFrame = encodeFrame(0x4747, 0x84, body);
  t.is(fFrame[0], 0x46);
  const other = encodeFrame(5, 0x8a, Uint8Array.of(0));
  const stream = cat(fFrame, ascii("FEWMUL-TRAP 5\n"), other, ascii("FEWMUL-TRAP 16\n"));
  for (const cut of [1, 3, 7, 13, stream.length]) {
    got.length = 0;
    for (let at = 0; at < stream.length; at += cut) inner.listeners.emit(stream.subarray(at, at + cut));
    await tick(); await tick();
    t.deepEqual(Uint8Array.from(got), cat(fFrame, other), `chunks of ${cut}`);
  }
  t.deepEqual(trap.traps.map((e) => e.code), [5, 16, 5, 16, 5, 16, 5, 16, 5, 16]);
  t.regex(trap.traps[1].error.message, /FEWMUL-TRAP 16: the board cannot host the module/);
  // frames decode as they were sent
  const frames = new FrameDecoder().push(cat(fFrame, other));
  t.deepEqual(frames.map((f) => f.ok), [true, true]);
  await trap.close();
});

test("text that only looks like the start of a trap line is passed on", async (t) => {
  const inner = new Scripted();
  const trap = new TrapDetectTransport(inner);
  const got: number[] = [];
  trap.onData((c) => got.push(...c));
  const noise = cat(ascii("FEWMUL-X"), Uint8Array.of(0), ascii("FEW"), Uint8Array.of(0));
  inner.listeners.emit(noise);
  await tick(); await tick();
  t.deepEqual(Uint8Array.from(got), noise);
  t.is(trap.traps.length, 0);
});

/**
 * The release module in this process, made to "trap" like the firmware does: when it is sent
 * a CHECKPOINT frame, it answers with the trap line and restarts (RAM lost, flash kept).
 */
class TrappingDevice implements Transport {
  private readonly decoder = new FrameDecoder();
  private readonly listeners = new Listeners();
  private constructor(private readonly inner: InProcessTransport) {
    inner.onData((c) => this.listeners.emit(c));
  }
  static async open() { return new TrappingDevice(await InProcessTransport.open({ flashSize: 1 << 20, maxPages: 64 })); }
  async write(bytes: Uint8Array) {
    if (this.decoder.push(bytes).some((f) => f.ok && f.cmd === Cmd.CHECKPOINT)) {
      await this.inner.reset();
      this.listeners.emit(ascii("FEWMUL-TRAP 5\n"));
      return;
    }
    await this.inner.write(bytes);
  }
  onData(cb: (c: Uint8Array) => void) { return this.listeners.add(cb); }
  async close() { this.listeners.close(); await this.inner.close(); }
}

test("a trap fails the pending request at once with a ProtocolError naming the code", async (t) => {
  const transport = new TrapDetectTransport(await TrappingDevice.open());
  const session = new Session(transport);
  try {
    await session.hello();
    const spec = parseSpec("64-16-10:tc,batch=8");
    await session.init(encodeSpec(spec), 1);
    await session.train(1, new Uint8Array(8 * 64).fill(100), Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
    const started = Date.now();
    const err = await t.throwsAsync(session.checkpoint(), { instanceOf: ProtocolError });
    t.true(Date.now() - started < 1000, "not after the 10 s CHECKPOINT timeout");
    t.regex(err!.message, /FEWMUL-TRAP 5: unreachable executed/);
    const trap = (err!.deviceReset ? err : (err!.cause as ProtocolError))!;
    t.true(trap.deviceReset && trap.resync);
    // the device serves again; its RAM is gone
    const info = await session.hello();
    t.false(info.model.ready);
    await session.init(encodeSpec(spec), 1);
    t.true((await session.train(1, new Uint8Array(8 * 64), new Uint8Array(8))).applied);
  } finally {
    await session.close();
  }
});

test("a CPU fault makes every later write fail: the board halted", async (t) => {
  const inner = new Scripted();
  const trap = new TrapDetectTransport(inner);
  inner.listeners.emit(ascii("FEWMUL-FAULT\n"));
  await tick(); await tick();
  const err = await t.throwsAsync(trap.write(encodeFrame(1, Cmd.HELLO, Uint8Array.of(1, 0))), { instanceOf: ProtocolError });
  t.regex(err!.message, /FEWMUL-FAULT/);
  t.false(err!.deviceReset);
  await trap.close();
});
