/** Neuron types (Nengo 4 plus NengoDL's SoftLIFRate). */
export { NeuronType, type StateInit, type NeuronRng } from "./base.js";
export {
  Direct,
  RectifiedLinear,
  SpikingRectifiedLinear,
  Sigmoid,
  Tanh,
  type RectifiedLinearOptions,
  type TauRefOptions,
} from "./simple.js";
export {
  LIFRate,
  LIF,
  AdaptiveLIFRate,
  AdaptiveLIF,
  SoftLIFRate,
  type LIFRateOptions,
  type LIFOptions,
  type AdaptiveOptions,
  type SoftLIFRateOptions,
} from "./lif.js";
export { RatesToSpikesNeuronType, RegularSpiking, PoissonSpiking, type RatesToSpikesOptions } from "./ratestospikes.js";
