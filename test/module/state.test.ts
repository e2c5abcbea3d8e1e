import test from "ava";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { UserError } from "../../host/errors.ts";

const spec = parseSpec("100-48-10:tc,batch=16,lr=0,lrend=4,decay=20");

function data(seed: number) {
  let s = seed >>> 0 || 1;
  const rand = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  const images = new Uint8Array(16 * 100).map(() => { const r = rand() & 255; return r < 128 ? 0 : r; });
  const labels = new Uint8Array(16).map(() => rand() % 10);
  return { images, labels };
}

function trained(seed: number, steps: number, model = new DeviceModel()) {
  if (model.step === 0 && !model.spec) model.init(spec, seed);
  for (let s = 0; s < steps; s++) { const d = data(s + 1); model.train(d.images, d.labels); }
  return model;
}

test("the same seed and data give identical state bytes", (t) => {
  t.deepEqual(trained(5, 6).saveState(), trained(5, 6).saveState());
});

test("another seed gives other state bytes", (t) => {
  t.notDeepEqual(trained(5, 6).saveState(), trained(6, 6).saveState());
});

test("a step changes the state and its digest", (t) => {
  const m = trained(5, 2);
  const before = m.digest();
  trained(5, 1, m);
  t.not(m.digest(), before);
  t.is(m.step, 3);
});

test("a saved state continues in a fresh module exactly as the original", (t) => {
  const original = trained(9, 3);
  const resumed = new DeviceModel();
  resumed.loadState(original.saveState());
  t.is(resumed.step, 3);
  for (let s = 3; s < 6; s++) {
    const d = data(s + 1);
    original.train(d.images, d.labels);
    resumed.train(d.images, d.labels);
  }
  t.deepEqual(resumed.saveState(), original.saveState());
});

test("evaluation leaves the state untouched", (t) => {
  const m = trained(4, 2);
  const before = m.saveState();
  const d = data(99);
  m.evaluate(d.images, d.labels, 16);
  t.deepEqual(m.saveState(), before);
});

function corrupt(mutate: (blob: Uint8Array) => Uint8Array) {
  const blob = trained(2, 1).saveState();
  const m = new DeviceModel();
  return () => m.loadState(mutate(blob.slice()));
}

test("a state blob of another version is refused", (t) => {
  const e = t.throws(corrupt((b) => { b[4] = 1; return b; }), { instanceOf: UserError }); // version 1: before online normalisation
  t.regex(e!.message, /another format version/);
});

test("a state blob of the wrong size is refused", (t) => {
  const e = t.throws(corrupt((b) => b.subarray(0, b.length - 4)), { instanceOf: UserError });
  t.regex(e!.message, /bytes, its spec needs/);
});

test("a state blob with a flipped bit is refused by its digest", (t) => {
  const e = t.throws(corrupt((b) => { b[200] ^= 4; return b; }), { instanceOf: UserError });
  t.regex(e!.message, /checksum/);
});

test("a blob that is not a fewmul state is refused", (t) => {
  const e = t.throws(corrupt((b) => { b[0] = 0x58; return b; }), { instanceOf: UserError });
  t.regex(e!.message, /bad magic/);
});

test("a refused blob leaves no model to train on", (t) => {
  const m = new DeviceModel();
  m.init(spec, 1);
  const blob = m.saveState();
  blob[300] ^= 1;
  t.throws(() => m.loadState(blob));
  const d = data(1);
  t.throws(() => m.train(d.images, d.labels), { message: /no model/ });
});

test("a spec that does not fit the board's RAM is refused at init", (t) => {
  const m = new DeviceModel({ ramBytes: 256 * 1024 });
  const e = t.throws(() => m.init(parseSpec("784-256-10"), 1), { instanceOf: UserError });
  t.regex(e!.message, /RAM/);
});

test("the planner's memory figure is what init allocates", (t) => {
  const m = new DeviceModel();
  const need = m.requiredBytes(spec);
  m.init(spec, 1);
  t.true(m.mod.mem.byteLength >= need);
  t.true(m.mod.mem.byteLength < need + 65536);
});
