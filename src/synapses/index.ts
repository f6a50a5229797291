/** Synapse models and the linear-filter machinery (Nengo 4's nengo/synapses.py). */
export {
  Synapse,
  LinearFilter,
  Lowpass,
  Alpha,
  classifyStep,
  stepLinearFilter,
  toSynapse,
  type StepKind,
  type SynapseStep,
  type LinearFilterOptions,
} from "./linearfilter.js";
export { normalizeTf, tf2ss, cont2discrete, type StateSpace, type DiscretizeMethod } from "./filterdesign.js";
