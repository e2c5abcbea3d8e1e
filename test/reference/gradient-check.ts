// Shared by the gradient tests (not a test file): the float64 oracle against a model's
// analytic gradients by central finite differences.

export interface GradientCheck {
  /** Worst relative error |numeric - analytic| / max(1e-2, |numeric| + |analytic|). */
  worst: number;
  checked: number;
  /** Analytic gradients that are not ~0 (> 1e-3): a check of zeros would prove nothing. */
  nonzero: number;
}

/**
 * Central differences (h = 1e-6) of `loss` w.r.t. every element of `params.weights` and
 * `params.betas` (the oracle's float64 parameters, nudged in place and restored), against the
 * analytic gradients of the same shapes.
 */
export function checkAgainstOracle(
  params: { weights: Float64Array[]; betas: Float64Array[] }, loss: () => number,
  analytic: { weights: ArrayLike<number>[]; betas: ArrayLike<number>[] },
): GradientCheck {
  const h = 1e-6;
  const r: GradientCheck = { worst: 0, checked: 0, nonzero: 0 };
  const compare = (arr: Float64Array, k: number, grad: number) => {
    const keep = arr[k];
    arr[k] = keep + h;
    const up = loss();
    arr[k] = keep - h;
    const down = loss();
    arr[k] = keep;
    const numeric = (up - down) / (2 * h);
    r.worst = Math.max(r.worst, Math.abs(numeric - grad) / Math.max(1e-2, Math.abs(numeric) + Math.abs(grad)));
    r.checked++;
    if (Math.abs(grad) > 1e-3) r.nonzero++;
  };
  for (let l = 0; l < params.weights.length; l++) {
    for (let k = 0; k < params.weights[l].length; k++) compare(params.weights[l], k, analytic.weights[l][k]);
    for (let j = 0; j < params.betas[l].length; j++) compare(params.betas[l], j, analytic.betas[l][j]);
  }
  return r;
}
