/** Nengo's distributions (`nengo.dists`) plus NengoDL's initializers, sampled with a numpy-compatible RandomState. */
export { Distribution, sampleSize } from "./base.js";
export { Uniform, Gaussian, Exponential, Choice, Samples, PDF } from "./basic.js";
export {
  UniformHypersphere,
  QuasirandomSequence,
  ScatteredHypersphere,
  type HypersphereOptions,
  type ScatteredHypersphereOptions,
  type ScatteredMethod,
} from "./hypersphere.js";
export { SqrtBeta, SubvectorLength, CosineSimilarity } from "./subvector.js";
export {
  TruncatedNormal,
  VarianceScaling,
  Glorot,
  He,
  type TruncatedNormalOptions,
  type VarianceScalingOptions,
  type GlorotOptions,
  type FanMode,
} from "./dl.js";
export { ConvergenceError } from "./errors.js";
export { randomOrthogonal } from "./orthogonal.js";
