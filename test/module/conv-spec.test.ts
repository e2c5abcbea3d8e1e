import test from "ava";
import { formatConvSpec, parseConvSpec, parseModelSpec, planLayers } from "../../host/module/conv-spec.ts";
import { checkSpecBytes, DEFAULT_SPEC, encodeSpec, formatSpec, parseSpec } from "../../host/module/spec.ts";
import { DeviceModel } from "../../host/module/device-model.ts";
import { SIZE_CONV, SIZE_POOL } from "../../assembly/shared/spec.ts";
import * as StatusCodes from "../../assembly/shared/status.ts";
import { UserError } from "../../host/errors.ts";

/** `fn` throws a one-line E_SPEC UserError containing every part. */
function refuses(t: import("ava").ExecutionContext, text: string, ...parts: string[]) {
  const err = t.throws(() => parseConvSpec(text), { instanceOf: UserError }, text);
  if (!err) return;
  t.is((err as UserError).code, "E_SPEC");
  t.false(err.message.includes("\n"), err.message);
  t.true(err.message.includes(`"${text}"`), `names the spec: ${err.message}`);
  for (const p of parts) t.true(err.message.includes(p), `"${err.message}" lacks "${p}"`);
}

test("the issue's example parses into shapes, layer by layer", (t) => {
  const s = parseConvSpec("3x32x32-c16-p-c32-p-d64-10:tc");
  t.deepEqual(s.input, [3, 32, 32]);
  t.deepEqual(s.layers, [
    { kind: "conv", channels: 16 }, { kind: "pool" }, { kind: "conv", channels: 32 }, { kind: "pool" },
    { kind: "dense", units: 64 }, { kind: "dense", units: 10 },
  ]);
  const plan = planLayers(s);
  t.deepEqual(plan.map((p) => [p.label, p.in, p.out, p.weights]), [
    ["c16", [3, 32, 32], [16, 32, 32], 9 * 3 * 16],
    ["p", [16, 32, 32], [16, 16, 16], 0],
    ["c32", [16, 16, 16], [32, 16, 16], 9 * 16 * 32],
    ["p", [32, 16, 16], [32, 8, 8], 0],
    ["d64", [32, 8, 8], [64, 1, 1], 2048 * 64],
    ["10", [64, 1, 1], [10, 1, 1], 640],
  ]);
  t.is(s.mode, "tc");
});

test("mode and options follow the dense grammar; unset ones keep the defaults", (t) => {
  const s = parseConvSpec("1x28x28-c8-p-10:bc,batch=16,lr=2,lrend=6,window=4,qbp=0,randbits=4,decay=900");
  t.like(s, { mode: "bc", batch: 16, lrStart: 2, lrEnd: 6, window: 4, qbp: false, randBits: 4, decaySteps: 900 });
  t.like(parseConvSpec("1x28x28-c8-p-10"), { mode: DEFAULT_SPEC.mode, batch: DEFAULT_SPEC.batch, window: DEFAULT_SPEC.window });
  t.deepEqual(planLayers(parseConvSpec("1x28x28-10")).map((p) => p.weights), [7840], "a dense net on the image: the flatten is free");
});

test("formatConvSpec round-trips", (t) => {
  for (const text of ["3x32x32-c16-p-c32-p-d64-10:tc", "1x28x28-c4-c4-p-d32-d16-10:bc,batch=8", "2x6x4-c2-p-3:tc,lr=3"]) {
    const s = parseConvSpec(text);
    t.deepEqual(parseConvSpec(formatConvSpec(s)), s);
  }
});

test("malformed elements are refused with the element and its position", (t) => {
  refuses(t, "3x32-c16-10", 'input shape "3x32"', "3x32x32");
  refuses(t, "0x8x8-c4-10", "0 input channels");
  refuses(t, "65x8x8-c4-10", "65 input channels (1..64)");
  refuses(t, "1x300x8-c4-10", "input 300x8 pixels");
  refuses(t, "1x8x8", "no layers after the input shape");
  refuses(t, "1x8x8-c4-q-10", 'layer 2 "q" is not cN', "p (2x2 max pool)");
  refuses(t, "1x8x8-c0-10", 'layer 1 "c0": 0 channels');
  refuses(t, "1x8x8-c257-10", "257 channels (1..256)");
  refuses(t, "1x8x8-d0-10", 'layer 1 "d0": 0 units');
  refuses(t, "1x8x8-c4-16-10", 'layer 2 "16"', "write d16");
  refuses(t, "1x8x8-c4-p", 'layer 2 "p"', "class count");
  refuses(t, "1x8x8-c4-1", "1 classes (2..255)");
  refuses(t, "1x8x8-c4-256", "256 classes");
  refuses(t, "1x8x8-c4-10:xc", "mode must be bc or tc");
  refuses(t, "1x8x8-c4-10:tc:bc", "one ':'");
  refuses(t, "1x8x8-c4-10,speed=3", 'unknown option "speed"');
});

