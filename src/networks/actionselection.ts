/** Action selection networks: BasalGanglia and Thalamus (nengo.networks.actionselection). */
import { Choice, Uniform } from "../dists/index.js";
import { ValidationError } from "../errors.js";
import { Connection, type ConnectionOptions } from "../model/connection.js";
import { Ensemble } from "../model/ensemble.js";
import type { Network } from "../model/network.js";
import type { Node } from "../model/node.js";
import * as solvers from "../solvers/index.js";
import { Lowpass } from "../synapses/index.js";
import { attach, defined } from "./common.js";
import { EnsembleArray, type EnsembleArrayNetwork } from "./ensemblearray.js";

/** Connection weights and thresholds of the basal ganglia model (Gurney, Prescott & Redgrave, 2001). */
export const BasalGangliaWeights = {
  mm: 1,
  mp: 1,
  me: 1,
  mg: 1,
  ws: 1,
  wt: 1,
  wm: 1,
  wg: 1,
  wp: 0.9,
  we: 0.3,
  e: 0.2,
  ep: -0.25,
  ee: -0.2,
  eg: -0.2,
  le: 0.2,
  lg: 0.2,
  /** Striatum output function. */
  strFunc(x: number): number {
    return x < BasalGangliaWeights.e ? 0 : BasalGangliaWeights.mm * (x - BasalGangliaWeights.e);
  },
  /** Subthalamic nucleus output function. */
  stnFunc(x: number): number {
    return x < BasalGangliaWeights.ep ? 0 : BasalGangliaWeights.mp * (x - BasalGangliaWeights.ep);
  },
  /** Globus pallidus externus output function. */
  gpeFunc(x: number): number {
    return x < BasalGangliaWeights.ee ? 0 : BasalGangliaWeights.me * (x - BasalGangliaWeights.ee);
  },
  /** Globus pallidus internus output function. */
  gpiFunc(x: number): number {
    return x < BasalGangliaWeights.eg ? 0 : BasalGangliaWeights.mg * (x - BasalGangliaWeights.eg);
  },
};

/** Connection settings for a group of biological connections (AMPA or GABA), e.g. `{ synapse: 0.002 }`. */
export type ReceptorConfig = Omit<ConnectionOptions, "function" | "transform" | "label" | "seed" | "learningRuleType">;

/** Options of `BasalGanglia(net, opts)`. */
export interface BasalGangliaOptions {
  /** Number of actions. */
  dimensions: number;
  /** Neurons in each ensemble (default 100). */
  nNeuronsPerEnsemble?: number;
  /** Scale of the GPi -> output connection (default -3). */
  outputWeight?: number;
  /** Constant added to every input dimension through a `biasInput` node (default 0: no node). */
  inputBias?: number;
  /** Settings of the STN -> GPi/GPe connections; synapse defaults to Lowpass(0.002). */
  ampaConfig?: ReceptorConfig;
  /** Settings of the StrD1 -> GPi, StrD2 -> GPe, GPe -> GPi/STN connections; synapse defaults to Lowpass(0.008). */
  gabaConfig?: ReceptorConfig;
  /** Default "Basal Ganglia". */
  label?: string;
  seed?: number;
}

/** Members of a BasalGanglia network. */
export interface BasalGangliaMembers {
  /** Utilities of the actions (passthrough node). */
  readonly input: Node;
  /** About 0 for the selected action, negative for the others (passthrough node). */
  readonly output: Node;
  /** Constant input bias node, or null when `inputBias` is 0. */
  readonly biasInput: Node | null;
  /** Striatal D1 neurons. */
  readonly strD1: EnsembleArrayNetwork;
  /** Striatal D2 neurons. */
  readonly strD2: EnsembleArrayNetwork;
  /** Subthalamic nucleus. */
  readonly stn: EnsembleArrayNetwork;
  /** Globus pallidus internus. */
  readonly gpi: EnsembleArrayNetwork;
  /** Globus pallidus externus. */
  readonly gpe: EnsembleArrayNetwork;
}

/** A BasalGanglia: a Network with the {@link BasalGangliaMembers}. */
export type BasalGangliaNetwork = Network & BasalGangliaMembers;

/** The NnlsL2nz solver when the solvers module has one (Nengo's default for the BG), else undefined. */
function nnlsSolver(): solvers.Solver | undefined {
  const Cls = (solvers as Record<string, unknown>)["NnlsL2nz"];
  return typeof Cls === "function" ? (new (Cls as new () => solvers.Solver)() as solvers.Solver) : undefined;
}

/**
 * Add a winner-take-all basal ganglia network to `net`, as Nengo's `BasalGanglia` (Stewart, Choo &
 * Eliasmith 2010): five EnsembleArrays (strD1, strD2, stn, gpi, gpe) of one-dimensional ensembles with
 * radius 1.5, positive encoders and per-area intercepts, connected with Gurney et al.'s weights. The
 * ensembles and connections inside use Nengo's BG config; the decoder solver is `NnlsL2nz` when
 * `nengo.solvers` provides it and the default (`LstsqL2`) otherwise, as Nengo does without SciPy.
 */
