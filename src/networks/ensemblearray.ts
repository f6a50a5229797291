/** EnsembleArray: an array of low-dimensional ensembles acting like one high-dimensional one (nengo.networks.EnsembleArray). */
import { ValidationError } from "../errors.js";
import type { ConnectionFunction, ConnectionOptions } from "../model/connection.js";
import { Ensemble, type EnsembleOptions } from "../model/ensemble.js";
import type { Network } from "../model/network.js";
import type { Node } from "../model/node.js";
import { Direct } from "../neurons/index.js";
import { attach, defined, setMember } from "./common.js";

/** Ensemble parameters an EnsembleArray passes to every sub-ensemble (through its config). */
export type EnsembleArrayEnsembleOptions = Omit<EnsembleOptions, "nNeurons" | "dimensions" | "label" | "seed">;

/** Options of `EnsembleArray(net, opts)`: Nengo's arguments plus any ensemble parameter. */
export interface EnsembleArrayOptions extends EnsembleArrayEnsembleOptions {
  /** Neurons in each sub-ensemble. */
  nNeurons: number;
  /** Number of sub-ensembles. */
  nEnsembles: number;
  /** Dimensionality of each sub-ensemble (Nengo's `ens_dimensions`, default 1). */
  ensDimensions?: number;
  /** Alias of `ensDimensions`. */
  ensembleDimensions?: number;
  label?: string;
  seed?: number;
}

/** Options of `ea.addOutput(name, fn, opts)`: connection options for the sub-ensemble -> output connections. */
export type AddOutputOptions = Omit<ConnectionOptions, "function" | "transform">;

/** Members of an EnsembleArray network (besides those of every Network). */
export interface EnsembleArrayMembers {
  /** Passthrough node of size `dimensions` feeding all sub-ensembles. */
  readonly input: Node;
  /** Passthrough node gathering the decoded outputs (identity function). */
  readonly output: Node;
  /** The sub-ensembles, in order (Nengo's `ea_ensembles`; same array as the network's `ensembles`). */
  readonly eaEnsembles: Ensemble[];
  /** Neurons in each sub-ensemble. */
  readonly nNeuronsPerEnsemble: number;
  /** Number of sub-ensembles. */
  readonly nEnsembles: number;
  /** Dimensionality of each sub-ensemble. */
  readonly dimensionsPerEnsemble: number;
  /** Total dimensionality (`nEnsembles * dimensionsPerEnsemble`). */
  readonly dimensions: number;
  /** Outputs added with `addOutput` (including the default `output`), by name. */
  readonly outputs: Record<string, Node>;
  /** Node feeding all neurons (null until `addNeuronInput()`). */
  readonly neuronInput: Node | null;
  /** Node gathering all neural activities (null until `addNeuronOutput()`). */
  readonly neuronOutput: Node | null;
  /**
   * Add a passthrough node `name` that collects `fn` of each sub-ensemble (one function for all,
   * one per ensemble, or null for identity); connections use `opts` and synapse null by default.
   * The node becomes `ea.outputs[name]` and `ea.members[name]` (and a property `ea[name]`).
   */
  addOutput(name: string, fn: ConnectionFunction | readonly ConnectionFunction[] | null, opts?: AddOutputOptions): Node;
  /** Add (once) a node of size `nNeurons * nEnsembles` that feeds the neurons of all sub-ensembles directly. */
  addNeuronInput(): Node;
  /** Add (once) a node of size `nNeurons * nEnsembles` that collects the neural output of all sub-ensembles. */
  addNeuronOutput(): Node;
}

/** An EnsembleArray: a Network with the {@link EnsembleArrayMembers}. */
export type EnsembleArrayNetwork = Network & EnsembleArrayMembers;

/**
 * Add an EnsembleArray to `net` (as Nengo's `nengo.networks.EnsembleArray`): `nEnsembles` ensembles of
 * `nNeurons` neurons and `ensDimensions` dimensions, an `input` node of size `nEnsembles * ensDimensions`
 * connected (synapse null) to slices of it, and an `output` node. Extra ensemble parameters
 * (`radius`, `intercepts`, `neuronType`, ...) are set on the array's config for `Ensemble`.
 */
