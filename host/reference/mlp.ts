/**
 * Float32 reference of "Neural Networks with Few Multiplications" (Lin et al., ICLR 2016)
 * for MLPs: the accuracy baseline of the integer device module and a test oracle.
 *
 * Network: for every layer, dense (no bias) -> batch norm (learned beta, gamma = 1) ->
 * ReLU on hidden layers; the last layer's batch-norm output is the score vector y. Batch
 * norm's backward is the full one; with bnBackward "relu-bounded" (the method's default,
 * as in the integer module) hidden layers bound its normalised value below by -beta.
 * Loss: squared hinge sum_k max(0, 1 - t_k y_k)^2, t = +1 for the label, -1 otherwise,
 * averaged over the batch. Plain SGD (no momentum) with the per-step exponential schedule
 * lr(step) of schedule.ts: layer l's weights use lr * layerLrScales[l], the betas
 * lr * betaLrScale. Both factors default to 1 (one learning rate for everything); the tuned
 * defaultSchedule(variant) sets them (BC/TC need a far smaller rate for the betas).
 *
 * Weights ([input][output] row-major, W[i * outs + j]):
 * - "float32": real weights, Glorot-uniform init in [-h, h], h = sqrt(6 / (ins + outs)),
 *   no clipping; propagation and evaluation use them directly.
 * - BC / TC: latent weights w in W0 units, init uniform in [-1, 1], clipped to [-1, 1]
 *   after each update. Each training step samples new propagation weights from them
 *   (BC: +1 w.p. (w+1)/2 else -1; TC: sign(w) w.p. |w| else 0); forward and error backprop
 *   use the samples, and the gradient w.r.t. the samples updates w (straight-through).
 *   The scale W0 is dropped: batch norm follows every layer, so it would cancel.
 * - QBP: in dW = x^T dz only, each layer input x is replaced by its stochastic
 *   power-of-two rounding (quantize.ts), window [hi - window + 1, hi], hi = 0 for the
 *   input layer and 2 for hidden layers.
 *
 * Inputs: x = pixel / 256. Running BN statistics (momentum 0.1) are collected during
 * training with the sampled weights and used by `evaluate` for both weight modes (the
 * optional `recalibrate` re-measures them with the test-time weights).
 * All randomness (init, sampling, QBP) comes from one xorshift128 stream seeded by `seed`,
 * consumed in a fixed order, so equal seeds and data give bit-identical models.
 */
import { BatchNorm } from "./batchnorm.ts";
import { denseBackwardMasked, denseForward, denseWeightGrad } from "./dense.ts";
import type { ReferenceOptions, Variant, WeightMode } from "./options.ts";
import { qbpRoundArray, qbpWindow } from "./quantize.ts";
import { type BatchResult, ReferenceNet } from "./net.ts";
import { argmax, inferenceWeights, layerScales } from "./steps.ts";

const INPUT_SCALE = 1 / 256;

export type { BatchResult };

export class ReferenceMlp extends ReferenceNet {
  readonly sizes: readonly number[];
  readonly variant: Variant;
  readonly layerLrScales: readonly number[];
  /** Latent (BC/TC, W0 units) or real (float32) weights per layer, [input][output]. */
  readonly weights: Float32Array[];
  /** Weights the last training step propagated with (the same arrays as `weights` for float32). */
  readonly sampled: Float32Array[];
  /** Gradient of the batch-mean loss w.r.t. the propagated weights, from the last step. */
  readonly gradWeights: Float32Array[];
  readonly bn: BatchNorm[];

  private readonly layers: number;
  private readonly x: Float32Array;
  private readonly z: Float32Array[];
  private readonly y: Float32Array[];
  /** acts[l] is the input of layer l: acts[0] = x, acts[l] = ReLU(y[l - 1]). */
  private readonly acts: Float32Array[];
  /** dLoss/dy then, in place, dLoss/dz per layer (for hidden layers dLoss/dy = ReLU-masked dLoss/d acts[l + 1]). */
  private readonly grads: Float32Array[];
  private readonly xq: Float32Array;
  private readonly idx: Int32Array;
  private readonly val: Float32Array;
  private evalWeights: Float32Array[] | undefined;

