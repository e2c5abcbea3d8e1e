import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceModel } from "../../host/module/device-model.ts";
import { instantiate } from "../../host/module/loader.ts";
import { ProtocolError } from "../../host/protocol/errors.ts";
import { Session } from "../../host/protocol/session.ts";
import { Status } from "../../host/protocol/status.ts";
import { BATCH, batch, openDevice, SPEC, SPEC_FIELDS, WASM } from "./helpers.ts";

async function connected(options = {}) {
  const transport = await openDevice(options);
  const session = new Session(transport, { timeoutMs: 200 });
  return { transport, session, info: await session.hello() };
}

async function trained(session: Session, ids: number[]) {
  for (const id of ids) {
    const { inputs, labels } = batch(id);
    await session.train(id, inputs, labels);
  }
}

test("handshake reports protocol, limits and an empty model", async (t) => {
  const { session, info } = await connected();
  t.like(info, { protocolVersion: 2, maxFrame: 512, window: 64, bootStatus: 0 });
  t.true(info.replyBudget >= 1024);
  t.true(info.freeMemory > 0);
  t.like(info.model, { ready: false, step: 0, lastBatchId: 0 });
  await session.close();
});

test("commands before the handshake are refused with resync", async (t) => {
  const transport = await openDevice();
  const session = new Session(transport, { timeoutMs: 200 });
  const err = await t.throwsAsync(session.stats(), { instanceOf: ProtocolError });
  t.true(err!.resync);
  t.is(err!.status, Status.E_NOSYNC);
  await session.hello();
  t.false((await session.stats()).ready);
  await session.close();
});

test("init and train match the module trained directly through its exports", async (t) => {
  const { session } = await connected();
  const summary = await session.init(SPEC, 7);
  t.like(summary, { ready: true, step: 0, lastBatchId: 0 });
  const results = [];
  for (let id = 1; id <= 4; id++) {
    const { inputs, labels } = batch(id);
    results.push(await session.train(id, inputs, labels));
  }
  t.deepEqual(results.map((r) => [r.applied, r.step, r.lastBatchId]), [[true, 1, 1], [true, 2, 2], [true, 3, 3], [true, 4, 4]]);
  const stats = await session.stats();

  // The same steps through the direct exports: the protocol must not change training.
  const { exports: m, mem } = instantiate({ path: WASM });
  mem.write(m.spec_ptr(), SPEC);
  t.is(m.init(7, 0), 0);
  for (let id = 1; id <= 4; id++) {
    const { inputs, labels } = batch(id);
    mem.write(m.batch_inputs_ptr(), inputs);
    mem.write(m.batch_labels_ptr(), labels);
    t.is(m.train(BATCH), results[id - 1].correct);
  }
  t.is(stats.digest, m.state_digest() >>> 0);
  t.is(stats.step, 4);
  await session.close();
});

test("a batch id already applied is acknowledged, not trained again", async (t) => {
  const { session } = await connected();
  await session.init(SPEC, 1);
  await trained(session, [1, 2, 3]);
  const before = await session.stats();
  const { inputs, labels } = batch(2);
  const again = await session.train(2, inputs, labels);
  t.like(again, { applied: false, step: 3, lastBatchId: 3 });
  const after = await session.stats();
  t.is(after.digest, before.digest);
  t.is(after.step, 3);
  await session.close();
});

/** The module trained directly through its exports (no protocol) on the same batches. */
function direct(seed: number, ids: number[]): DeviceModel {
  const model = new DeviceModel({ path: WASM });
  model.init(SPEC_FIELDS, seed);
  for (const id of ids) { const b = batch(id); model.train(b.inputs, b.labels); }
  return model;
}

test("eval of full and partial batches counts what the module counts directly, without training", async (t) => {
  const { session } = await connected();
  await session.init(SPEC, 1);
  const ids = [1, 2, 3, 4, 5, 6];
  await trained(session, ids);
  const model = direct(1, ids);
  let right = 0, rotated = 0;
  for (let n = 1; n <= BATCH; n++) {
    const { inputs, labels } = batch(90 + n, n);
    // the same images with every other label wrong: the count must follow the labels
    const wrong = labels.map((c, s) => (s % 2 ? (c + 1) % 4 : c));
    for (const l of [labels, wrong]) t.is(await session.eval(inputs, l), model.evaluate(inputs, l, n), `batch of ${n}`);
    right += model.evaluate(inputs, labels, n);
    rotated += model.evaluate(inputs, wrong, n);
  }
  t.log(`correct ${right} of 36 with the labels, ${rotated} with every other label rotated`);
  t.true(right > rotated && rotated > 0);
  const stats = await session.stats();
  t.is(stats.step, ids.length, "eval does not train");
  t.is(stats.digest, model.digest(), "eval leaves the state as it was");
  await session.close();
});