test("rules across layers: conv and pool before dense, pooling on even sides, at most 8 weight layers", (t) => {
  refuses(t, "1x8x8-d16-c4-10", 'layer 2 "c4" follows a dense layer');
  refuses(t, "1x8x8-d16-p-10", 'layer 2 "p" follows a dense layer');
  refuses(t, "1x7x8-c2-p-10", 'layer 2 "p"', "even height and width", "2x7x8");
  refuses(t, "1x8x8-c2-p-c2-p-c2-p-c2-p-10", 'layer 8 "p"', "2x1x1");
  refuses(t, "1x8x8-c2-p-p-10", 'layer 3 "p"', "a pool layer follows a conv layer");
  refuses(t, "1x8x8-p-10", 'layer 1 "p"', "a pool layer follows a conv layer");
  refuses(t, "1x8x8-c1-c1-c1-c1-c1-c1-c1-c1-10", "9 layers with weights (conv and dense, 1..8)");
  t.is(planLayers(parseConvSpec("1x8x8-c1-c1-c1-c1-c1-c1-c1-10")).length, 8);
});

test("option ranges are the dense grammar's", (t) => {
  const err = t.throws(() => parseConvSpec("1x8x8-c4-10,batch=3"), { instanceOf: UserError });
  t.regex(err!.message, /batch 3 \(a power of two up to 256\)/);
  t.throws(() => parseConvSpec("1x8x8-c4-10,window=9"), { message: /window 9/ });
});

test("the dense grammar points a conv spec to parseModelSpec, which reads both", (t) => {
  const err = t.throws(() => parseSpec("3x32x32-c16-p-10"), { instanceOf: UserError });
  t.regex(err!.message, /conv net .* parseModelSpec/);
  t.false(err!.message.includes("\n"));
  t.deepEqual(parseSpec("784-64-10:bc,batch=8").sizes, [784, 64, 10], "dense specs unchanged");
  t.deepEqual(parseModelSpec("784-64-10:bc,batch=8"), parseSpec("784-64-10:bc,batch=8"));
  const conv = parseModelSpec("3x32x32-c16-p-d64-10:bc,batch=8");
  t.deepEqual(conv.sizes, [3072, 16, 64, 10], "input bytes per sample, then each weight layer's outputs");
  t.deepEqual(conv.conv, { input: [3, 32, 32], layers: [{ kind: "conv", channels: 16 }, { kind: "pool" }, { kind: "dense", units: 64 }, { kind: "dense", units: 10 }] });
  t.is(formatSpec(conv), "3x32x32-c16-p-d64-10:bc,batch=8,qbp=1,window=8,lr=0,lrend=4,decay=2500,randbits=8");
  t.deepEqual(parseModelSpec(formatSpec(conv)), conv);
});

test("conv specs round-trip through the 48 spec bytes; the device accepts exactly what the host does", (t) => {
  const m = new DeviceModel({ ramBytes: 64 << 20 });
  for (const text of ["1x28x28-c8-p-c16-p-d64-10:tc,batch=8", "3x32x32-c16-c16-p-10", "1x8x8-10", "64x1x1-c256-2:bc,batch=8"]) {
    const spec = parseModelSpec(text);
    const bytes = encodeSpec(spec);
    t.deepEqual(checkSpecBytes(bytes), spec, text);
    t.true(m.requiredBytes(spec) > 0, text);
  }
  // Refused by both: a pool flag on a dense layer, a conv after the flatten (also as the last layer).
  const good = encodeSpec(parseModelSpec("1x8x8-c4-p-d16-d8-4"));
  const view = new DataView(good.buffer);
  for (const [at, value, why] of [[18, 4 | SIZE_CONV | SIZE_POOL, ""], [20, 16 | SIZE_POOL, "16400"], [22, 8 | SIZE_CONV, "come before"], [24, 4 | SIZE_CONV, "come before"]] as const) {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint16(at, value, true);
    if (why === "") { t.notThrows(() => checkSpecBytes(bytes)); continue; }
    t.throws(() => checkSpecBytes(bytes), { message: new RegExp(why) }, `${at}: ${value}`);
    m.mod.mem.write(m.mod.exports.spec_ptr(), bytes);
    t.is(m.mod.exports.required_bytes(), StatusCodes.E_SPEC, `device refuses ${at}: ${value}`);
  }
  t.is(view.getUint16(18, true), 4 | SIZE_CONV | SIZE_POOL);
});

test("a conv layer needs at least 8 rows (batch x height x width) for its per-channel statistics", (t) => {
  refuses(t, "1x2x2-c4-10,batch=1", 'layer 1 "c4"', "4 rows", "at least 8", "raise the batch");
  refuses(t, "1x4x4-c4-p-c4-10,batch=1", 'layer 3 "c4"', "batch 1 x 2x2 positions");
  t.is(planLayers(parseConvSpec("1x4x4-c4-p-c4-10,batch=2")).length, 4);
  t.is(planLayers(parseConvSpec("1x28x28-c4-10,batch=1")).length, 2);
});