export function BasalGanglia(net: Network, opts: BasalGangliaOptions): BasalGangliaNetwork {
  const W = BasalGangliaWeights;
  const {
    dimensions,
    nNeuronsPerEnsemble = 100,
    outputWeight = -3,
    inputBias = 0,
    label = "Basal Ganglia",
    seed,
  } = opts;
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new ValidationError(`must be an integer >= 1, got ${String(dimensions)}`, "dimensions", "BasalGanglia");
  }
  const ampa: ReceptorConfig = { synapse: new Lowpass(0.002), ...defined(opts.ampaConfig ?? {}) };
  const gaba: ReceptorConfig = { synapse: new Lowpass(0.008), ...defined(opts.gabaConfig ?? {}) };

  const sub = net.network(defined({ label, seed }));
  sub.config.configure(Ensemble, { radius: 1.5, encoders: new Choice([[1]]) });
  const nnls = nnlsSolver();
  if (nnls !== undefined) sub.config.configure(Connection, { solver: nnls });

  const ea = (eaLabel: string, low: number): EnsembleArrayNetwork =>
    EnsembleArray(sub, {
      label: eaLabel,
      intercepts: new Uniform(low, 1),
      nNeurons: nNeuronsPerEnsemble,
      nEnsembles: dimensions,
    });
  const strD1 = ea("Striatal D1 neurons", W.e);
  const strD2 = ea("Striatal D2 neurons", W.e);
  const stn = ea("Subthalamic nucleus", W.ep);
  const gpi = ea("Globus pallidus internus", W.eg);
  const gpe = ea("Globus pallidus externus", W.ee);

  const input = sub.node({ label: "input", sizeIn: dimensions });
  const output = sub.node({ label: "output", sizeIn: dimensions });
  let biasInput: Node | null = null;
  if (Math.abs(inputBias) > 0) {
    biasInput = sub.node({ output: new Array<number>(dimensions).fill(inputBias), label: "basal ganglia bias" });
    sub.connect(biasInput, input);
  }

  // spread the input to StrD1, StrD2 and STN
  sub.connect(input, strD1.input, { synapse: null, transform: W.ws * (1 + W.lg) });
  sub.connect(input, strD2.input, { synapse: null, transform: W.ws * (1 - W.le) });
  sub.connect(input, stn.input, { synapse: null, transform: W.wt });

  const scalar = (f: (x: number) => number) => (x: Float64Array) => [f(x[0])];
  // striatum to GPi and GPe (inhibitory)
  const strD1Out = strD1.addOutput("func_str", scalar(W.strFunc));
  const strD2Out = strD2.addOutput("func_str", scalar(W.strFunc));
  sub.connect(strD1Out, gpi.input, { ...gaba, transform: -W.wm });
  sub.connect(strD2Out, gpe.input, { ...gaba, transform: -W.wm });

  // STN to GPi and GPe (broad and excitatory)
  const tr = Array.from({ length: dimensions }, () => new Array<number>(dimensions).fill(W.wp));
  const stnOut = stn.addOutput("func_stn", scalar(W.stnFunc));
  sub.connect(stnOut, gpi.input, { ...ampa, transform: tr });
  sub.connect(stnOut, gpe.input, { ...ampa, transform: tr });

  // GPe to GPi and STN (inhibitory)
  const gpeOut = gpe.addOutput("func_gpe", scalar(W.gpeFunc));
  sub.connect(gpeOut, gpi.input, { ...gaba, transform: -W.we });
  sub.connect(gpeOut, stn.input, { ...gaba, transform: -W.wg });

  // GPi to output (inhibitory)
  const gpiOut = gpi.addOutput("func_gpi", scalar(W.gpiFunc));
  sub.connect(gpiOut, output, { synapse: null, transform: outputWeight });

  return attach(sub, { input, output, biasInput, strD1, strD2, stn, gpi, gpe });
}

/** Options of `Thalamus(net, opts)`. */
export interface ThalamusOptions {
  /** Number of actions. */
  dimensions: number;
  /** Neurons in each ensemble (default 50). */
  nNeuronsPerEnsemble?: number;
  /** Strength of the mutual inhibition between actions (default 1). */
  mutualInhib?: number;
  /** Values below this are not represented (default 0). */
  threshold?: number;
  /** Default "Thalamus". */
  label?: string;
  seed?: number;
}

/** Members of a Thalamus network. */
export interface ThalamusMembers {
  /** Input of the `actions` ensembles (the actions' input node). */
  readonly input: Node;
  /** Output of the `actions` ensembles (the actions' output node). */
  readonly output: Node;
  /** One ensemble per action, positive encoders, intercepts Uniform(threshold, 1). */
  readonly actions: EnsembleArrayNetwork;
  /** Constant bias node ([1]) feeding every action. */
  readonly bias: Node;
}

/** A Thalamus: a Network with the {@link ThalamusMembers}. */
export type ThalamusNetwork = Network & ThalamusMembers;

/**
 * Add a thalamus to `net`, as Nengo's `Thalamus`: turns basal ganglia output into ~1 for the selected
 * action and ~0 elsewhere (constant bias plus mutual inhibition between the actions).
 */
export function Thalamus(net: Network, opts: ThalamusOptions): ThalamusNetwork {
  const { dimensions, nNeuronsPerEnsemble = 50, mutualInhib = 1, threshold = 0, label = "Thalamus", seed } = opts;
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new ValidationError(`must be an integer >= 1, got ${String(dimensions)}`, "dimensions", "Thalamus");
  }
  const sub = net.network(defined({ label, seed }));
  const actions = EnsembleArray(sub, {
    nNeurons: nNeuronsPerEnsemble,
    nEnsembles: dimensions,
    intercepts: new Uniform(threshold, 1),
    encoders: new Choice([[1]]),
    label: "actions",
  });
  const inhib = Array.from({ length: dimensions }, (_, i) =>
    Array.from({ length: dimensions }, (_, j) => (i === j ? 0 : -mutualInhib)),
  );
  sub.connect(actions.output, actions.input, { transform: inhib });
  const bias = sub.node({ output: [1], label: "thalamus bias" });
  sub.connect(bias, actions.input, { transform: Array.from({ length: dimensions }, () => [1]) });
  return attach(sub, { input: actions.input, output: actions.output, actions, bias });
}