  constructor(o: ReferenceOptions) {
    validate(o);
    super(o);
    this.sizes = [...o.sizes];
    this.variant = o.variant;
    this.layerLrScales = layerScales(o.sizes.slice(1).map((n, l) => o.sizes[l] + n), o.layerLrScales);
    const L = (this.layers = o.sizes.length - 1);
    const B = o.batch;
    this.weights = [];
    this.sampled = [];
    this.gradWeights = [];
    this.bn = [];
    this.z = [];
    this.y = [];
    this.acts = [];
    this.grads = [];
    this.x = new Float32Array(B * o.sizes[0]);
    this.acts.push(this.x);
    let maxIns = 0;
    for (let l = 0; l < L; l++) {
      const ins = o.sizes[l];
      const outs = o.sizes[l + 1];
      maxIns = Math.max(maxIns, ins);
      const w = new Float32Array(ins * outs);
      if (this.kind === "real") {
        const h = Math.sqrt(6 / (ins + outs));
        for (let k = 0; k < w.length; k++) w[k] = (2 * this.rng.nextFloat() - 1) * h;
      } else {
        for (let k = 0; k < w.length; k++) w[k] = 2 * this.rng.nextFloat() - 1;
      }
      this.weights.push(w);
      this.sampled.push(this.kind === "real" ? w : new Float32Array(ins * outs));
      this.gradWeights.push(new Float32Array(ins * outs));
      this.bn.push(new BatchNorm(outs, B, B < (o.onlineBelow ?? 0) ? (o.onlineShift ?? 4) : undefined, o.normalisation === "mad", ins));
      this.z.push(new Float32Array(B * outs));
      this.y.push(new Float32Array(B * outs));
      this.grads.push(new Float32Array(B * outs));
      if (l < L - 1) {
        this.acts.push(new Float32Array(B * outs));
      }
    }
    this.xq = new Float32Array(this.qbp ? B * maxIns : 0);
    this.idx = new Int32Array(Math.max(maxIns, B));
    this.val = new Float32Array(Math.max(maxIns, B));
  }

  /**
   * Correct predictions over n samples, in chunks of `batch`, with running BN statistics.
   * "deterministic": BC sign(w) (w >= 0 -> +1), TC sign(w) if |w| > 0.5 else 0;
   * "latent": w itself. For "float32" both use the real weights.
   */
  evaluate(images: Uint8Array, labels: Uint8Array, n: number, weights: WeightMode): number {
    if (images.length < n * this.sizes[0] || labels.length < n) {
      throw new RangeError(`evaluate: need ${n} images of ${this.sizes[0]} bytes and ${n} labels`);
    }
    const ws = this.weightsFor(weights);
    const outs = this.sizes[this.layers];
    const f = this.sizes[0];
    let correct = 0;
    for (let s = 0; s < n; s += this.batch) {
      const m = Math.min(this.batch, n - s);
      this.loadInputs(images.subarray(s * f, (s + m) * f), m);
      this.forward(ws, m, false);
      const y = this.y[this.layers - 1];
      for (let b = 0; b < m; b++) if (argmax(y, b * outs, outs) === labels[s + b]) correct++;
    }
    return correct;
  }

  /**
   * Evaluation-mode scores (running statistics) of n <= batch samples, copied into
   * `out` ([sample][class], at least n * classes long), for oracle tests.
   */
  scores(images: Uint8Array, n: number, weights: WeightMode, out: Float32Array): void {
    const classes = this.sizes[this.layers];
    if (!Number.isInteger(n) || n < 1 || n > this.batch) throw new RangeError(`scores: n = ${n} must be in 1..${this.batch}`);
    if (images.length < n * this.sizes[0] || out.length < n * classes) {
      throw new RangeError(`scores: need ${n} images of ${this.sizes[0]} bytes and room for ${n * classes} scores`);
    }
    this.loadInputs(images, n);
    this.forward(this.weightsFor(weights), n, false);
    out.set(this.y[this.layers - 1].subarray(0, n * classes));
  }

  /**
   * Not part of the paper's method, an option for evaluation: replace every layer's running
   * BN statistics by the population statistics of n samples (mean and unbiased variance of
   * z over all of them) computed with the given test-time weights, layer by layer (layer l
   * is measured after layers < l have been recalibrated). Training collects the statistics
   * with sampled weights, which differ from the deterministic / latent weights used at test
   * time. The statistics serve one weight mode: recalibrate again before evaluating another.
   */
  recalibrate(images: Uint8Array, n: number, weights: WeightMode): void {
    if (n < 1 || images.length < n * this.sizes[0]) {
      throw new RangeError(`recalibrate: need n >= 1 images of ${this.sizes[0]} bytes`);
    }
    const ws = this.weightsFor(weights);
    const f = this.sizes[0];
    for (let l = 0; l < this.layers; l++) {
      const outs = this.sizes[l + 1];
      const sum = new Float64Array(outs);
      const sq = new Float64Array(outs);
      const z = this.z[l];
      const bn = this.bn[l];
      const all = bn.mad ? new Float32Array(n * outs) : undefined; // MAD needs the mean first
      for (let s = 0; s < n; s += this.batch) {
        const m = Math.min(this.batch, n - s);
        this.loadInputs(images.subarray(s * f, (s + m) * f), m);
        this.forward(ws, m, false, l);
        denseForward(this.acts[l], m, this.sizes[l], ws[l], outs, z, this.idx, this.val);
        all?.set(z.subarray(0, m * outs), s * outs);
        for (let b = 0; b < m; b++) {
          for (let j = 0; j < outs; j++) {
            const v = z[b * outs + j];
            sum[j] += v;
            sq[j] += v * v;
          }
        }
      }
      bn.setPopulation(sum, sq, n);
      if (all) {
        const dev = new Float64Array(outs);
        for (let i = 0; i < n * outs; i++) dev[i % outs] += Math.abs(all[i] - bn.runMean[i % outs]);
        bn.setPopulationSpread(dev, n);
      }
    }
  }

