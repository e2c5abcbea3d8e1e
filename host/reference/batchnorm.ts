/**
 * Batch normalisation with a learned shift only (gamma fixed at 1), as used after every
 * dense layer of the reference:
 *   training:   y = (z - mean_B(z)) / sqrt(var_B(z) + eps) + beta   (biased batch variance)
 *   evaluation: y = (z - runMean) / sqrt(runVar + eps) + beta
 * Running statistics: run = (1 - momentum) run + momentum * batch, with the unbiased batch
 * variance (n / (n - 1)) for runVar. Buffers are laid out [sample][unit], row-major.
 * MAD normalisation (`mad`, the method's BC/TC forms, as the integer module): the scale is
 * 1.25 times the mean absolute deviation instead of the standard deviation, sigma = 1.25 s with
 * s = mean_B|z - mean_B(z)| (running statistics average s; runVar holds sigma^2), and the
 * backward is its exact gradient (see backward).
 * Online mode (small batches, `onlineShift` set): with a = 2^-(min(onlineShift, floor(log2(steps + 1))) + onlineExtra),
 *   training:   var_B = mean_B((z - runMean)^2) about the running mean before the step;
 *               runMean += a (mean_B(z) - runMean); runVar += a (var_B - runVar);
 *               y = (z - runMean) / sqrt(runVar + eps) + beta
 *   backward:   the batch terms mean_b(dy) and mean_b(dy zhat) only move running means (by a),
 *               which take their place in dz.
 */
export const BN_EPS = 1e-4;
/** sqrt(pi/2): standard over mean absolute deviation for a Gaussian (MAD normalisation). */
export const MAD_SCALE = 1.25;
export const BN_MOMENTUM = 0.1;
/**
 * Online mode: a layer with WIDE_FAN_IN inputs or more averages 2^E times as many samples, E the
 * whole halvings of the rate so far, up to 2 (a rising rate: 2), as the module's trainBatch
 * (docs/model-format.md, step 4): a conv net's wide output layer drifted with 16 samples late
 * in a run, and lagged its fast early weights with 64 from the start.
 */
