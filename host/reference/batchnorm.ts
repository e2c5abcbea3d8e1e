/**
 * Batch normalisation with a learned shift only (gamma fixed at 1), as used after every
 * dense layer of the reference:
 *   training:   y = (z - mean_B(z)) / sqrt(var_B(z) + eps) + beta   (biased batch variance)
 *   evaluation: y = (z - runMean) / sqrt(runVar + eps) + beta
 * Running statistics: run = (1 - momentum) run + momentum * batch, with the unbiased batch
 * variance (n / (n - 1)) for runVar. Buffers are laid out [sample][unit], row-major.
 * Online mode (small batches, `onlineShift` set): with a = 2^-min(onlineShift, floor(log2(steps + 1))),
 *   training:   var_B = mean_B((z - runMean)^2) about the running mean before the step;
 *               runMean += a (mean_B(z) - runMean); runVar += a (var_B - runVar);
 *               y = (z - runMean) / sqrt(runVar + eps) + beta
 *   backward:   the batch terms mean_b(dy) and mean_b(dy zhat) only move running means (by a),
 *               which take their place in dz.
 */
export const BN_EPS = 1e-4;
export const BN_MOMENTUM = 0.1;

export class BatchNorm {
  readonly units: number;
  readonly beta: Float32Array;
  /** Gradient of the loss w.r.t. beta from the last `backward`. */
  readonly gradBeta: Float32Array;
  readonly runMean: Float32Array;
  readonly runVar: Float32Array;
  /** Normalised pre-shift values of the last training forward, [sample][unit]. */
  readonly zhat: Float32Array;
  /** 1 / sqrt(var + eps) per unit of the last training forward. */
  readonly invStd: Float32Array;
  private readonly acc1: Float64Array;
  private readonly acc2: Float64Array;
  /**
   * Online mode (small batches): running statistics normalise the training forward too, and
   * the backward uses running means of the error terms; undefined = batch statistics.
   */
  readonly onlineShift: number | undefined;
  /** Online mode: running means of mean_b(dy) and mean_b(dy · zhat), and the steps taken. */
  readonly runGradMean: Float32Array;
  readonly runGradProj: Float32Array;
  private onlineSteps = 0;

  constructor(units: number, maxBatch: number, onlineShift?: number) {
    this.onlineShift = onlineShift;
    this.runGradMean = new Float32Array(onlineShift === undefined ? 0 : units);
    this.runGradProj = new Float32Array(onlineShift === undefined ? 0 : units);
    this.units = units;
    this.beta = new Float32Array(units);
    this.gradBeta = new Float32Array(units);
    this.runMean = new Float32Array(units);
    this.runVar = new Float32Array(units).fill(1);
    this.zhat = new Float32Array(units * maxBatch);
    this.invStd = new Float32Array(units);
    this.acc1 = new Float64Array(units);
    this.acc2 = new Float64Array(units);
  }

  /** Batch statistics forward over n samples of z; writes y and updates the running statistics. */
  forwardTrain(z: Float32Array, n: number, y: Float32Array, updateRunning = true): void {
    if (this.onlineShift !== undefined) return this.forwardOnline(z, n, y);
    const u = this.units;
    const mean = this.acc1;
    const sq = this.acc2;
    mean.fill(0);
    sq.fill(0);
    for (let b = 0; b < n; b++) {
      const o = b * u;
      for (let j = 0; j < u; j++) mean[j] += z[o + j];
    }
    for (let j = 0; j < u; j++) mean[j] /= n;
    for (let b = 0; b < n; b++) {
      const o = b * u;
      for (let j = 0; j < u; j++) {
        const d = z[o + j] - mean[j];
        sq[j] += d * d;
      }
    }
    const invStd = this.invStd;
    const unbias = n > 1 ? n / (n - 1) : 1;
    for (let j = 0; j < u; j++) {
      const v = sq[j] / n;
      invStd[j] = 1 / Math.sqrt(v + BN_EPS);
      if (updateRunning) {
        this.runMean[j] = (1 - BN_MOMENTUM) * this.runMean[j] + BN_MOMENTUM * mean[j];
        this.runVar[j] = (1 - BN_MOMENTUM) * this.runVar[j] + BN_MOMENTUM * v * unbias;
      }
    }
    const zhat = this.zhat;
    const beta = this.beta;
    for (let b = 0; b < n; b++) {
      const o = b * u;
      for (let j = 0; j < u; j++) {
        const h = (z[o + j] - mean[j]) * invStd[j];
        zhat[o + j] = h;
        y[o + j] = h + beta[j];
      }
    }
  }

