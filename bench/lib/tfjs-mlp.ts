// The same MLP in TensorFlow.js (dense without bias, batch norm, ReLU, squared hinge, SGD),
// the mainstream JS trainer the cost bench compares with. WebAssembly backend (shipped in
// the npm package, no native download), falling back to the pure-JS CPU backend.
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { dirname } from "node:path";

export async function tfjsBackend(): Promise<string> {
  try {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"))}/`);
    if (await tf.setBackend("wasm")) { await tf.ready(); return "wasm"; }
  } catch { /* fall through */ }
  await tf.setBackend("cpu");
  await tf.ready();
  return "cpu";
}

export function tfjsModel(sizes: number[], lr: number): tf.Sequential {
  const m = tf.sequential();
  for (let l = 0; l + 1 < sizes.length; l++) {
    m.add(tf.layers.dense({ units: sizes[l + 1], useBias: false, inputShape: l === 0 ? [sizes[0]] : undefined }));
    m.add(tf.layers.batchNormalization({ epsilon: 1e-4 })); // (scale: false crashes tfjs 4.22 in training)
    if (l + 2 < sizes.length) m.add(tf.layers.reLU());
  }
  m.compile({ optimizer: tf.train.sgd(lr), loss: "squaredHinge" });
  return m;
}

/** Trains `steps` batches; returns samples per second. Inputs uint8 [n][f], labels uint8. */
export async function tfjsSamplesPerSecond(sizes: number[], batch: number, images: Uint8Array, labels: Uint8Array, steps: number): Promise<number> {
  const model = tfjsModel(sizes, 0.01);
  const f = sizes[0], classes = sizes[sizes.length - 1];
  const xs: tf.Tensor[] = [], ys: tf.Tensor[] = [];
  for (let s = 0; s < steps; s++) {
    const x = new Float32Array(batch * f), y = new Float32Array(batch * classes).fill(-1);
    for (let k = 0; k < batch * f; k++) x[k] = images[s * batch * f + k] / 256;
    for (let b = 0; b < batch; b++) y[b * classes + labels[s * batch + b]] = 1;
    xs.push(tf.tensor2d(x, [batch, f]));
    ys.push(tf.tensor2d(y, [batch, classes]));
  }
  await model.trainOnBatch(xs[0], ys[0]); // warm-up (kernel compilation)
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) await model.trainOnBatch(xs[s], ys[s]);
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([...xs, ...ys]);
  model.dispose();
  return (steps * batch) / seconds;
}
