// host/module/spec.ts: the text form of a model spec, its 48-byte encoding and the checks that
// keep a bad value from reaching the device as something else.
import test from "ava";
import { UserError } from "../../host/errors.ts";
import {
  checkSpecBytes, decodeSpec, DEFAULT_SPEC, defaultLrEnd, encodeSpec, formatSpec, parseSpec, validateSpec, type ModelSpec,
} from "../../host/module/spec.ts";

function refused(t: import("ava").ExecutionContext, text: string, ...parts: string[]) {
  const e = t.throws(() => parseSpec(text), { instanceOf: UserError }, text);
  if (!e) return;
  t.is((e as UserError).code, "E_SPEC");
  t.false(e.message.includes("\n"));
  for (const p of parts) t.true(e.message.includes(p), `"${e.message}" lacks "${p}"`);
}

test("the text form parses every key and round-trips through formatSpec and the bytes", (t) => {
  const s = parseSpec("100-48-10:bc,batch=64,window=5,qbp=0,lr=-2,lrend=7,decay=123456,randbits=4");
  t.deepEqual(s, {
    sizes: [100, 48, 10], mode: "bc", qbp: false, window: 5, batch: 64,
    lrStart: -2, lrEnd: 7, decaySteps: 123456, randBits: 4,
  });
  t.deepEqual(parseSpec(formatSpec(s)), s);
  t.deepEqual(decodeSpec(encodeSpec(s)), s);
  t.deepEqual(checkSpecBytes(encodeSpec(s)), s);
  t.deepEqual(parseSpec("784-256-10"), DEFAULT_SPEC);
  // fixed=1: the mode byte's flag 2, in the text form only when set
  const f = parseSpec("100-48-10:tc,fixed=1");
  t.true(f.fixed);
  t.is(encodeSpec(f)[1], 3);
  t.regex(formatSpec(f), /,fixed=1$/);
  t.deepEqual(parseSpec(formatSpec(f)), f);
  t.deepEqual(checkSpecBytes(encodeSpec(f)), f);
  t.false("fixed" in parseSpec("100-48-10:tc,fixed=0"));
  t.throws(() => parseSpec("100-48-10:tc,fixed=2"), { message: /fixed must be 0 or 1/ });
});

test("values that are not plain integers are refused, not read as something else", (t) => {
  refused(t, "784-256-10,qbp=x", "qbp", `"x"`);
  refused(t, "784-256-10,qbp=2", "qbp must be 0 or 1");
  refused(t, "784-256-10,lr=", "lr must be a decimal integer", `""`);
  refused(t, "784-256-10,lr", "lr must be a decimal integer");
  refused(t, "784-256-10,batch=0.5", "batch", "0.5");
  refused(t, "784-256-10,batch=1e3", "batch", "1e3");
  refused(t, "784-256-10,window=0x8", "window", "0x8");
  refused(t, "784-256-10,decay= 5", "decay");
});

test("values out of range name the field and its range", (t) => {
  refused(t, "784-256-10,decay=1000000000000", "decay 1000000000000", "0..4294967295");
  refused(t, "784-256-10,batch=3", "batch 3", "power of two");
  refused(t, "784-256-10,batch=0", "batch 0");
  refused(t, "784-256-10,batch=512", "batch 512", "up to 256");
  refused(t, "784-256-10,window=9", "window 9", "1..8");
  refused(t, "784-256-10,randbits=3", "randbits 3");
  refused(t, "784-256-10,randbits=32", "randbits 32");
  refused(t, "784-256-10,lr=31", "lr 31", "-8..30");
  refused(t, "784-256-10,lrend=-9", "lrend -9");
  refused(t, "784-5000-10", "layer width 5000", "1..4096");
  refused(t, "784-256-300", "300 outputs", "2..255");
  refused(t, "784-256-1", "1 outputs");
  refused(t, "1-2-3-4-5-6-7-8-9-10", "9 layers", "1..8");
});

test("malformed text: sizes, mode, unknown and repeated keys", (t) => {
  refused(t, "784", "sizes must look like 784-256-10");
  refused(t, "784-abc-10", "sizes must look like");
  refused(t, "784--10", "sizes must look like");
  refused(t, "784-256-10:xc", "mode must be bc or tc");
  refused(t, "784-256-10:tc:bc", `one ":" at most`);
  refused(t, "784-256-10,speed=3", `unknown option "speed"`);
  refused(t, "784-256-10,batch=16,batch=32", `"batch" given twice`);
});

test("validateSpec refuses what the typed form could carry but the bytes cannot", (t) => {
  const bad = (patch: object) => t.throws(() => validateSpec({ ...DEFAULT_SPEC, ...patch }), { instanceOf: UserError });
  bad({ batch: 0.5 });
  bad({ decaySteps: 2 ** 32 });
  bad({ decaySteps: -1 });
  bad({ lrStart: 1.5 });
  bad({ mode: "xc" });
  bad({ sizes: [784, 256.5, 10] });
});

