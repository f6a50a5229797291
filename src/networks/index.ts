/**
 * Nengo's networks library (`nengo.networks`). Each network is a function `(net, opts)` that adds a
 * labelled subnetwork to `net` and returns it: a `Network` carrying typed members (`input`, `output`,
 * `ensembles`, ...) as read-only properties, also listed in `network.members`.
 */
export {
  EnsembleArray,
  type EnsembleArrayOptions,
  type EnsembleArrayEnsembleOptions,
  type EnsembleArrayMembers,
  type EnsembleArrayNetwork,
  type AddOutputOptions,
} from "./ensemblearray.js";
export {
  Product,
  dotProductTransform,
  type ProductOptions,
  type ProductMembers,
  type ProductNetwork,
} from "./product.js";
export {
  CircularConvolution,
  circconv,
  dftHalf,
  transformIn,
  transformOut,
  type CircularConvolutionOptions,
  type CircularConvolutionMembers,
  type CircularConvolutionNetwork,
} from "./circularconvolution.js";
export {
  BasalGanglia,
  BasalGangliaWeights,
  Thalamus,
  type ReceptorConfig,
  type BasalGangliaOptions,
  type BasalGangliaMembers,
  type BasalGangliaNetwork,
  type ThalamusOptions,
  type ThalamusMembers,
  type ThalamusNetwork,
} from "./actionselection.js";
