/**
 * The operator set shared by both simulators. Each operator declares the signals it sets, increments,
 * reads and updates; the scheduler (order.ts) orders them as Nengo does: for every signal, sets run
 * first, then incs, then reads, then updates.
 */
import type { Node } from "../model/node.js";
import type { NeuronType } from "../neurons/base.js";
import type { LinearFilter } from "../synapses/index.js";
import type { Signal } from "./signal.js";

/** dst[:] = value. */
export interface ResetOp {
  type: "reset";
  dst: Signal;
  value: number;
}

/** dst[dstIdx] = src[srcIdx] (or += when inc). Null indices mean the whole signal. */
export interface CopyOp {
  type: "copy";
  src: Signal;
  dst: Signal;
  srcIdx: Int32Array | null;
  dstIdx: Int32Array | null;
  inc: boolean;
}

/** Y += A * X elementwise (A or X may have size 1 and broadcast). */
export interface ElementwiseIncOp {
  type: "elementwiseInc";
  A: Signal;
  X: Signal;
  Y: Signal;
}

/** Y += A @ X with A a [Y.size, X.size] matrix. */
export interface DotIncOp {
  type: "dotInc";
  A: Signal;
  X: Signal;
  Y: Signal;
}

/** Neuron update: sets output and state from input current J. */
export interface NeuronsOp {
  type: "neurons";
  neuronType: NeuronType;
  J: Signal;
  output: Signal;
  states: Record<string, Signal>;
  /** Seed for stochastic neuron types (e.g. PoissonSpiking). */
  seed: number;
}

/** A linear filter in update mode: output is written after all reads of the step (one-step delay). */
export interface SynapseOp {
  type: "synapse";
  synapse: LinearFilter;
  input: Signal;
  output: Signal;
  /** Filter state, [order, input.size]. */
  state: Signal;
  /** "set": the output is set in the step (learning-rule filters); absent: updated at its end. */
  mode?: "set";
}

/** A JavaScript function of time and/or input (Node outputs, connection functions on nodes). */
export interface FuncOp {
  type: "func";
  fn: (t: number, x: Float64Array) => number | readonly number[] | void;
  /** Whether the function takes time as its first argument. */
  withTime: boolean;
  x: Signal | null;
  output: Signal | null;
  /** The node this function belongs to, if any. */
  node?: Node;
  /** Display name. */
  name: string;
}

/** PES: delta = -(learningRate*dt/nNeurons) * outer(error, preFiltered); for neuron posts the builder encodes the error first. */
export interface PESOp {
  type: "pes";
  preFiltered: Signal;
  error: Signal;
  delta: Signal;
  learningRate: number;
}

/** Marks a probed signal as read (so it is computed even if nothing else reads it). */
export interface ProbeReadOp {
  type: "probeRead";
  signal: Signal;
}

/** One operator. */
export type Op = ResetOp | CopyOp | ElementwiseIncOp | DotIncOp | NeuronsOp | SynapseOp | FuncOp | PESOp | ProbeReadOp;

/** The signals an operator sets, increments, reads and updates. */
export interface OpSignals {
  sets: Signal[];
  incs: Signal[];
  reads: Signal[];
  updates: Signal[];
}

/** Signal roles of an operator. */
export function opSignals(op: Op): OpSignals {
  switch (op.type) {
    case "reset":
      return { sets: [op.dst], incs: [], reads: [], updates: [] };
    case "copy":
      return op.inc
        ? { sets: [], incs: [op.dst], reads: [op.src], updates: [] }
        : { sets: [op.dst], incs: [], reads: [op.src], updates: [] };
    case "elementwiseInc":
    case "dotInc":
      return { sets: [], incs: [op.Y], reads: [op.A, op.X], updates: [] };
    case "neurons":
      return { sets: [op.output, ...Object.values(op.states)], incs: [], reads: [op.J], updates: [] };
    case "synapse":
      return op.mode === "set"
        ? { sets: [op.output], incs: [], reads: [op.input], updates: [op.state] }
        : { sets: [], incs: [], reads: [op.input], updates: [op.output, op.state] };
    case "func":
      return { sets: op.output ? [op.output] : [], incs: [], reads: op.x ? [op.x] : [], updates: [] };
    case "pes":
      return {
        sets: [],
        incs: [],
        reads: [op.preFiltered, op.error],
        updates: [op.delta],
      };
    case "probeRead":
      return { sets: [], incs: [], reads: [op.signal], updates: [] };
  }
}
