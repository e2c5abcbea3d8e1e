/** Float32 reference of the few-multiplications method (see mlp.ts). */
export { ReferenceMlp, type BatchResult } from "./mlp.ts";
export { ReferenceConvNet, type ConvReferenceOptions } from "./convnet.ts";
export { type ReferenceOptions, type Variant, type WeightMode, VARIANTS } from "./options.ts";
export { defaultSchedule, learningRate, type Schedule } from "./schedule.ts";
export { Xorshift128 } from "./prng.ts";
export { trainEpoch, testError, stepsPerEpoch, type Samples, type EpochResult } from "./train.ts";
