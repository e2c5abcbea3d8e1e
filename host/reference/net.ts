// What both float reference nets (mlp.ts, convnet.ts) do alike around their own layers: the
// learning rate of the next step, and a training step as sample, forward with batch
// statistics, loss, backward, then the SGD update.
import { type BatchNorm, wideWindowExtra } from "./batchnorm.ts";
import { type ReferenceOptions, type WeightKind, usesQbp, weightKind } from "./options.ts";
import { Xorshift128 } from "./prng.ts";
import { learningRate } from "./schedule.ts";
import { inferenceWeights, sampleWeights, sgdUpdate } from "./steps.ts";

export interface BatchResult {
  /** Mean loss over the batch (squared hinge, summed over the outputs). */
  loss: number;
  /** Correct predictions of the training forward pass. */
  correct: number;
}

export abstract class ReferenceNet {
  readonly batch: number;
  readonly kind: WeightKind;
  readonly qbp: boolean;
  /** QBP exponent window (number of exponents). */
  readonly window: number;
  readonly lrStart: number;
  readonly lrEnd: number;
  readonly decaySteps: number;
  readonly betaLrScale: number;
  /** Hidden layers' batch-norm backward bounds zhat below by -beta (options.bnBackward). */
  readonly reluBounded: boolean;
  /** BC/TC train with the deterministic weights instead of sampled ones (options.fixedWeights). */
  readonly fixedWeights: boolean;
  readonly rng: Xorshift128;
  /** Per-layer multipliers of the weights' learning rate. */
  abstract readonly layerLrScales: readonly number[];
  /** Latent weights per weight layer. */
  abstract readonly weights: Float32Array[];
  /** Weights the last training step propagated with (the same arrays as `weights` for float32). */
  abstract readonly sampled: Float32Array[];
  /** Gradient of the batch-mean loss w.r.t. the propagated weights, from the last step. */
  abstract readonly gradWeights: Float32Array[];
  abstract readonly bn: BatchNorm[];
  /** Training steps taken (the learning-rate schedule's position). */
  step = 0;

  /** The options every net reads alike (the layers are the subclass's). */
  protected constructor(o: Omit<ReferenceOptions, "sizes">) {
    this.batch = o.batch;
    this.kind = weightKind(o.variant);
    this.qbp = usesQbp(o.variant);
    this.window = o.window ?? 8;
    this.lrStart = o.lrStart;
    this.lrEnd = o.lrEnd;
    this.decaySteps = o.decaySteps;
    this.betaLrScale = o.betaLrScale ?? 1;
    this.reluBounded = o.bnBackward === "relu-bounded";
    this.fixedWeights = o.fixedWeights ?? false;
    this.rng = new Xorshift128(o.seed);
  }

  /** Learning rate the next training step will use. */
  learningRate(): number {
    return learningRate(this.lrStart, this.lrEnd, this.decaySteps, this.step);
  }

  /** One SGD step on n <= batch samples of uint8 pixels; the training forward's loss and correct count. */
  trainBatch(images: Uint8Array, labels: Uint8Array, n: number): BatchResult {
    const r = this.computeGradients(images, labels, n);
    this.applyUpdate();
    return r;
  }

  /**
   * The first half of `trainBatch`: sample weights (BC/TC), forward with batch statistics
   * (updating the running ones), loss, backward. Fills `gradWeights` and each
   * `bn[l].gradBeta`; `sampled` holds the weights used. No parameter changes.
   */
  computeGradients(images: Uint8Array, labels: Uint8Array, n: number): BatchResult {
    this.checkBatch(images, labels, n);
    this.loadInputs(images, n);
    const extra = wideWindowExtra(this.lrStart, this.learningRate());
    for (const bn of this.bn) bn.onlineExtra = bn.wide ? extra : 0;
    if (this.fixedWeights) inferenceWeights(this.kind, "deterministic", this.weights, this.sampled);
    else sampleWeights(this.kind, this.weights, this.sampled, this.rng);
    this.forward(this.sampled, n, true);
    const result = this.lossAndOutputGrad(labels, n);
    this.backward(n);
    return result;
  }

  /** The second half of `trainBatch`: SGD with the current learning rate, clipping for BC/TC. */
  applyUpdate(): void {
    sgdUpdate(this.kind, this.learningRate(), this.weights, this.gradWeights, this.layerLrScales, this.bn, this.betaLrScale);
    this.step++;
  }

  protected abstract checkBatch(images: Uint8Array, labels: Uint8Array, n: number): void;
  protected abstract loadInputs(images: Uint8Array, n: number): void;
  protected abstract forward(ws: Float32Array[], n: number, training: boolean): void;
  protected abstract lossAndOutputGrad(labels: Uint8Array, n: number): BatchResult;
  protected abstract backward(n: number): void;
}
