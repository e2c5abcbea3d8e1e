// What both float reference nets (mlp.ts, convnet.ts) do alike around their own layers: the
// learning rate of the next step, and a training step as sample, forward with batch
// statistics, loss, backward, then the SGD update.
import type { BatchNorm } from "./batchnorm.ts";
import type { WeightKind } from "./options.ts";
import type { Xorshift128 } from "./prng.ts";
import { learningRate } from "./schedule.ts";
import { sampleWeights, sgdUpdate } from "./steps.ts";

export interface BatchResult {
  /** Mean loss over the batch (squared hinge, summed over the outputs). */
  loss: number;
  /** Correct predictions of the training forward pass. */
  correct: number;
}

export abstract class ReferenceNet {
  abstract readonly kind: WeightKind;
  abstract readonly lrStart: number;
  abstract readonly lrEnd: number;
  abstract readonly decaySteps: number;
  abstract readonly betaLrScale: number;
  abstract readonly layerLrScales: readonly number[];
  /** Latent weights per weight layer. */
  abstract readonly weights: Float32Array[];
  /** Weights the last training step propagated with (the same arrays as `weights` for float32). */
  abstract readonly sampled: Float32Array[];
  /** Gradient of the batch-mean loss w.r.t. the propagated weights, from the last step. */
  abstract readonly gradWeights: Float32Array[];
  abstract readonly bn: BatchNorm[];
  abstract readonly rng: Xorshift128;
  step = 0;

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
    sampleWeights(this.kind, this.weights, this.sampled, this.rng);
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
