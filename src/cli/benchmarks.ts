/**
 * NengoDL's benchmark networks (nengo_dl/benchmarks.py): `integrator`, `cconv`, `pes` (and
 * `basalGanglia`), built with the same configuration: network seed 0 and, except for the basal ganglia,
 * every ensemble with `gain = Choice([1, -1])`, `bias = Uniform(-1, 1)` and the given neuron type.
 */
import { Choice, Uniform } from "../dists/index.js";
import { ValidationError } from "../errors.js";
import { PES } from "../model/learning.js";
import { Ensemble } from "../model/ensemble.js";
import { Network } from "../model/network.js";
import type { Node } from "../model/node.js";
import type { Probe } from "../model/probe.js";
import {
  LIF,
  LIFRate,
  NeuronType,
  RectifiedLinear,
  Sigmoid,
  SoftLIFRate,
  SpikingRectifiedLinear,
  Tanh,
} from "../neurons/index.js";
import { BasalGanglia, CircularConvolution, EnsembleArray } from "../networks/index.js";

/** A benchmark network with the objects a runner needs. */
export interface BenchmarkNetwork {
  /** The top-level network (label = benchmark name, seed 0). */
  net: Network;
  /** Input nodes (NengoDL's `net.inp` or `net.inp_a`/`net.inp_b`), fed random data by the DL runner. */
  inputs: Node[];
  /** The probe on the output (NengoDL's `net.p`). */
  probe: Probe;
}

/** Signature of a benchmark network builder. */
export type BenchmarkBuilder = (dimensions: number, neuronsPerDim: number, neuronType: NeuronType) => BenchmarkNetwork;

/** A top-level network configured as NengoDL's benchmarks do. */
function benchNetwork(label: string, neuronType: NeuronType, gainBias = true): Network {
  const net = new Network({ label, seed: 0 });
  net.config.configure(Ensemble, { neuronType });
  if (gainBias) net.config.configure(Ensemble, { gain: new Choice([1, -1]), bias: new Uniform(-1, 1) });
  return net;
}

/**
 * Circular convolution benchmark: `CircularConvolution(neuronsPerDim, dimensions)` of two constant
 * inputs (`[0] * D` and `[1] * D`, default synapses), probe on its output.
 */
export function cconv(dimensions: number, neuronsPerDim: number, neuronType: NeuronType): BenchmarkNetwork {
  const net = benchNetwork("cconv", neuronType);
  const cc = CircularConvolution(net, { nNeurons: neuronsPerDim, dimensions });
  const inpA = net.node({ output: new Array<number>(dimensions).fill(0), label: "inp_a" });
  const inpB = net.node({ output: new Array<number>(dimensions).fill(1), label: "inp_b" });
  net.connect(inpA, cc.inputA);
  net.connect(inpB, cc.inputB);
  const probe = net.probe(cc.output);
  return { net, inputs: [inpA, inpB], probe };
}

/**
 * Integrator benchmark: an `EnsembleArray(neuronsPerDim, dimensions)` with a recurrent output -> input
 * connection (synapse 0.01, transform 1) and a constant `[0] * D` input through transform 0.01.
 */
export function integrator(dimensions: number, neuronsPerDim: number, neuronType: NeuronType): BenchmarkNetwork {
  const net = benchNetwork("integrator", neuronType);
  const integ = EnsembleArray(net, { nNeurons: neuronsPerDim, nEnsembles: dimensions });
  net.connect(integ.output, integ.input, { synapse: 0.01 });
  const inp = net.node({ output: new Array<number>(dimensions).fill(0), label: "inp" });
  net.connect(inp, integ.input, { transform: 0.01 });
  const probe = net.probe(integ.output);
  return { net, inputs: [inp], probe };
}

/**
 * PES benchmark: one ensemble of `neuronsPerDim * dimensions` neurons fed a constant `[1] * D`, decoded
 * into a node through a PES connection (default learning rate) whose error is `post - inp`.
 */
export function pes(dimensions: number, neuronsPerDim: number, neuronType: NeuronType): BenchmarkNetwork {
  const net = benchNetwork("pes", neuronType);
  const inp = net.node({ output: new Array<number>(dimensions).fill(1), label: "inp" });
  const pre = net.ensemble({ nNeurons: neuronsPerDim * dimensions, dimensions, label: "pre" });
  const post = net.node({ sizeIn: dimensions, label: "post" });
  net.connect(inp, pre);
  const conn = net.connect(pre, post, { learningRuleType: new PES() });
  net.connect(post, conn.learningRule!, { transform: -1 });
  net.connect(inp, conn.learningRule!);
  const probe = net.probe(post);
  return { net, inputs: [inp], probe };
}

/**
 * Basal ganglia benchmark: `BasalGanglia(dimensions, neuronsPerDim)` fed a constant `[1] * D`
 * (only the neuron type is configured, as in NengoDL).
 */
export function basalGanglia(dimensions: number, neuronsPerDim: number, neuronType: NeuronType): BenchmarkNetwork {
  const net = benchNetwork("basal_ganglia", neuronType, false);
  const inp = net.node({ output: new Array<number>(dimensions).fill(1), label: "inp" });
  const bg = BasalGanglia(net, { dimensions, nNeuronsPerEnsemble: neuronsPerDim });
  net.connect(inp, bg.input);
  const probe = net.probe(bg.output);
  return { net, inputs: [inp], probe };
}

/** The benchmarks by CLI name. */
export const BENCHMARKS: Readonly<Record<string, BenchmarkBuilder>> = {
  integrator,
  cconv,
  pes,
  basal_ganglia: basalGanglia,
};

/** Neuron types selectable with `--neuron-type` (default options). */
export const NEURON_TYPES: Readonly<Record<string, () => NeuronType>> = {
  LIF: () => new LIF(),
  LIFRate: () => new LIFRate(),
  RectifiedLinear: () => new RectifiedLinear(),
  SpikingRectifiedLinear: () => new SpikingRectifiedLinear(),
  Sigmoid: () => new Sigmoid(),
  Tanh: () => new Tanh(),
  SoftLIFRate: () => new SoftLIFRate(),
};

/** Build the named benchmark network; throws a ValidationError listing the choices for an unknown name. */
export function makeBenchmark(
  name: string,
  dimensions: number,
  neuronsPerDim: number,
  neuronType: string | NeuronType = "LIF",
): BenchmarkNetwork {
  const builder = Object.prototype.hasOwnProperty.call(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
  if (builder === undefined) {
    throw new ValidationError(
      `unknown benchmark "${name}"; choose one of ${Object.keys(BENCHMARKS).join(", ")}`,
      "benchmark",
    );
  }
  let nt: NeuronType;
  if (typeof neuronType === "string") {
    const make = Object.prototype.hasOwnProperty.call(NEURON_TYPES, neuronType) ? NEURON_TYPES[neuronType] : undefined;
    if (make === undefined) {
      throw new ValidationError(
        `unknown neuron type "${neuronType}"; choose one of ${Object.keys(NEURON_TYPES).join(", ")}`,
        "neuronType",
      );
    }
    nt = make();
  } else {
    nt = neuronType;
  }
  return builder(dimensions, neuronsPerDim, nt);
}

/** Total number of neurons in a network (all ensembles, recursively). */
export function countNeurons(net: Network): number {
  return net.allEnsembles.reduce((s, e) => s + e.nNeurons, 0);
}
