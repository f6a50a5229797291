/**
 * The demo network: NengoDL's spiking MNIST example with dense layers. A 784-d input Node feeds one or more
 * layers of LIF neurons (neuron-level connections with Glorot-initialised weights); the last layer feeds a
 * 10-d output Node. Two probes watch the output: `outP` (no synapse, used for training in rate mode) and
 * `outPFilt` (lowpass-filtered, used to read out the spiking network).
 */
import { Glorot, Choice } from "../dists/index.js";
import { Ensemble } from "../model/ensemble.js";
import { Network } from "../model/network.js";
import type { Node } from "../model/node.js";
import type { Probe } from "../model/probe.js";
import { LIF } from "../neurons/index.js";
import { IMAGE_SIZE, N_CLASSES } from "./mnist.js";

/** Options of {@link buildMnistNetwork}. */
export interface MnistNetworkOptions {
  /** Neurons in each hidden layer (default [256]). */
  hidden?: number[];
  /** Firing rate of every neuron for a unit input (Hz; default 100). */
  maxRate?: number;
  /** LIF output amplitude (default 1 / maxRate, so a neuron's rate output is about 1 at unit input). */
  amplitude?: number;
  /** Synapse (s) of the filtered output probe (default 0.1). */
  synapse?: number;
  /** Network seed (default 0). */
  seed?: number;
  /** Neurons of each hidden layer recorded by the spike probes (default 64). */
  probedNeurons?: number;
}

/** The network and the objects the demo feeds and reads. */
export interface MnistNetwork {
  net: Network;
  /** The 784-d input Node (data: pixel values). */
  inp: Node;
  /** The 10-d output Node (class scores, i.e. logits). */
  out: Node;
  /** Hidden layers (ensembles whose `.neurons` carry the LIF neurons). */
  layers: Ensemble[];
  /** Unfiltered output probe (training target, rate-mode evaluation). */
  outP: Probe;
  /** Filtered output probe (spiking evaluation). */
  outPFilt: Probe;
  /** Spike probes of the first `probedNeurons` neurons of each hidden layer (for the report's rasters). */
  spikeP: Probe[];
}

/**
 * Build the demo network (modelling API only). As NengoDL's example: every neuron has `maxRate` at unit input
 * and intercept 0, connections carry no synapse, and the output node sums the last layer's spikes weighted.
 */
export function buildMnistNetwork(opts: MnistNetworkOptions = {}): MnistNetwork {
  const hidden = opts.hidden ?? [256];
  const maxRate = opts.maxRate ?? 100;
  const amplitude = opts.amplitude ?? 1 / maxRate;
  const net = new Network({ label: "spiking MNIST", seed: opts.seed ?? 0 });
  net.config.configure(Ensemble, {
    neuronType: new LIF({ amplitude }),
    maxRates: new Choice([maxRate]),
    intercepts: new Choice([0]),
  });
  const inp = net.node({ output: new Array<number>(IMAGE_SIZE).fill(0), label: "input" });
  const layers: Ensemble[] = [];
  let prev: Node | Ensemble = inp;
  hidden.forEach((n, i) => {
    const ens = net.ensemble({ nNeurons: n, dimensions: 1, label: `hidden${i}` });
    net.connect(prev instanceof Ensemble ? prev.neurons : prev, ens.neurons, {
      transform: new Glorot(),
      synapse: null,
      label: `w${i}`,
    });
    layers.push(ens);
    prev = ens;
  });
  const out = net.node({ sizeIn: N_CLASSES, label: "output" });
  const last = prev as Node | Ensemble;
  net.connect(last instanceof Ensemble ? last.neurons : last, out, {
    transform: new Glorot(),
    synapse: null,
    label: "readout",
  });
  const outP = net.probe(out, { label: "out_p" });
  const outPFilt = net.probe(out, { synapse: opts.synapse ?? 0.1, label: "out_p_filt" });
  const k = opts.probedNeurons ?? 64;
  const spikeP = layers.map((e) =>
    net.probe(e.neurons.slice({ stop: Math.min(k, e.nNeurons) }), { label: `${e.label}_spikes` }),
  );
  return { net, inp, out, layers, outP, outPFilt, spikeP };
}
