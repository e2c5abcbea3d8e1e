import test from "ava";
import binaryen from "binaryen";
import { readFileSync } from "node:fs";
import { inspectModule, countingModule } from "../../host/module/inspect.ts";
import { RELEASE_MODULE } from "../../host/module/loader.ts";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseSpec } from "../../host/module/spec.ts";

const wasm = readFileSync(RELEASE_MODULE);
const report = inspectModule(wasm);

function wat(source: string): Uint8Array {
  const m = binaryen.parseText(source);
  try { return m.emitBinary(); } finally { m.dispose(); }
}

test("the release module contains no floating-point instruction or type", (t) => {
  t.is(report.floatInstructions, 0);
});

test("the release module contains no multiply instruction, in loops or elsewhere", (t) => {
  t.is(report.multiplicationsInLoops, 0);
  t.is(report.multiplications, 0);
});

test("the release module fits the 16 KiB size budget", (t) => {
  t.log(`release module: ${report.bytes} bytes`);
  t.true(report.bytes <= 16 * 1024);
});

test("the release module imports nothing but the board's flash functions", (t) => {
  const allowed = ["env.flash_size", "env.flash_read", "env.flash_write"];
  t.deepEqual(report.imports.filter((name) => !allowed.includes(name)), []);
});

test("the inspector catches a multiplication in a loop and a float instruction", (t) => {
  const probe = inspectModule(wat(`(module (func (export "f") (param $a i32) (result i32)
    (loop $l (local.set $a (i32.mul (local.get $a) (local.get $a))) (br_if $l (local.get $a)))
    (drop (f32.const 1)) (local.get $a)))`));
  t.is(probe.multiplications, 1);
  t.is(probe.multiplicationsInLoops, 1);
  t.true(probe.floatInstructions > 0);
});

test("the counting copy counts executed multiplications", (t) => {
  const counted = countingModule(wat(`(module (func (export "f") (param $n i32) (result i32)
    (local $x i32) (local.set $x (i32.const 1))
    (loop $l (local.set $x (i32.mul (local.get $x) (i32.const 3)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n)))
    (local.get $x)))`));
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(counted)) as any;
  t.is(exports.f(5), 243);
  t.is(exports.__muls_get(), 5);
});

test("training and evaluation execute no multiplication", (t) => {
  const model = new DeviceModel({ wasm: countingModule(wasm) });
  const spec = parseSpec("64-32-16-10:tc,batch=8");
  model.init(spec, 3);
  const images = new Uint8Array(8 * 64).map((_, i) => (i * 37) & 255);
  const labels = new Uint8Array(8).map((_, i) => i % 10);
  const before = model.mod.exports.__muls_get();
  for (let s = 0; s < 4; s++) model.train(images, labels);
  model.evaluate(images, labels, 8);
  t.is(model.mod.exports.__muls_get() - before, 0);
});