  private weightsFor(mode: WeightMode): Float32Array[] {
    if (this.kind === "real" || mode === "latent") return this.weights;
    this.evalWeights = inferenceWeights(this.kind, mode, this.weights, this.evalWeights);
    return this.evalWeights;
  }

  protected checkBatch(images: Uint8Array, labels: Uint8Array, n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.batch) {
      throw new RangeError(`trainBatch: n = ${n} must be an integer in 1..${this.batch}`);
    }
    if (images.length < n * this.sizes[0] || labels.length < n) {
      throw new RangeError(`trainBatch: need ${n} images of ${this.sizes[0]} bytes and ${n} labels`);
    }
    const classes = this.sizes[this.layers];
    for (let b = 0; b < n; b++) {
      if (labels[b] >= classes) throw new RangeError(`trainBatch: label ${labels[b]} >= ${classes} classes`);
    }
  }

  protected loadInputs(images: Uint8Array, n: number): void {
    const len = n * this.sizes[0];
    const x = this.x;
    for (let k = 0; k < len; k++) x[k] = images[k] * INPUT_SCALE;
  }

  /** Forward through the first `upto` layers (all by default). */
  protected forward(ws: Float32Array[], n: number, training: boolean, upto = this.layers): void {
    const L = this.layers;
    for (let l = 0; l < upto; l++) {
      const ins = this.sizes[l];
      const outs = this.sizes[l + 1];
      const z = this.z[l];
      const y = this.y[l];
      denseForward(this.acts[l], n, ins, ws[l], outs, z, this.idx, this.val);
      if (training) this.bn[l].forwardTrain(z, n, y);
      else this.bn[l].forwardEval(z, n, y);
      if (l < L - 1) {
        const a = this.acts[l + 1];
        const len = n * outs;
        for (let k = 0; k < len; k++) {
          const v = y[k];
          a[k] = v > 0 ? v : 0;
        }
      }
    }
  }

  protected lossAndOutputGrad(labels: Uint8Array, n: number): BatchResult {
    const L = this.layers;
    const classes = this.sizes[L];
    const y = this.y[L - 1];
    const g = this.grads[L - 1];
    const inv = 1 / n;
    let loss = 0;
    let correct = 0;
    for (let b = 0; b < n; b++) {
      const o = b * classes;
      const label = labels[b];
      for (let k = 0; k < classes; k++) {
        const t = k === label ? 1 : -1;
        const m = 1 - t * y[o + k];
        if (m > 0) {
          loss += m * m;
          g[o + k] = -2 * t * m * inv;
        } else {
          g[o + k] = 0;
        }
      }
      if (argmax(y, o, classes) === label) correct++;
    }
    return { loss: loss * inv, correct };
  }

  protected backward(n: number): void {
    for (let l = this.layers - 1; l >= 0; l--) {
      const ins = this.sizes[l];
      const outs = this.sizes[l + 1];
      const g = this.grads[l];
      this.bn[l].backward(g, n, g, this.reluBounded && l < this.layers - 1);
      let xin = this.acts[l];
      if (this.qbp) {
        const { lo, hi } = qbpWindow(l, this.window);
        qbpRoundArray(xin, this.xq, n * ins, lo, hi, this.rng);
        xin = this.xq;
      }
      denseWeightGrad(xin, n, ins, g, outs, this.gradWeights[l], this.idx, this.val);
      if (l > 0) denseBackwardMasked(g, n, outs, this.sampled[l], ins, this.acts[l], this.grads[l - 1]);
    }
  }
}



function validate(o: ReferenceOptions): void {
  if (!Array.isArray(o.sizes) || o.sizes.length < 2 || !o.sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new RangeError(`sizes must list at least two positive integers, got ${JSON.stringify(o.sizes)}`);
  }
  if (o.sizes[o.sizes.length - 1] > 256) throw new RangeError("at most 256 classes (labels are uint8)");
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new RangeError(`batch must be a positive integer, got ${o.batch}`);
  if (!(o.lrStart > 0 && o.lrEnd > 0)) throw new RangeError("lrStart and lrEnd must be > 0");
  if (!(o.decaySteps >= 1)) throw new RangeError(`decaySteps must be >= 1, got ${o.decaySteps}`);
  if (o.betaLrScale !== undefined && !(o.betaLrScale >= 0)) throw new RangeError("betaLrScale must be >= 0");
  const w = o.window ?? 8;
  if (!Number.isInteger(w) || w < 1 || w > 64) throw new RangeError(`window must be an integer in 1..64, got ${w}`);
  if (o.bnBackward !== undefined && o.bnBackward !== "exact" && o.bnBackward !== "relu-bounded") {
    throw new RangeError(`bnBackward must be "exact" or "relu-bounded", got ${String(o.bnBackward)}`);
  }
  const variants = ["float32", "float-bc", "float-tc", "float-bc-qbp", "float-tc-qbp"];
  if (!variants.includes(o.variant)) throw new RangeError(`unknown variant ${String(o.variant)}`);
}
