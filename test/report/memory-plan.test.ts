// The host's tensor-by-tensor memory plan against the device module's planner, both driven by
// assembly/shared/arena.ts: the arena the host lists plus one constant static part (the
// module's data and stack) is exactly required_bytes, for every shape of spec (so the module
// allocates nothing the shared layout does not list); the state part is exactly the state blob.
import test from "ava";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { arenaPlan, largestLayer, memoryPlan } from "../../host/report/memory-plan.ts";
import { parseModelSpec } from "../../host/module/conv-spec.ts";

const SPECS = [
  "784-256-10:tc", "784-128-10:bc", "784-64-32-10:tc,batch=8", "100-20-30-40-5:bc,batch=64",
  "10-3:tc,batch=1", "3072-64-10:tc,batch=16", "33-65-2:bc,batch=256", "784-100-100-100-10:tc",
];

test("arena plan + one constant static part = the module's required_bytes, for every spec", (t) => {
  const m = new DeviceModel({ ramBytes: 64 << 20 });
  const statics = new Set<number>();
  for (const text of SPECS) {
    const spec = parseSpec(text);
    const required = m.requiredBytes(spec);
    const arena = arenaPlan(spec).reduce((a, e) => a + e.bytes, 0);
    statics.add(required - arena);
    const plan = memoryPlan(spec, required);
    t.is(plan.reduce((a, e) => a + e.bytes, 0), required, text);
    t.true(plan.every((e) => e.bytes >= 0 && Number.isInteger(e.bytes)), text);
  }
  t.is(statics.size, 1, `static part differs between specs: ${[...statics].join(", ")}`);
  const [s] = statics;
  t.true(s > 0 && s < 65536, `static part ${s}`);
});

test("the state entries add up to the state blob the module saves", (t) => {
  for (const text of SPECS.slice(0, 5)) {
    const spec = parseSpec(text);
    const m = new DeviceModel({ ramBytes: 64 << 20 });
    m.init(spec, 1);
    const state = arenaPlan(spec).filter((e) => e.part === "state").reduce((a, e) => a + e.bytes, 0);
    t.is(state, m.saveState().length, text);
  }
});

test("conv nets: arena plan + the same static part = required_bytes; the largest layer is named", (t) => {
  const m = new DeviceModel({ ramBytes: 64 << 20 });
  const dense = parseSpec(SPECS[0]);
  const statics = m.requiredBytes(dense) - arenaPlan(dense).reduce((a, e) => a + e.bytes, 0);
  for (const text of ["1x28x28-c8-p-c16-p-d64-10:tc,batch=8", "3x32x32-c16-p-c32-p-d64-10:bc,batch=4", "1x8x8-c4-c8-p-d16-4:tc,batch=1", "1x6x6-c3-c5-c2-7:tc,batch=64"]) {
    const spec = parseModelSpec(text);
    const arena = arenaPlan(spec).reduce((a, e) => a + e.bytes, 0);
    t.is(m.requiredBytes(spec) - arena, statics, text);
  }
  // 1x28x28-c8-p-c16-p-d64-10 at batch 8: the first conv's int32 sums [8·784][8] dominate.
  t.like(largestLayer(parseModelSpec("1x28x28-c8-p-c16-p-d64-10:tc,batch=8")), { layer: 0, label: "c8-p" });
  t.like(largestLayer(parseModelSpec("784-4096-10:tc")), { layer: 0, label: "4096" });
});
