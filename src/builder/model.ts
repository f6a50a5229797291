/** The built model: signals, operators, built parameters and seeds, consumed by both simulators. */
import type { Mat } from "../linalg/mat.js";
import type { Op } from "./ops.js";
import { Signal } from "./signal.js";

/** Built parameters of an ensemble (Nengo's BuiltEnsemble). Matrices are [nNeurons x dimensions]. */
export interface BuiltEnsemble {
  evalPoints: Mat;
  encoders: Mat;
  scaledEncoders: Mat;
  gain: Float64Array | null;
  bias: Float64Array | null;
  maxRates: Float64Array | null;
  intercepts: Float64Array | null;
}

/** Built parameters of a connection (Nengo's BuiltConnection). `weights` has the weights signal's shape. */
export interface BuiltConnection {
  evalPoints: Mat | null;
  solverInfo: Record<string, unknown> | null;
  /** Decoders (size_mid x n) folded with the transform, or the transform itself; shape `weightsShape`. */
  weights: Float64Array;
  weightsShape: number[];
}

/** What a probe records: a signal (optionally at indices), every `period` steps. */
export interface BuiltProbe {
  signal: Signal;
  /** Steps between samples (1 = every step); Nengo records when `nSteps % period < 1`. */
  period: number;
  /** Shape of one sample ([size] for vectors, [rows, cols] for weights). */
  shape: number[];
}

/** A built model. */
export class Model {
  readonly ops: Op[] = [];
  /** Signals of each object, e.g. sig.get(ens).encoders, sig.get(ens.neurons).bias, sig.get(conn).weights. */
  readonly sig = new Map<object, Record<string, Signal>>();
  /** Built parameters of ensembles and connections. */
  readonly params = new Map<object, BuiltEnsemble | BuiltConnection>();
  /** Seeds of every object (network seeding as Nengo). */
  seeds = new Map<object, number>();
  /** Probes and what they record. */
  readonly probes = new Map<object, BuiltProbe>();
  /** Simulation time, set before each step. */
  readonly time = new Signal("time", 1);
  /** Connections the builder created for probes (not trainable). */
  readonly probeConnections = new Set<object>();

  constructor(
    readonly dt: number,
    readonly label?: string,
  ) {}

  /** Add an operator. */
  addOp(op: Op): void {
    this.ops.push(op);
  }

  /** The signals record of an object (created on first use). */
  sigOf(obj: object): Record<string, Signal> {
    let r = this.sig.get(obj);
    if (!r) {
      r = {};
      this.sig.set(obj, r);
    }
    return r;
  }
}
