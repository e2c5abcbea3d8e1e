// Commands that compute for long (CALIBRATE, EVAL, TRAIN on a slow board) whose replies get
// lost, on a virtual clock: a lost reply costs one bounded silence however often it happens.
// (The link once learned a command's compute time from its first send to its reply, so every
// wait for a lost reply went into the next allowance: the waits doubled with each loss, and a
// calibration through a noisy line stalled for minutes.)
import test from "ava";
import { encodeFrame, FrameDecoder } from "../../host/protocol/frame.ts";
import type { LinkClock } from "../../host/protocol/link.ts";
import { Cmd, REPLY_BIT } from "../../host/protocol/opcodes.ts";
import { Session } from "../../host/protocol/session.ts";
import type { Transport } from "../../host/transports/transport.ts";
import { BATCH, batch, openDevice, SPEC } from "./helpers.ts";

/** Virtual time: timers fire only when `until` advances to them, so no test depends on load. */
class VirtualClock implements LinkClock {
  private t = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(id: unknown): void { this.timers.delete(id as number); }

  /** Runs the timers in time order until `p` settles; returns its value and the virtual time it took. */
  async until<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
    const t0 = this.t;
    let settled = false;
    p.then(() => { settled = true; }, () => { settled = true; });
    for (;;) {
      for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r)); // promise chains, listener turns
      if (settled) return { value: await p, ms: this.t - t0 };
      const [id, next] = [...this.timers].reduce((a, b) => (b[1].at < a[1].at ? b : a));
      this.timers.delete(id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
  }
}

/**
 * The emulated module behind a device that computes: a command takes `computeMs(cmd)` of
 * virtual time (one at a time, replies in order; a reply replayed from the cache takes none),
 * and `lose(cmd, nth)` drops the reply to the nth execution of a command (counted per command;
 * nth = 0: a reply replayed from the device's cache).
 */
class ComputingDevice implements Transport {
  private readonly decoder = new FrameDecoder();
  private readonly listeners = new Set<(c: Uint8Array) => void>();
  private readonly answered = new Set<number>();
  private readonly executions = new Map<number, number>();
  private busyUntil = 0;
  private constructor(
    private readonly inner: Transport, private readonly clock: VirtualClock,
    private readonly computeMs: (cmd: number) => number, private readonly lose: (cmd: number, nth: number) => boolean,
  ) {
    inner.onData((chunk) => { for (const f of this.decoder.push(chunk)) if (f.ok) this.reply(f.seq, f.cmd, f.body); });
  }

  static async open(clock: VirtualClock, computeMs: (cmd: number) => number, lose: (cmd: number, nth: number) => boolean) {
    return new ComputingDevice(await openDevice(), clock, computeMs, lose);
  }

  private reply(seq: number, cmd: number, body: Uint8Array): void {
    const request = cmd & ~REPLY_BIT;
    let nth = 0;
    if (!this.answered.has(seq)) { // executed now, not replayed
      this.answered.add(seq);
      nth = (this.executions.get(request) ?? 0) + 1;
      this.executions.set(request, nth);
      this.busyUntil = Math.max(this.clock.now(), this.busyUntil) + this.computeMs(request);
    }
    if (this.lose(request, nth)) return;
    const bytes = encodeFrame(seq, cmd, body);
    this.clock.setTimeout(() => { for (const l of this.listeners) l(bytes); }, Math.max(0, this.busyUntil - this.clock.now()));
  }

  write(bytes: Uint8Array): Promise<void> { return this.inner.write(bytes); }
  onData(cb: (c: Uint8Array) => void): () => void { this.listeners.add(cb); return () => { this.listeners.delete(cb); }; }
  close(): Promise<void> { return this.inner.close(); }
}

const COMPUTE_MS = 2000;
const slow = (cmd: number) => (cmd === Cmd.CALIBRATE || cmd === Cmd.TRAIN || cmd === Cmd.EVAL || cmd === Cmd.INIT ? COMPUTE_MS : 0);

test("a long command's lost reply costs one bounded silence, however many are lost", async (t) => {
  const clock = new VirtualClock();
  // Every CALIBRATE's reply is lost the first time; the device answers the resend from its cache.
  const device = await ComputingDevice.open(clock, slow, (cmd, nth) => cmd === Cmd.CALIBRATE && nth > 0);
  const session = new Session(device, { clock, timeoutMs: 300, slowTimeoutMs: 10_000 });
  await clock.until(session.hello());
  await clock.until(session.init(SPEC, 1));
  const { inputs, labels } = batch(1);
  await clock.until(session.train(1, inputs, labels)); // the link learns what a step takes
  const silences = session.linkStats.silences;
  const took: number[] = [];
  for (let i = 0; i < 12; i++) {
    const { ms } = await clock.until(session.calibrate(inputs, labels, i === 0));
    took.push(ms);
  }
  t.log(`virtual ms per calibration with its reply lost: ${took.join(", ")}`);
  // The compute, one allowance for it (twice the longest seen, + 100 ms) and a round trip.
  const bound = COMPUTE_MS + (2 * COMPUTE_MS + 100) + 300;
  for (const ms of took) t.true(ms <= bound, `${ms} ms > ${bound} ms`);
  t.is(session.linkStats.silences - silences, 12, "one silence per lost reply, no more");
  await session.close();
});

test("a lost reply to the first command that computes waits a guess, not the 10 s default", async (t) => {
  const clock = new VirtualClock();
  // The INIT reply is lost: no compute time is known yet. The resend is answered from the cache.
  const device = await ComputingDevice.open(clock, () => 0, (cmd, nth) => cmd === Cmd.INIT && nth === 1);
  const session = new Session(device, { clock, timeoutMs: 300, slowTimeoutMs: 10_000 });
  await clock.until(session.hello());
  const { ms } = await clock.until(session.init(SPEC, 1));
  t.true(ms <= 300 + 1000, `${ms} ms`);
  t.is(session.linkStats.silences, 1);
  // Exactly once: the batch after it trains as the first step of that model.
  const { inputs, labels } = batch(1);
  const { value } = await clock.until(session.train(1, inputs, labels));
  t.like(value, { applied: true, step: 1 });
  t.is(labels.length, BATCH);
  await session.close();
});

test("a dead device is still reported, after the patient allowance and the resends", async (t) => {
  const clock = new VirtualClock();
  const device = await ComputingDevice.open(clock, () => 0, (cmd) => cmd === Cmd.INIT);
  const session = new Session(device, { clock, timeoutMs: 300, slowTimeoutMs: 10_000, deadMs: 3000, maxRetries: 8 });
  await clock.until(session.hello());
  const { value: err, ms } = await clock.until(session.init(SPEC, 1).then(() => undefined, (e: unknown) => e as { timeout?: boolean }));
  t.true(err?.timeout, "fails with a timeout");
  t.true(ms >= 10_000 + 3000, `gave up after ${ms} ms, before the patient allowance`);
  t.true(ms <= 10_000 + 3000 + 2000, `gave up after ${ms} ms`);
  await session.close();
});