export const WIDE_FAN_IN = 2048;
export function wideWindowExtra(lrStart: number, lr: number): number {
  const halvings = Math.floor(Math.log2(lrStart / lr) + 1e-9);
  return halvings < 0 ? 2 : Math.min(2, halvings);
}

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
  private readonly acc3: Float64Array;
  /** MAD mode: 1.25 · sigma / sqrt(sigma² + eps) per unit (1.25 up to eps), the backward's factor. */
  private readonly madGain: Float64Array;
  /**
   * Online mode (small batches): running statistics normalise the training forward too, and
   * the backward uses running means of the error terms; undefined = batch statistics.
   */
  readonly onlineShift: number | undefined;
  /** Online mode: running means of mean_b(dy) and mean_b(dy · zhat), and the steps taken. */
  readonly runGradMean: Float32Array;
  readonly runGradProj: Float32Array;
  private onlineSteps = 0;
  /** A wide layer (WIDE_FAN_IN inputs or more)? Its net sets onlineExtra every step. */
  readonly wide: boolean;
  /** This step's extra log2 of the online window (wide layers, wideWindowExtra). */
  onlineExtra = 0;

  /** MAD normalisation (sigma = 1.25 · mean absolute deviation) and its exact backward. */
  readonly mad: boolean;

  constructor(units: number, maxBatch: number, onlineShift?: number, mad = false, fanIn = 0) {
    this.onlineShift = onlineShift;
    this.wide = fanIn >= WIDE_FAN_IN;
    this.mad = mad;
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
    this.acc3 = new Float64Array(units);
    this.madGain = new Float64Array(units);
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
        sq[j] += this.mad ? Math.abs(d) : d * d;
      }
    }
    const invStd = this.invStd;
    const unbias = n > 1 ? n / (n - 1) : 1;
    for (let j = 0; j < u; j++) {
      if (this.mad) {
        const spread = sq[j] / n;
        invStd[j] = 1 / Math.sqrt((MAD_SCALE * spread) ** 2 + BN_EPS);
        this.madGain[j] = MAD_SCALE * MAD_SCALE * spread * invStd[j]; // 1.25 · sigma / sqrt(sigma² + eps)
        if (updateRunning) {
          this.runMean[j] = (1 - BN_MOMENTUM) * this.runMean[j] + BN_MOMENTUM * mean[j];
          this.setRunSpread(j, (1 - BN_MOMENTUM) * this.runSpread(j) + BN_MOMENTUM * spread);
        }
        continue;
      }
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

  /** MAD mode: the running mean absolute deviation s (runVar holds (1.25 s)^2). */
  runSpread(j: number): number {
    return Math.sqrt(this.runVar[j]) / MAD_SCALE;
  }

  setRunSpread(j: number, spread: number): void {
    this.runVar[j] = (MAD_SCALE * spread) ** 2;
  }

  /**
   * Recalibration: the running statistics become the population's, from per-unit sums of the
   * `rows` values and of their squares (mean, unbiased variance).
   */
  setPopulation(sum: Float64Array, sq: Float64Array, rows: number): void {
    for (let j = 0; j < sum.length; j++) {
      const mean = sum[j] / rows;
      this.runMean[j] = mean;
      this.runVar[j] = rows > 1 ? Math.max(0, (sq[j] - rows * mean * mean) / (rows - 1)) : 0;
    }
  }

  /** MAD mode, after setPopulation: the spread from per-unit sums of |value - runMean|. */
  setPopulationSpread(dev: Float64Array, rows: number): void {
    for (let j = 0; j < dev.length; j++) this.setRunSpread(j, dev[j] / rows);
  }

  /** Step of the online running means: 2^-(min(shift, floor(log2(steps + 1))) + onlineExtra) (a plain average at first). */
  private onlineRate(): number {
    return 2 ** -(Math.min(this.onlineShift!, Math.floor(Math.log2(this.onlineSteps + 1))) + this.onlineExtra);
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
        sq[j] += this.mad ? Math.abs(d) : d * d;
      }
    }
    for (let j = 0; j < u; j++) {
      this.runMean[j] += (mean[j] / n - this.runMean[j]) * a;
      if (this.mad) {
        const r = this.runSpread(j);
        this.setRunSpread(j, r + (sq[j] / n - r) * a);
      } else this.runVar[j] += (sq[j] / n - this.runVar[j]) * a;
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
   *   dz_bj = invStd_j (dy_bj - mean_b(dy_.j) - zhat_bj mean_b(dy_.j zhat_.j)),
   * MAD normalisation (batch statistics), its exact gradient (sigma = 1.25 s, ds/dz_b =
   * (sign(zhat_b) - mean_b(sign(zhat))) / n):
   *   dz_bj = invStd_j (dy_bj - mean_b(dy_.j) - 1.25 (sign(zhat_bj) - mean_b(sign(zhat_.j))) mean_b(dy_.j zhat_.j))
   * (1.25 times sigma / sqrt(sigma² + eps) with the eps of invStd);
   * online mode keeps the first form with the running means of the two error terms.
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
    if (this.mad && this.onlineShift === undefined) {
      const signs = this.acc3;
      signs.fill(0);
      for (let b = 0; b < n; b++) {
        const o = b * u;
        for (let j = 0; j < u; j++) signs[j] += Math.sign(zhat[o + j]);
      }
      for (let b = 0; b < n; b++) {
        const o = b * u;
        for (let j = 0; j < u; j++) {
          dz[o + j] = invStd[j] * (dy[o + j] - s1[j] - this.madGain[j] * (Math.sign(zhat[o + j]) - signs[j] / n) * s2[j]);
        }
      }
      return;
    }
    for (let b = 0; b < n; b++) {
      const o = b * u;
      for (let j = 0; j < u; j++) dz[o + j] = invStd[j] * (dy[o + j] - s1[j] - zhat[o + j] * s2[j]);
    }
  }
}
