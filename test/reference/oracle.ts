/**
 * A deliberately naive float64 implementation of the reference's training forward pass
 * (dense -> batch norm with batch statistics -> ReLU, squared hinge loss), written
 * independently of host/reference/, for gradient checks.
 */
export interface OracleNet {
  sizes: number[];
  /** [input][output] row-major per layer, like ReferenceMlp. */
  weights: Float64Array[];
  betas: Float64Array[];
  /** MAD normalisation: sigma = 1.25 · mean |z - mean| (batchnorm.ts), else the standard deviation. */
  mad?: boolean;
}

export const EPS = 1e-4;

/** Batch-mean squared hinge loss of n samples (pixels / 256 as inputs). */
export function oracleLoss(net: OracleNet, images: Uint8Array, labels: Uint8Array, n: number): number {
  const L = net.sizes.length - 1;
  let a: number[][] = [];
  for (let b = 0; b < n; b++) {
    const row: number[] = [];
    for (let i = 0; i < net.sizes[0]; i++) row.push(images[b * net.sizes[0] + i] / 256);
    a.push(row);
  }
  for (let l = 0; l < L; l++) {
    const ins = net.sizes[l];
    const outs = net.sizes[l + 1];
    const z: number[][] = a.map((row) => {
      const out: number[] = [];
      for (let j = 0; j < outs; j++) {
        let s = 0;
        for (let i = 0; i < ins; i++) s += row[i] * net.weights[l][i * outs + j];
        out.push(s);
      }
      return out;
    });
    const y: number[][] = z.map((r) => r.slice());
    for (let j = 0; j < outs; j++) {
      let mean = 0;
      for (let b = 0; b < n; b++) mean += z[b][j];
      mean /= n;
      let v = 0;
      for (let b = 0; b < n; b++) v += net.mad ? Math.abs(z[b][j] - mean) : (z[b][j] - mean) ** 2;
      v = net.mad ? (1.25 * v / n) ** 2 : v / n;
      for (let b = 0; b < n; b++) y[b][j] = (z[b][j] - mean) / Math.sqrt(v + EPS) + net.betas[l][j];
    }
    a = l < L - 1 ? y.map((r) => r.map((v) => Math.max(0, v))) : y;
  }
  let loss = 0;
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < a[b].length; k++) {
      const t = k === labels[b] ? 1 : -1;
      loss += Math.max(0, 1 - t * a[b][k]) ** 2;
    }
  }
  return loss / n;
}

/** Evaluation-mode scores [sample][class] with given running statistics (float64). */
export function oracleEvalScores(
  net: OracleNet, runMean: Float64Array[], runVar: Float64Array[], images: Uint8Array, n: number,
): number[][] {
  const L = net.sizes.length - 1;
  const out: number[][] = [];
  for (let b = 0; b < n; b++) {
    let a: number[] = [];
    for (let i = 0; i < net.sizes[0]; i++) a.push(images[b * net.sizes[0] + i] / 256);
    for (let l = 0; l < L; l++) {
      const outs = net.sizes[l + 1];
      const y: number[] = [];
      for (let j = 0; j < outs; j++) {
        let s = 0;
        for (let i = 0; i < a.length; i++) s += a[i] * net.weights[l][i * outs + j];
        y.push((s - runMean[l][j]) / Math.sqrt(runVar[l][j] + EPS) + net.betas[l][j]);
      }
      a = l < L - 1 ? y.map((v) => Math.max(0, v)) : y;
    }
    out.push(a);
  }
  return out;
}
