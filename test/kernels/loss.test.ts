import test from "ava";
import { Gen } from "./gen.ts";
import { countCorrect, hingeBackward, lossPerTerm } from "./oracle.ts";
import { fresh, getI32, k, put, sameArray } from "./wasm.ts";

test.beforeEach(() => fresh());

function wasmHinge(y: Int32Array, labels: Uint8Array, n: number, batch: number) {
  const py = put(y), pl = put(labels);
  const correct = k.count_correct(py, pl, n, batch);
  k.hinge_backward(py, pl, n, batch);
  return { g: getI32(py, batch * n), loss: k.last_loss_sum() >>> 0, correct };
}

test("hinge_backward writes -2·t·margin where the margin is positive, by hand", (t) => {
  // labels [0, 2]; y = [[256, 0, -300], [100, -256, 200]] (one = 256).
  // b0: j0 t=+1 margin 0 -> 0; j1 t=-1 margin 256 -> +512; j2 margin -44 -> 0.
  // b1: j0 margin 356 -> +712; j1 margin 0 -> 0; j2 t=+1 margin 56 -> -112.
  // Loss: (256² + 356² + 56²) >> 8 = 195408 >> 8 = 763 (also 256 + 495 + 12 term by term).
  const r = wasmHinge(Int32Array.from([256, 0, -300, 100, -256, 200]), Uint8Array.from([0, 2]), 3, 2);
  t.deepEqual(Array.from(r.g), [0, 512, 0, 712, 0, -112]);
  t.is(r.loss, 763);
});

test("count_correct counts argmax hits, the first index winning ties, by hand", (t) => {
  // [5, 9, 9] label 1 (tie, first) ok; [-1, -2, -3] label 0 ok; [0, 0, 0] label 0 ok;
  // [1, 2, 3] label 1 wrong: 3.
  const y = Int32Array.from([5, 9, 9, -1, -2, -3, 0, 0, 0, 1, 2, 3]);
  t.is(k.count_correct(put(y), put(Uint8Array.from([1, 0, 0, 1])), 3, 4), 3);
  t.is(countCorrect(y, [1, 0, 0, 1], 3, 4), 3);
});

test("last_loss_sum is Σ (margin² >> 8) over the batch, as the document writes it", (t) => {
  // One sample, label 0, y = [56, -56, -56, -56]: four margins of 200, 200² = 40000.
  // Each square shifted first: 4 · (40000 >> 8) = 4 · 156 = 624 (not (4 · 40000) >> 8 = 625).
  const y = Int32Array.from([56, -56, -56, -56]);
  t.is(lossPerTerm(y, [0], 4, 1), 624);
  const r = wasmHinge(y, Uint8Array.from([0]), 4, 1);
  t.is(r.loss, 624);
});

test("last_loss_sum saturates at 2^32 - 1 instead of wrapping", (t) => {
  // Margin 2^24 + 256 at the label: its square >> 8 alone exceeds 2^32.
  const r = wasmHinge(Int32Array.from([-(2 ** 24), 0]), Uint8Array.from([0]), 2, 1);
  t.is(r.loss, 0xFFFFFFFF);
  t.deepEqual(Array.from(r.g), [-2 * (2 ** 24 + 256), 512]);
});

test("hinge_backward and count_correct match the oracle on random scores; the loss is within the rounding of Σ margin² >> 8", (t) => {
  const g = new Gen(70);
  for (const n of [2, 10, 33, 70, 255]) {
    for (const batch of [1, 4, 32, 256]) {
      for (const spread of [10, 300, 5000]) {
        const y = Int32Array.from({ length: n * batch }, () => (g.real() < 0.1 ? g.pick([256, -256, 0]) : g.int(-spread, spread)));
        const labels = Uint8Array.from({ length: batch }, () => g.int(0, n - 1));
        const got = wasmHinge(y, labels, n, batch);
        const want = hingeBackward(y, labels, n, batch);
        const tag = `n ${n} batch ${batch} spread ${spread}`;
        sameArray(t, got.g, want.g, `gradient ${tag}`, n);
        t.is(got.correct, countCorrect(y, labels, n, batch), `correct ${tag}`);
        // Either reading of "Σ margin² >> 8" lies in [lossDoc - n·batch, lossDoc] (u32, saturated).
        const top = Math.min(want.lossDoc, 0xFFFFFFFF);
        t.true(got.loss <= top && got.loss >= Math.min(top, want.lossDoc - n * batch), `loss ${got.loss} vs ${want.lossDoc} ${tag}`);
      }
    }
  }
});

test("hinge_backward at MNIST size (10 outputs, batch 32) matches the oracle", (t) => {
  const g = new Gen(71);
  const y = Int32Array.from({ length: 320 }, () => g.int(-700, 700));
  const labels = Uint8Array.from({ length: 32 }, () => g.int(0, 9));
  const got = wasmHinge(y, labels, 10, 32);
  const want = hingeBackward(y, labels, 10, 32);
  sameArray(t, got.g, want.g, "gradient", 10);
  t.is(got.correct, countCorrect(y, labels, 10, 32));
});
