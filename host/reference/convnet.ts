/**
 * Float reference of the method for conv nets: the same variants, sampling, QBP, batch norm,
 * loss and SGD as ReferenceMlp (mlp.ts), with 3x3 conv ("same", stride 1) and 2x2 max-pool
 * layers before the dense ones (architecture as host/module/conv-spec.ts parses it).
 *
 * Every conv layer: conv (no bias) -> per-channel batch norm (learned beta, gamma = 1;
 * statistics over all samples and positions of the batch, the BatchNorm of batchnorm.ts
 * with rows = positions) -> ReLU. Dense layers as in mlp.ts; the last one's batch-norm
 * output is the score vector. Buffers are channels-last (HWC), so the last conv/pool output
 * is the first dense layer's input as it lies (conv.ts).
 *
 * Weights: conv [ky][kx][cin][cout], dense [input][output]. float32: Glorot-uniform with the
 * conv fans 9·cin and 9·cout; BC/TC: latent weights in W0 units in [-1, 1], sampled each
 * step, gradient w.r.t. the samples (straight-through), clipped. QBP: in dW only, each
 * weight layer's input is stochastically rounded to powers of two, window hi = 0 while the
 * input is still pixels (no weight layer before it), 2 after.
 * One xorshift128 stream seeded by `seed` drives init, sampling and QBP in a fixed order.
 */
import { type NetLayer, planLayers, type ConvNetSpec, type Shape } from "../module/conv-spec.ts";
import { BatchNorm } from "./batchnorm.ts";
import { type ConvGeometry, convBackwardMasked, convForward, convWeightGrad, poolBackward, poolForward } from "./conv.ts";
import { denseBackwardMasked, denseForward, denseWeightGrad } from "./dense.ts";
import type { ReferenceOptions, WeightMode } from "./options.ts";
import { qbpRoundArray, qbpWindow } from "./quantize.ts";
import { type BatchResult, ReferenceNet } from "./net.ts";
import { argmax, GLOROT_TUNED_FANS, inferenceWeights, layerScales } from "./steps.ts";

const INPUT_SCALE = 1 / 256;

export interface ConvReferenceOptions extends Omit<ReferenceOptions, "sizes"> {
  input: Shape;
  layers: NetLayer[];
}

/** One layer of the net with its buffers (n = batch samples). */
interface Stage {
  kind: NetLayer["kind"];
  /** Values per sample at the input and at the output. */
  ins: number;
  outs: number;
  /** Positions per sample (h·w for conv, 1 for dense): batch-norm rows per sample. */
  positions: number;
  /** conv geometry; pool uses h, w and cin (= channels). */
  g: ConvGeometry;
  /** Index into weights/bn (weight layers only), -1 for pools. */
  wl: number;
  /** Pre-normalisation sums and normalised outputs (weight layers). */
  z: Float32Array;
  y: Float32Array;
  /** Pool: index of each output's maximum in the input buffer. */
  argmax: Int32Array;
}

export class ReferenceConvNet extends ReferenceNet {
  readonly input: Shape;
  readonly layers: readonly NetLayer[];
  readonly layerLrScales: readonly number[];
  /** Per weight layer (conv and dense, in order): latent or real weights, the propagated ones, their gradient. */
  readonly weights: Float32Array[] = [];
  readonly sampled: Float32Array[] = [];
  readonly gradWeights: Float32Array[] = [];
  readonly bn: BatchNorm[] = [];

  private readonly stages: Stage[] = [];
  /** acts[k] is the input of stage k; acts[stages] is unused for the last (its output is y). */
  private readonly acts: Float32Array[] = [];
  /** grads[k]: gradient at the output of stage k. */
  private readonly grads: Float32Array[] = [];
  private readonly xq: Float32Array;
  private readonly idx: Int32Array;
  private readonly val: Float32Array;
  private evalWeights: Float32Array[] | undefined;