export function EnsembleArray(net: Network, opts: EnsembleArrayOptions): EnsembleArrayNetwork {
  if ("dimensions" in opts) {
    throw new ValidationError(
      "'dimensions' is not a valid argument to EnsembleArray. To set the number of ensembles, use 'nEnsembles'. " +
        "To set the number of dimensions per ensemble, use 'ensDimensions'.",
      "dimensions",
      "EnsembleArray",
    );
  }
  const {
    nNeurons,
    nEnsembles,
    ensDimensions: ensDimsOpt,
    ensembleDimensions,
    label,
    seed,
    ...ensKwargs
  } = opts as EnsembleArrayOptions & Record<string, unknown>;
  for (const [k, v] of [
    ["nNeurons", nNeurons],
    ["nEnsembles", nEnsembles],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new ValidationError(`must be an integer >= 1, got ${String(v)}`, k, "EnsembleArray");
  }
  const ensDims = ensDimsOpt ?? ensembleDimensions ?? 1;
  if (!Number.isInteger(ensDims) || ensDims < 1) {
    throw new ValidationError(`must be an integer >= 1, got ${String(ensDims)}`, "ensDimensions", "EnsembleArray");
  }
  const sub = net.network(defined({ label, seed }));
  sub.config.configure(Ensemble, defined(ensKwargs));
  const labelPrefix = label === undefined ? "" : `${label}_`;
  const dimensions = nEnsembles * ensDims;

  const input = sub.node({ sizeIn: dimensions, label: "input" });
  for (let i = 0; i < nEnsembles; i++) {
    const e = sub.ensemble({ nNeurons, dimensions: ensDims, label: `${labelPrefix}${i}` });
    sub.connect(input.slice({ start: i * ensDims, stop: (i + 1) * ensDims }), e, { synapse: null });
  }
  const eaEnsembles = sub.ensembles;
  const outputs: Record<string, Node> = {};
  let neuronInput: Node | null = null;
  let neuronOutput: Node | null = null;

  const checkNotDirect = (what: string): void => {
    if (eaEnsembles[0].neuronType instanceof Direct) {
      throw new ValidationError(
        `Ensembles use Direct neuron type. Cannot ${what} Direct neurons.`,
        "eaEnsembles[0].neuronType",
        sub,
      );
    }
  };

  const addOutput = (
    name: string,
    fn: ConnectionFunction | readonly ConnectionFunction[] | null,
    connOpts: AddOutputOptions = {},
  ): Node => {
    if (name in sub || name in outputs) {
      throw new ValidationError(
        `Cannot add output '${name}'; there is already an attribute with this name`,
        "name",
        sub,
      );
    }
    let fns: (ConnectionFunction | null)[];
    if (fn === null || fn === undefined) {
      fns = new Array<ConnectionFunction | null>(nEnsembles).fill(null);
    } else if (typeof fn === "function") {
      fns = new Array<ConnectionFunction | null>(nEnsembles).fill(fn);
    } else if (Array.isArray(fn) && fn.every((f) => typeof f === "function")) {
      if (fn.length !== nEnsembles) throw new ValidationError("Must have one function per ensemble", "function", sub);
      fns = [...fn];
    } else {
      throw new ValidationError("'function' must be a function, an array of functions, or null", "function", sub);
    }
    const sizes = fns.map((f) => {
      if (f === null) return ensDims;
      const y = f(new Float64Array(ensDims));
      return typeof y === "number" ? 1 : y.length;
    });
    const total = sizes.reduce((a, b) => a + b, 0);
    const out = sub.node({ sizeIn: total, label: name });
    let start = 0;
    eaEnsembles.forEach((e, i) => {
      sub.connect(e, out.slice({ start, stop: start + sizes[i] }), {
        ...connOpts,
        function: fns[i],
        synapse: connOpts.synapse === undefined ? null : connOpts.synapse,
      });
      start += sizes[i];
    });
    outputs[name] = out;
    setMember(sub, name, out);
    return out;
  };

  const addNeuronInput = (): Node => {
    if (neuronInput !== null) return neuronInput;
    checkNotDirect("give neuron input to");
    const ni = sub.node({ sizeIn: nNeurons * nEnsembles, label: "neuron_input" });
    eaEnsembles.forEach((e, i) => {
      sub.connect(ni.slice({ start: i * nNeurons, stop: (i + 1) * nNeurons }), e.neurons, { synapse: null });
    });
    neuronInput = ni;
    return ni;
  };

  const addNeuronOutput = (): Node => {
    if (neuronOutput !== null) return neuronOutput;
    checkNotDirect("get neuron output from");
    const no = sub.node({ sizeIn: nNeurons * nEnsembles, label: "neuron_output" });
    eaEnsembles.forEach((e, i) => {
      sub.connect(e.neurons, no.slice({ start: i * nNeurons, stop: (i + 1) * nNeurons }), { synapse: null });
    });
    neuronOutput = no;
    return no;
  };

  const ea = attach(sub, {
    input,
    eaEnsembles,
    nNeuronsPerEnsemble: nNeurons,
    nEnsembles,
    dimensionsPerEnsemble: ensDims,
    dimensions,
    outputs,
    addOutput,
    addNeuronInput,
    addNeuronOutput,
  });
  Object.defineProperty(ea, "neuronInput", { get: () => neuronInput, enumerable: true });
  Object.defineProperty(ea, "neuronOutput", { get: () => neuronOutput, enumerable: true });
  addOutput("output", null);
  return ea as EnsembleArrayNetwork;
}
