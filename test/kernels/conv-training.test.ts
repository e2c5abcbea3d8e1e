/**
 * The integer conv kernels composed into a training step by hand (the release module does
 * not run conv nets yet): 1x8x8-c4-p-4:tc, batch 16, the step order of assembly/model.ts and
 * docs/model-format.md. Shows that the integer rules learn together: a toy translation task
 * (the label is the quadrant of a brighter 2x2 block in noise), measured with deterministic
 * weights, and that training the conv layer is what gets it there (a frozen random conv
 * layer under the same dense training stays well below).
 */
import test from "ava";
import { Gen } from "./gen.ts";
import { TC } from "./oracle.ts";
import { alloc, fresh, getI32, k } from "./wasm.ts";

const B = 16, LOG2B = 4, H = 8, W = 8, C = 4, CLASSES = 4, POOLED = (H / 2) * (W / 2) * C;

function quadrants(gen: Gen, count: number) {
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const q = gen.int(0, 3);
    labels[i] = q;
    const y0 = (q >> 1) * 4 + gen.int(0, 2), x0 = (q & 1) * 4 + gen.int(0, 2);
    for (let p = 0; p < 64; p++) images[i * 64 + p] = gen.int(0, 120);
    for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) images[i * 64 + (y0 + dy) * 8 + x0 + dx] = gen.int(100, 160);
  }
  return { images, labels };
}

/** Held-out accuracy (of 256) after each of 4 epochs; `trainConv` false freezes the conv weights and biases. */
function run(trainConv: boolean): number[] {
  fresh();
  const gen = new Gen(21);
  const train = quadrants(gen, 1024), held = quadrants(gen, 256);
  const mem = () => k.memory.buffer;
  // Parameters: conv 9·1 rows of 4, dense 64 rows of 4; biases, running statistics, scales.
  const w0 = alloc(9 * C * 2), w1 = alloc(POOLED * CLASSES * 2);
  new Int16Array(mem(), w0, 9 * C).set(Int16Array.from({ length: 9 * C }, () => gen.int(-16384, 16384)));
  new Int16Array(mem(), w1, POOLED * CLASSES).set(Int16Array.from({ length: POOLED * CLASSES }, () => gen.int(-16384, 16384)));
  const [beta0, rm0, rs0, k0] = [alloc(C * 4), alloc(C * 4), alloc(C * 4), alloc(C * 4)];
  const [beta1, rm1, rs1, k1] = [alloc(CLASSES * 4), alloc(CLASSES * 4), alloc(CLASSES * 4), alloc(CLASSES * 4)];
  // Activations and errors.
  const x = alloc(B * 64), labels = alloc(B), q = alloc(B * 64);
  const kept0 = alloc(9 * 2 * 4), z0 = alloc(B * 64 * C * 4), act0 = alloc(B * 64 * C), pooled = alloc(B * POOLED);
  const kept1 = alloc(POOLED * 2 * 4), rowPos = alloc(4), rowNeg = alloc(4), z1 = alloc(B * CLASSES * 4), scores = alloc(B * CLASSES * 4);
  const dPooled = alloc(B * POOLED * 4), d0 = alloc(B * 64 * C * 4), acc = alloc(Math.max(C * 8, (CLASSES + B) * 4));
  const lrShift = 2, window = 8;
  const lo0 = Math.max(0, 8 - window + 1), lo1 = Math.max(0, 6 - window + 1);
  const boost0 = Math.floor(Math.log2(9 + 9 * C)) - 3, boost1 = Math.floor(Math.log2(POOLED + CLASSES)) - 3;
  k.rng_seed(1, 2);

  const load = (images: Uint8Array, ls: Uint8Array, at: number) => {
    new Uint8Array(mem(), x, B * 64).set(images.subarray(at * 64, (at + B) * 64));
    new Uint8Array(mem(), labels, B).set(ls.subarray(at, at + B));
  };
  const forward = (stochastic: boolean, training: boolean, first: boolean) => {
    k.conv_sample(w0, 1, C, TC, stochastic ? 1 : 0, kept0);
    k.conv_forward(x, H, W, 1, B, kept0, C, TC, z0);
    k.channel_norm_forward(z0, B * H * W, C, 4, beta0, rm0, rs0, k0, training ? 1 : 0, first ? 1 : 0, act0);
    k.pool_forward(act0, H, W, C, B, pooled);
    k.dense_forward(pooled, POOLED, B, w1, CLASSES, TC, stochastic ? 1 : 0, z1, rowPos, rowNeg, stochastic ? kept1 : 0);
    k.norm_forward(z1, CLASSES, B, LOG2B, 8, beta1, rm1, rs1, k1, training ? 1 : 0, first ? 1 : 0, 0, -1, 4);
  };
  const accuracy = () => {
    let correct = 0;
    for (let at = 0; at + B <= 256; at += B) {
      load(held.images, held.labels, at);
      forward(false, false, false);
      correct += k.count_correct(z1, labels, CLASSES, B);
    }
    return correct;
  };

  let step = 0;
  const history: number[] = [];
  for (let epoch = 0; epoch < 4; epoch++) {
    for (let at = 0; at + B <= 1024; at += B, step++) {
      load(train.images, train.labels, at);
      forward(true, true, step === 0);
      new Int32Array(mem(), scores, B * CLASSES).set(getI32(z1, B * CLASSES));
      k.hinge_backward(z1, labels, CLASSES, B);
      // Output layer: normalisation, error backprop to the pooled activations, update.
      let e = k.norm_backward(z1, CLASSES, B, LOG2B, k1, beta1, -8, 8, lrShift + 5 - LOG2B, scores, 0, 0, -1);
      k.dense_backward(z1, CLASSES, B, kept1, POOLED, TC, pooled, dPooled);
      k.dense_update(pooled, POOLED, B, z1, CLASSES, w1, acc, 1, lo1, 6, e + lo1 + 14 - lrShift - 5 + boost1);
      e += 4;
      // Conv layer: through the pool, the channel normalisation, then the QBP update.
      if (!trainConv) continue;
      k.pool_backward(dPooled, act0, H, W, C, B, d0);
      e = k.channel_norm_backward(d0, B * H * W, C, k0, beta0, e, 4, lrShift, act0);
      k.conv_quantize(x, B * 64, lo0, 8, q);
      k.conv_update(x, q, H, W, 1, B, d0, C, w0, acc, 1, e + lo0 + 14 - lrShift - 5 + boost0);
    }
    history.push(accuracy());
  }
  return history;
}

test("an integer conv net trained with the conv kernels learns a toy translation task", (t) => {
  const trained = run(true);
  const frozen = run(false);
  t.log(`held-out accuracy per epoch, of 256: conv trained ${trained.join(", ")}; conv frozen ${frozen.join(", ")}`);
  t.true(trained[3] >= 0.9 * 256, `trained: ${trained[3]}/256 (chance 64)`);
  t.true(trained[3] >= frozen[3] + 20, `training the conv layer adds accuracy: ${trained[3]} vs ${frozen[3]}`);
});