test("calibrate re-estimates statistics on the device as the direct export does", async (t) => {
  const { session } = await connected();
  await session.init(SPEC, 2);
  await trained(session, [1, 2]);
  const before = await session.stats();
  const { inputs, labels } = batch(50);
  const correct = await session.calibrate(inputs, labels, true);
  const after = await session.stats();
  t.is(after.step, before.step);
  t.not(after.digest, before.digest, "the running statistics changed");

  const { exports: m, mem } = instantiate({ path: WASM });
  mem.write(m.spec_ptr(), SPEC);
  m.init(2, 0);
  for (const id of [1, 2, 50]) {
    const b = batch(id);
    mem.write(m.batch_inputs_ptr(), b.inputs);
    mem.write(m.batch_labels_ptr(), b.labels);
    if (id === 50) t.is(m.calibrate(BATCH, 1), correct); else m.train(BATCH);
  }
  t.is(after.digest, m.state_digest() >>> 0);
  await session.close();
});

test("state read and write round trip between two devices", async (t) => {
  const a = await connected();
  await a.session.init(SPEC, 11);
  await trained(a.session, [1, 2, 3]);
  const blob = await a.session.readState();
  const sa = await a.session.stats();
  t.is(blob.length, sa.stateLen);

  const b = await connected();
  await b.session.init(SPEC, 999);
  t.not((await b.session.stats()).digest, sa.digest);
  const committed = await b.session.writeState(blob, 3);
  t.deepEqual(committed, { step: 3, digest: sa.digest });
  t.like(await b.session.stats(), { lastBatchId: 3, digest: sa.digest, dirty: false });

  // Both continue identically.
  await trained(a.session, [4]);
  await trained(b.session, [4]);
  t.is((await b.session.stats()).digest, (await a.session.stats()).digest);
  await a.session.close();
  await b.session.close();
});

test("a corrupted state blob is refused and training waits for a good one", async (t) => {
  const { session } = await connected();
  await session.init(SPEC, 3);
  const blob = await session.readState();
  blob[blob.length - 1] ^= 0x40;
  const err = await t.throwsAsync(session.writeState(blob, 0), { instanceOf: ProtocolError });
  t.is(err!.status, Status.E_STATE_CRC);
  const { inputs, labels } = batch(1);
  const refused = await t.throwsAsync(session.train(1, inputs, labels), { instanceOf: ProtocolError });
  t.true(refused!.status === Status.E_NOT_READY || refused!.status === Status.E_DIRTY);
  await session.init(SPEC, 3);
  t.true((await session.train(1, inputs, labels)).applied);
  await session.close();
});

test("checkpoint survives a device reset and a new process (file-backed flash)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "fewmul-flash-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const flashPath = join(dir, "flash.bin");
  const { transport, session } = await connected({ flashPath });
  await session.init(SPEC, 5);
  await trained(session, [1, 2, 3]);
  const saved = await session.checkpoint();
  await trained(session, [4]);
  t.true(saved.bytes > 72);

  await transport.reset();
  t.is(transport.bootStatus, 1);
  const err = await t.throwsAsync(session.stats(), { instanceOf: ProtocolError });
  t.true(err!.deviceReset && err!.resync);
  const info = await session.hello();
  t.like(info, { bootStatus: 1 });
  t.like(info.model, { ready: true, step: 3, lastBatchId: 3, digest: saved.digest });
  await session.close();

  const again = await connected({ flashPath });
  t.like(again.info.model, { ready: true, step: 3, lastBatchId: 3, digest: saved.digest });
  await again.session.close();
});

test("a damaged checkpoint is refused at boot and the device waits for INIT", async (t) => {
  const { transport, session } = await connected();
  await session.init(SPEC, 5);
  await trained(session, [1]);
  await session.checkpoint();
  const byte = transport.flash.read(200, 1)!;
  transport.flash.write(200, Uint8Array.of(byte[0] ^ 1));
  await transport.reset();
  t.is(transport.bootStatus, Status.E_CHECKPOINT);
  const info = await session.hello();
  t.is(info.bootStatus, Status.E_CHECKPOINT);
  t.like(info.model, { ready: false, dirty: false, step: 0, digest: 0, lastBatchId: 0, stateLen: 0 }, "nothing half-restored");
  const { inputs, labels } = batch(2);
  const err = await t.throwsAsync(session.train(2, inputs, labels), { instanceOf: ProtocolError });
  t.is(err!.status, Status.E_NOT_READY);
  await session.init(SPEC, 5);
  t.true((await session.train(1, inputs, labels)).applied);
  await session.close();
});

test("a model larger than the RAM limit is refused with E_NOMEM", async (t) => {
  const { session } = await connected({ maxPages: 1 });
  const big = SPEC.slice();
  new DataView(big.buffer).setUint16(18, 4000, true); // hidden layer of 4000 units
  const err = await t.throwsAsync(session.init(big, 1), { instanceOf: ProtocolError });
  t.is(err!.status, Status.E_NOMEM);
  await session.close();
});

test("close cancels pending requests with the canceled flag", async (t) => {
  const { session } = await connected({ baud: 9600 });
  const pending = session.stats();
  await session.close();
  const err = await t.throwsAsync(pending);
  t.true((err as ProtocolError).canceled);
});