  constructor(o: ConvReferenceOptions) {
    super(o);
    if (!Number.isInteger(o.batch) || o.batch < 1) throw new RangeError(`batch must be a positive integer, got ${o.batch}`);
    const plan = planLayers({ input: o.input, layers: o.layers, batch: o.batch } as ConvNetSpec, "reference conv net");
    this.input = o.input;
    this.layers = o.layers;
    const B = o.batch;
    const fans: number[] = [];
    let maxIns = 0;
    let maxWidth = B;
    this.acts.push(new Float32Array(B * vol(o.input)));
    plan.forEach((p, k) => {
      const ins = vol(p.in);
      const outs = vol(p.out);
      const positions = p.layer.kind === "conv" ? p.out[1] * p.out[2] : 1;
      const g: ConvGeometry = { h: p.in[1], w: p.in[2], cin: p.in[0], cout: p.out[0] };
      let wl = -1;
      let z = new Float32Array(0), y = new Float32Array(0);
      if (p.layer.kind !== "pool") {
        wl = this.weights.length;
        const [fanIn, fanOut] = p.layer.kind === "conv" ? [9 * g.cin, 9 * g.cout] : [ins, outs];
        fans.push(fanIn + fanOut);
        const w = new Float32Array(p.weights);
        const h = this.kind === "real" ? Math.sqrt(6 / (fanIn + fanOut)) : 1;
        for (let i = 0; i < w.length; i++) w[i] = (2 * this.rng.nextFloat() - 1) * h;
        this.weights.push(w);
        this.sampled.push(this.kind === "real" ? w : new Float32Array(w.length));
        this.gradWeights.push(new Float32Array(w.length));
        const units = p.out[0];
        // Online normalisation (batchnorm.ts) when a step has fewer rows than onlineBelow:
        // rows are samples x positions, so conv layers rarely need it.
        const rows = B * positions;
        this.bn.push(new BatchNorm(units, rows, rows < (o.onlineBelow ?? 0) ? (o.onlineShift ?? 4) : undefined, o.normalisation === "mad", fanIn));
        z = new Float32Array(B * outs);
        y = new Float32Array(B * outs);
        maxIns = Math.max(maxIns, ins);
        maxWidth = Math.max(maxWidth, ins);
      }
      this.stages.push({ kind: p.layer.kind, ins, outs, positions, g, wl, z, y, argmax: new Int32Array(p.layer.kind === "pool" ? B * outs : 0) });
      if (k < plan.length - 1) this.acts.push(new Float32Array(B * outs));
      this.grads.push(new Float32Array(B * outs));
    });
    // "glorot" relative to the layer the rates were tuned on (784 -> 256, schedule.ts), not to
    // this net's first layer: a 3x3 conv's fans are ~13x smaller, and scaling every layer by
    // them made all of them that much faster than the integer module's (whose per-layer
    // boost is absolute, docs/model-format.md step 6).
    this.layerLrScales = layerScales(fans, o.layerLrScales, GLOROT_TUNED_FANS);
    this.xq = new Float32Array(this.qbp ? B * maxIns : 0);
    this.idx = new Int32Array(maxWidth);
    this.val = new Float32Array(maxWidth);
  }

  /** Input values per sample (C·H·W). */
  get features(): number {
    return vol(this.input);
  }

  get classes(): number {
    return this.stages[this.stages.length - 1].outs;
  }

  /** Correct predictions over n samples with running statistics (weights as ReferenceMlp.evaluate). */
  evaluate(images: Uint8Array, labels: Uint8Array, n: number, weights: WeightMode): number {
    const f = this.features;
    if (images.length < n * f || labels.length < n) throw new RangeError(`evaluate: need ${n} images of ${f} bytes and ${n} labels`);
    const ws = this.weightsFor(weights);
    const classes = this.classes;
    const y = this.stages[this.stages.length - 1].y;
    let correct = 0;
    for (let s = 0; s < n; s += this.batch) {
      const m = Math.min(this.batch, n - s);
      this.loadInputs(images.subarray(s * f, (s + m) * f), m);
      this.forward(ws, m, false);
      for (let b = 0; b < m; b++) if (argmax(y, b * classes, classes) === labels[s + b]) correct++;
    }
    return correct;
  }

  /** Evaluation-mode scores of n <= batch samples into out ([sample][class]). */
  scores(images: Uint8Array, n: number, weights: WeightMode, out: Float32Array): void {
    if (!Number.isInteger(n) || n < 1 || n > this.batch) throw new RangeError(`scores: n = ${n} must be in 1..${this.batch}`);
    this.loadInputs(images, n);
    this.forward(this.weightsFor(weights), n, false);
    out.set(this.stages[this.stages.length - 1].y.subarray(0, n * this.classes));
  }

  /**
   * As ReferenceMlp.recalibrate: every weight layer's running statistics become the
   * population statistics (mean, and MAD or unbiased variance, over all n samples and
   * positions) of its sums with the test-time weights, layer by layer, each measured after
   * the layers below were recalibrated.
   */
  recalibrate(images: Uint8Array, n: number, weights: WeightMode): void {
    const f = this.features;
    if (n < 1 || images.length < n * f) throw new RangeError(`recalibrate: need n >= 1 images of ${f} bytes`);
    const ws = this.weightsFor(weights);
    this.stages.forEach((st, k) => {
      if (st.kind === "pool") return;
      const bn = this.bn[st.wl];
      const units = st.outs / st.positions;
      const rows = n * st.positions;
      // Every batch's sums z of this layer, in sample order (twice for the MAD: it needs the mean).
      const eachSum = (visit: (v: number, j: number) => void) => {
        for (let s = 0; s < n; s += this.batch) {
          const m = Math.min(this.batch, n - s);
          this.loadInputs(images.subarray(s * f, (s + m) * f), m);
          this.forward(ws, m, false, k);
          this.linear(k, ws, m);
          for (let i = 0; i < m * st.outs; i++) visit(st.z[i], i % units);
        }
      };
      // The sums and formulas of ReferenceMlp.recalibrate, so a net without conv layers matches it bit for bit.
      const sum = new Float64Array(units), sq = new Float64Array(units);
      eachSum((v, j) => {
        sum[j] += v;
        sq[j] += v * v;
      });
      bn.setPopulation(sum, sq, rows);
      if (bn.mad) {
        const dev = new Float64Array(units);
        eachSum((v, j) => (dev[j] += Math.abs(v - bn.runMean[j])));
        bn.setPopulationSpread(dev, rows);
      }
    });
  }

