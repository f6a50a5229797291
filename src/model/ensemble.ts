/** Ensemble and Neurons, as nengo.Ensemble / ens.neurons. */
import type { ArrayInput } from "../arrays.js";
import { Distribution } from "../dists/base.js";
import { ValidationError } from "../errors.js";
import { NeuronType } from "../neurons/base.js";
import { type BaseOptions, NengoObject, checkInt, checkNumber } from "./base.js";
import { ObjView, type SliceSpec } from "./objview.js";

/** A value or a distribution to sample it from. */
export type DistOrArray = Distribution | ArrayInput;

/** Options of `net.ensemble(...)`; unset ones come from network configs, then Nengo's defaults. */
export interface EnsembleOptions extends BaseOptions {
  nNeurons: number;
  dimensions: number;
  radius?: number;
  encoders?: DistOrArray;
  intercepts?: DistOrArray;
  maxRates?: DistOrArray;
  evalPoints?: DistOrArray;
  nEvalPoints?: number;
  neuronType?: NeuronType;
  gain?: DistOrArray;
  bias?: DistOrArray;
  /** A process adding noise current (Gaussian white noise given as a Distribution sampled each step). */
  noise?: Distribution | null;
  normalizeEncoders?: boolean;
}

/** Fully resolved ensemble parameters. */
export interface EnsembleParams {
  radius: number;
  encoders: DistOrArray;
  intercepts: DistOrArray;
  maxRates: DistOrArray;
  evalPoints: DistOrArray;
  nEvalPoints?: number;
  neuronType: NeuronType;
  gain?: DistOrArray;
  bias?: DistOrArray;
  noise: Distribution | null;
  normalizeEncoders: boolean;
}

/** A group of neurons that collectively represent a vector. */
export class Ensemble extends NengoObject implements EnsembleParams {
  readonly nNeurons: number;
  readonly dimensions: number;
  radius: number;
  encoders: DistOrArray;
  intercepts: DistOrArray;
  maxRates: DistOrArray;
  evalPoints: DistOrArray;
  nEvalPoints?: number;
  neuronType: NeuronType;
  gain?: DistOrArray;
  bias?: DistOrArray;
  noise: Distribution | null;
  normalizeEncoders: boolean;
  /** The neurons of this ensemble (for neuron-level connections and probes). */
  readonly neurons: Neurons;

  /** @internal use `net.ensemble(...)`; `params` are resolved by the network. */
  constructor(opts: EnsembleOptions, params: EnsembleParams) {
    super(opts);
    this.nNeurons = checkInt(opts.nNeurons, "nNeurons", this, 1);
    this.dimensions = checkInt(opts.dimensions, "dimensions", this, 1);
    this.radius = checkNumber(params.radius, "radius", this, 0, false);
    if (!(params.neuronType instanceof NeuronType)) {
      throw new ValidationError("must be a NeuronType (e.g. new nengo.LIF())", "neuronType", this);
    }
    if (params.nEvalPoints !== undefined) checkInt(params.nEvalPoints, "nEvalPoints", this, 1);
    if ((params.gain === undefined) !== (params.bias === undefined)) {
      throw new ValidationError(
        "gain and bias must be given together (or neither)",
        params.gain === undefined ? "gain" : "bias",
        this,
      );
    }
    this.encoders = params.encoders;
    this.intercepts = params.intercepts;
    this.maxRates = params.maxRates;
    this.evalPoints = params.evalPoints;
    this.nEvalPoints = params.nEvalPoints;
    this.neuronType = params.neuronType;
    this.gain = params.gain;
    this.bias = params.bias;
    this.noise = params.noise;
    this.normalizeEncoders = params.normalizeEncoders;
    this.neurons = new Neurons(this);
  }

  get sizeIn(): number {
    return this.dimensions;
  }

  get sizeOut(): number {
    return this.dimensions;
  }

  /** A view of some dimensions (Nengo's `ens[idx]`). */
  slice(spec: SliceSpec): ObjView {
    return new ObjView(this, spec);
  }
}

/** The neurons of an ensemble (Nengo's `ens.neurons`). */
export class Neurons {
  constructor(readonly ensemble: Ensemble) {}

  get nNeurons(): number {
    return this.ensemble.nNeurons;
  }

  get sizeIn(): number {
    return this.ensemble.nNeurons;
  }

  get sizeOut(): number {
    return this.ensemble.nNeurons;
  }

  get label(): string | undefined {
    return this.ensemble.label;
  }

  /** A view of some neurons. */
  slice(spec: SliceSpec): ObjView {
    return new ObjView(this, spec);
  }

  toString(): string {
    return `<Neurons of ${String(this.ensemble)}>`;
  }
}