test("checkSpecBytes refuses byte-level damage: version, mode, qbp, reserved, sizes past the layers", (t) => {
  const good = encodeSpec(DEFAULT_SPEC);
  const damaged = (at: number, v: number, part: string) => {
    const b = good.slice();
    b[at] = v;
    const e = t.throws(() => checkSpecBytes(b), { instanceOf: UserError });
    t.true(e?.message.includes(part), `${e?.message} lacks ${part}`);
  };
  damaged(0, 2, "spec version 2");
  damaged(1, 4, "weight mode 4");
  damaged(2, 2, "qbp 2");
  damaged(15, 1, "reserved");
  damaged(13, 1, "784 input channels"); // a height alone makes it a conv net of 784 channels
  damaged(16 + 2 * 3, 5, "size 3 is set beyond the 2 layers");
});

test("the typed form is held to the device's ranges, each refusal naming its field", (t) => {
  const named = (patch: Partial<ModelSpec>, part: string) => {
    const e = t.throws(() => validateSpec({ ...DEFAULT_SPEC, ...patch }), { instanceOf: UserError });
    t.true(e?.message.includes(part), `${e?.message} lacks ${part}`);
  };
  named({ window: 9 }, "window 9 (1..8)");
  named({ window: 0 }, "window 0 (1..8)");
  named({ batch: 512 }, "batch 512");
  named({ lrStart: 31 }, "lr 31");
  named({ lrEnd: -9 }, "lrend -9");
  named({ randBits: 3 }, "randbits 3");
  named({ sizes: [784, 10, 10, 10, 10, 10, 10, 10, 10, 10] }, "9 layers");
  named({ sizes: [784, 4097, 10] }, "layer width 4097");
  named({ sizes: [784, 256, 1] }, "1 outputs");
  named({ sizes: [784, 70000, 10] }, "layer width 70000");
  t.deepEqual(validateSpec({ ...DEFAULT_SPEC, window: 1, lrStart: -8, lrEnd: 30, randBits: 16, batch: 256 }).window, 1);
});

test("parseSpec: a batch of 1 without lr takes lr=1 (BC) or lr=2 (TC); lr given, or another batch, is kept", (t) => {
  t.is(parseSpec("784-16-10:bc,batch=1").lrStart, 1);
  t.is(parseSpec("784-16-10:tc,batch=1").lrStart, 2);
  t.is(parseSpec("784-16-10,batch=1").lrStart, 2);
  t.is(parseSpec("784-16-10:bc,batch=1").lrEnd, 3); // BC at batch 1 ends one halving higher
  t.is(parseSpec("784-16-10:bc,batch=1,lrend=4").lrEnd, 4);
  t.is(parseSpec("784-16-10:tc,batch=1").lrEnd, 4);
  t.is(parseSpec("784-16-10:bc,batch=1,lr=0").lrStart, 0);
  t.is(parseSpec("784-16-10:bc,batch=2").lrStart, 0);
  t.is(parseSpec("784-16-10:bc").lrStart, DEFAULT_SPEC.lrStart);
});

test("defaultLrEnd: 2^-4 up to 2^17 samples, then one halving per doubling of decay · batch", (t) => {
  t.is(defaultLrEnd(32, 0, "tc"), 4);
  t.is(defaultLrEnd(32, 2500, "tc"), 4); // 10 epochs of the MNIST digits, 80,000 samples
  t.is(defaultLrEnd(1, 24000, "tc"), 4);
  t.is(defaultLrEnd(32, 4095, "tc"), 4); // 131,040 samples
  t.is(defaultLrEnd(32, 4096, "tc"), 5); // 2^17
  t.is(defaultLrEnd(1, 4096 * 32, "tc"), 5); // per sample: the same at every batch size
  t.is(defaultLrEnd(32, 56250, "tc"), 8); // 30 epochs of Fashion-MNIST, 1.8 M samples
  t.is(defaultLrEnd(256, 0xffffffff, "tc"), 27); // just under 2^40 samples
  t.is(defaultLrEnd(1, 24000, "bc"), 3); // BC at batch 1: one halving higher
  t.is(defaultLrEnd(1, 4096 * 32, "bc"), 4);
  t.is(defaultLrEnd(2, 24000, "bc"), 4);
});

test("parseSpec: a decay without lrend takes the run's default end; lrend given is kept", (t) => {
  t.is(parseSpec("784-256-10:tc,decay=56250").lrEnd, 8);
  t.is(parseSpec("784-256-10:tc,batch=8,decay=56250").lrEnd, 6);
  t.is(parseSpec("784-256-10:tc,decay=56250,lrend=3").lrEnd, 3);
  t.is(parseSpec("784-256-10:tc,batch=8").lrEnd, DEFAULT_SPEC.lrEnd);
});