  private weightsFor(mode: WeightMode): Float32Array[] {
    if (this.kind === "real" || mode === "latent") return this.weights;
    this.evalWeights = inferenceWeights(this.kind, mode, this.weights, this.evalWeights);
    return this.evalWeights;
  }

  protected checkBatch(images: Uint8Array, labels: Uint8Array, n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.batch) throw new RangeError(`trainBatch: n = ${n} must be an integer in 1..${this.batch}`);
    if (images.length < n * this.features || labels.length < n) {
      throw new RangeError(`trainBatch: need ${n} images of ${this.features} bytes and ${n} labels`);
    }
    for (let b = 0; b < n; b++) if (labels[b] >= this.classes) throw new RangeError(`trainBatch: label ${labels[b]} >= ${this.classes} classes`);
  }

  protected loadInputs(images: Uint8Array, n: number): void {
    const x = this.acts[0];
    const len = n * this.features;
    for (let k = 0; k < len; k++) x[k] = images[k] * INPUT_SCALE;
  }

  /** Forward through the first `upto` stages (all by default). */
  protected forward(ws: Float32Array[], n: number, training: boolean, upto = this.stages.length): void {
    const last = this.stages.length - 1;
    this.stages.slice(0, upto).forEach((st, k) => {
      const x = this.acts[k];
      if (st.kind === "pool") {
        poolForward(x, n, st.g.h, st.g.w, st.g.cin, this.acts[k + 1], st.argmax);
        return;
      }
      this.linear(k, ws, n);
      const rows = n * st.positions;
      if (training) this.bn[st.wl].forwardTrain(st.z, rows, st.y);
      else this.bn[st.wl].forwardEval(st.z, rows, st.y);
      if (k < last) {
        const a = this.acts[k + 1];
        const len = n * st.outs;
        for (let i = 0; i < len; i++) a[i] = st.y[i] > 0 ? st.y[i] : 0;
      }
    });
  }

  /** Weight stage k's sums z of its input, n samples. */
  private linear(k: number, ws: Float32Array[], n: number): void {
    const st = this.stages[k], x = this.acts[k];
    if (st.kind === "conv") convForward(x, n, st.g, ws[st.wl], st.z);
    else denseForward(x, n, st.ins, ws[st.wl], st.outs, st.z, this.idx, this.val);
  }

  protected lossAndOutputGrad(labels: Uint8Array, n: number): BatchResult {
    const classes = this.classes;
    const y = this.stages[this.stages.length - 1].y;
    const g = this.grads[this.stages.length - 1];
    const inv = 1 / n;
    let loss = 0;
    let correct = 0;
    for (let b = 0; b < n; b++) {
      const o = b * classes;
      for (let k = 0; k < classes; k++) {
        const t = k === labels[b] ? 1 : -1;
        const m = 1 - t * y[o + k];
        g[o + k] = m > 0 ? -2 * t * m * inv : 0;
        if (m > 0) loss += m * m;
      }
      if (argmax(y, o, classes) === labels[b]) correct++;
    }
    return { loss: loss * inv, correct };
  }

  protected backward(n: number): void {
    const last = this.stages.length - 1;
    for (let k = last; k >= 0; k--) {
      const st = this.stages[k];
      const g = this.grads[k];
      const below = k > 0 ? this.grads[k - 1] : undefined;
      if (st.kind === "pool") {
        if (below) poolBackward(g, st.argmax, n * st.outs, below, n * st.ins);
        continue;
      }
      const bn = this.bn[st.wl];
      const rows = n * st.positions;
      bn.backward(g, rows, g, this.reluBounded && k < last);
      let xin = this.acts[k];
      if (this.qbp) {
        // st.wl weight layers come before this one: 0 while its input is still pixels.
        const { lo, hi } = qbpWindow(st.wl, this.window);
        qbpRoundArray(xin, this.xq, n * st.ins, lo, hi, this.rng);
        xin = this.xq;
      }
      const ws = this.sampled[st.wl];
      if (st.kind === "conv") {
        convWeightGrad(xin, n, st.g, g, this.gradWeights[st.wl]);
        if (below) convBackwardMasked(g, n, st.g, ws, this.acts[k], below);
      } else {
        denseWeightGrad(xin, n, st.ins, g, st.outs, this.gradWeights[st.wl], this.idx, this.val);
        if (below) denseBackwardMasked(g, n, st.outs, ws, st.ins, this.acts[k], below);
      }
    }
  }
}

const vol = (s: Shape) => s[0] * s[1] * s[2];


