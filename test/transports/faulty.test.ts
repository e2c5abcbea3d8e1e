import test from "ava";
import { runTraining, type TrainJob } from "../../host/training/run.ts";
import { decodeSpec } from "../../host/module/spec.ts";
import type { Dataset } from "../../host/datasets/dataset.ts";
import { Session } from "../../host/protocol/session.ts";
import { FaultyTransport, type FaultCounts, type FaultOptions } from "../../host/transports/faulty.ts";
import { batch, openDevice, SPEC, WIDE_SPEC, wideBatch } from "../protocol/helpers.ts";

/** Deterministic batches laid end to end, as a dataset for the CLI's training loop. */
function syntheticDataset(spec: Uint8Array, batches: number, make = batch, classes = 4): Dataset {
  const fields = decodeSpec(spec);
  const parts = Array.from({ length: batches }, (_, i) => make(i + 1));
  const images = new Uint8Array(parts.reduce((n, p) => n + p.inputs.length, 0));
  const labels = new Uint8Array(parts.reduce((n, p) => n + p.labels.length, 0));
  parts.forEach((p, i) => { images.set(p.inputs, i * p.inputs.length); labels.set(p.labels, i * p.labels.length); });
  return { name: "synthetic", images, labels, count: labels.length, features: fields.sizes[0], width: fields.sizes[0], height: 1, channels: 1, shape: [1, 1, fields.sizes[0]], classes };
}
const RUN: TrainJob = { spec: decodeSpec(SPEC), seed: 21, epochs: 1, train: syntheticDataset(SPEC, 24), checkpointEvery: 4, resume: false };


async function cleanDigest(): Promise<number> {
  const session = new Session(await openDevice(), { timeoutMs: 200 });
  const r = await runTraining(session, RUN);
  t0Retransmissions = session.linkStats.retransmissions;
  await session.close();
  return r.digest;
}
let t0Retransmissions = -1;
const reference = cleanDigest();

const FAULTS: Omit<FaultOptions, "seed"> = {
  bitErrorRate: 0.002, dropRate: 0.04, duplicateRate: 0.04, stallRate: 0.02, stallMs: 60, resetRate: 0.02,
};
const seen: FaultCounts = { flips: 0, drops: 0, duplicates: 0, stalls: 0, resets: 0 };

for (const seed of [1, 2, 3, 4]) {
  test.serial(`training through faults (seed ${seed}) ends with the fault-free state digest`, async (t) => {
    const device = await openDevice();
    const faulty = new FaultyTransport(device, { seed, ...FAULTS });
    const session = new Session(faulty, { timeoutMs: 40, slowTimeoutMs: 200, maxRetries: 30 });
    const r = await runTraining(session, RUN);
    t.is(r.digest, await reference);
    t.is(r.step, 24, "every batch trained exactly once in the final state");
    t.log(`faults ${JSON.stringify(faulty.counts)}, device resets ${device.resets}, recoveries ${r.recoveries}, retransmissions ${session.linkStats.retransmissions}`);
    for (const k of Object.keys(seen) as (keyof FaultCounts)[]) seen[k] += faulty.counts[k];
    await session.close();
  });
}

test.serial("the runs above met every kind of fault; the clean run needed no retransmission", (t) => {
  for (const [k, v] of Object.entries(seen)) t.true(v > 0, `${k} never injected`);
  t.is(t0Retransmissions, 0);
});

test.serial("multi-frame batches and state transfers through faults match the clean run", async (t) => {
  // The last batch is checkpointed, so a reset after training does not roll the state back.
  const run = { spec: decodeSpec(WIDE_SPEC), seed: 3, epochs: 1, train: syntheticDataset(WIDE_SPEC, 9, wideBatch, 10), checkpointEvery: 3, resume: false, batches: 9 };
  const clean = new Session(await openDevice(), { timeoutMs: 200 });
  const want = await runTraining(clean, run);
  const wantBlob = await clean.readState();
  await clean.close();

  const faulty = new FaultyTransport(await openDevice(), { seed: 9, ...FAULTS, bitErrorRate: 0.0002, resetRate: 0.005 });
  const session = new Session(faulty, { timeoutMs: 40, slowTimeoutMs: 200, maxRetries: 30 });
  const got = await runTraining(session, run);
  t.is(got.digest, want.digest);
  t.true(wantBlob.length > 8 * 1024, "state spans many frames");
  // Reads and writes are retried whole on a resync: a reset between chunks must not mix states.
  for (;;) {
    try {
      await session.hello();
      t.deepEqual(await session.readState(), wantBlob);
      await session.init(WIDE_SPEC, 77);
      t.deepEqual(await session.writeState(wantBlob, run.batches), { step: run.batches, digest: want.digest });
      break;
    } catch (err) {
      if (!(err as { resync?: boolean }).resync) throw err;
    }
  }
  t.log(`faults ${JSON.stringify(faulty.counts)}, retransmissions ${session.linkStats.retransmissions}`);
  await session.close();
});

test("bad options throw a TypeError naming the option", async (t) => {
  const device = await openDevice();
  t.throws(() => new FaultyTransport(device, { seed: 1, dropRate: 2 }), { instanceOf: TypeError, message: /dropRate/ });
  t.throws(() => new FaultyTransport(device, { seed: 1.5 }), { instanceOf: TypeError, message: /seed/ });
  t.throws(() => new FaultyTransport(device, { seed: 1, dropRat: 0.1 } as never), { instanceOf: TypeError, message: /dropRat/ });
  await device.close();
});