  /** Step of the online running means: 2^-min(shift, floor(log2(steps + 1))) (a plain average at first). */
  private onlineRate(): number {
    return 2 ** -Math.min(this.onlineShift!, Math.floor(Math.log2(this.onlineSteps + 1)));
  }

  /**
   * Online-mode training forward: the batch variance about the running mean before this
   * step, then both running statistics move by onlineRate() towards the batch's, and z is
   * normalised with them.
   */
  private forwardOnline(z: Float32Array, n: number, y: Float32Array): void {
    const u = this.units;
    const a = this.onlineRate();
    const mean = this.acc1, sq = this.acc2;
    mean.fill(0);
    sq.fill(0);
    for (let b = 0; b < n; b++) {
      const o = b * u;
      for (let j = 0; j < u; j++) {
        const d = z[o + j] - this.runMean[j];
        mean[j] += z[o + j];
        sq[j] += d * d;
      }
    }
    for (let j = 0; j < u; j++) {
      this.runMean[j] += (mean[j] / n - this.runMean[j]) * a;
      this.runVar[j] += (sq[j] / n - this.runVar[j]) * a;
      this.invStd[j] = 1 / Math.sqrt(this.runVar[j] + BN_EPS);
    }
    for (let b = 0; b < n; b++) {
      const o = b * u;
      for (let j = 0; j < u; j++) {
        const h = (z[o + j] - this.runMean[j]) * this.invStd[j];
        this.zhat[o + j] = h;
        y[o + j] = h + this.beta[j];
      }
    }
  }

  /** Running-statistics forward (evaluation); touches no training state. */
  forwardEval(z: Float32Array, n: number, y: Float32Array): void {
    const u = this.units;
    const inv = this.acc1;
    for (let j = 0; j < u; j++) inv[j] = 1 / Math.sqrt(this.runVar[j] + BN_EPS);
    const mean = this.runMean;
    const beta = this.beta;
    for (let b = 0; b < n; b++) {
      const o = b * u;
      for (let j = 0; j < u; j++) y[o + j] = (z[o + j] - mean[j]) * inv[j] + beta[j];
    }
  }

  /**
   * Full batch-norm backward of the last training forward:
   *   gradBeta_j = sum_b dy_bj
   *   dz_bj = invStd_j (dy_bj - mean_b(dy_.j) - zhat_bj mean_b(dy_.j zhat_.j)).
   * `reluBound`: a hidden layer (ReLU follows), whose zhat is taken no lower than -beta_j, the
   * value its ReLU output gives back (the integer module reads zhat from its clamped uint8
   * activations; same method). `dy` and `dz` may be the same buffer.
   */
  backward(dy: Float32Array, n: number, dz: Float32Array, reluBound = false): void {
    const u = this.units;
    if (reluBound) {
      for (let b = 0; b < n; b++) {
        const o = b * u;
        for (let j = 0; j < u; j++) if (this.zhat[o + j] < -this.beta[j]) this.zhat[o + j] = -this.beta[j];
      }
    }
    const s1 = this.acc1;
    const s2 = this.acc2;
    s1.fill(0);
    s2.fill(0);
    const zhat = this.zhat;
    for (let b = 0; b < n; b++) {
      const o = b * u;
      for (let j = 0; j < u; j++) {
        const g = dy[o + j];
        s1[j] += g;
        s2[j] += g * zhat[o + j];
      }
    }
    const gb = this.gradBeta;
    for (let j = 0; j < u; j++) {
      gb[j] = s1[j];
      s1[j] /= n;
      s2[j] /= n;
    }
    if (this.onlineShift !== undefined) {
      // Online mode: the batch's error terms only move their running means, which are used.
      const a = this.onlineRate();
      for (let j = 0; j < u; j++) {
        this.runGradMean[j] += (s1[j] - this.runGradMean[j]) * a;
        this.runGradProj[j] += (s2[j] - this.runGradProj[j]) * a;
        s1[j] = this.runGradMean[j];
        s2[j] = this.runGradProj[j];
      }
      this.onlineSteps++;
    }
    const invStd = this.invStd;
    for (let b = 0; b < n; b++) {
      const o = b * u;
      for (let j = 0; j < u; j++) dz[o + j] = invStd[j] * (dy[o + j] - s1[j] - zhat[o + j] * s2[j]);
    }
  }
}
