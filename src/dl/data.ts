/** Conversion and validation of user data for runSteps/train/loss (semantics section 5). */
import { toTypedND } from "../arrays.js";
import { ValidationError } from "../errors.js";
import { Node } from "../model/node.js";
import { Probe } from "../model/probe.js";
import { tf } from "./backend.js";

/** A rank-3 float32 array [batch, steps, size]. */
export interface Array3 {
  shape: [number, number, number];
  data: Float32Array;
}

/** Anything accepted as data: nested arrays, `{shape, data}`, or a tf.Tensor. */
export type DataInput = unknown;

/** Convert `x` to a rank-3 array; `what` (the Node or Probe the data is for) is named in errors. */
export function toArray3(x: DataInput, what: unknown, allowNaN: boolean): Array3 {
  let shape: number[];
  let data: Float32Array;
  if (x instanceof tf.Tensor) {
    shape = [...x.shape];
    data = Float32Array.from(x.dataSync());
  } else {
    ({ shape, data } = toTypedND(x, `${String(what)}.data`, { allowNaN: true }, (n) => new Float32Array(n)));
  }
  if (shape.length !== 3) {
    throw new ValidationError(
      `should have rank 3 (batch_size, n_steps, dimensions), found rank ${shape.length}`,
      "data",
      what,
    );
  }
  if (!allowNaN) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        throw new ValidationError(`contains a non-finite value at index ${i}`, "data", what);
    }
  }
  return { shape: shape as [number, number, number], data };
}

/** Validated data: inputs per node and targets per probe, all with equal batch and step counts. */
export interface CheckedData {
  inputs: Map<Node, Array3>;
  targets: Map<Probe, Array3>;
  batch: number;
  steps: number;
}

/**
 * Check a data map as NengoDL's `_check_data`: keys are input Nodes (sizeIn 0) or Probes of this network,
 * arrays are rank 3 with equal batch and step counts, batch >= minibatchSize, last axis = object size.
 */
export function checkData(
  data: Map<unknown, DataInput>,
  opts: { inputNodes: Set<Node>; probes: Set<Probe>; minibatchSize: number },
): CheckedData {
  if (!(data instanceof Map))
    throw new ValidationError("must be a Map from Nodes/Probes to arrays", "data", "Simulator");
  const inputs = new Map<Node, Array3>();
  const targets = new Map<Probe, Array3>();
  let batch = -1;
  let steps = -1;
  for (const [k, v] of data) {
    let a: Array3;
    if (k instanceof Node) {
      if (!opts.inputNodes.has(k)) {
        throw new ValidationError(
          `${String(k)} is not an input Node (a nengo.Node with sizeIn==0), or is from a different network.`,
          "data",
          "Simulator",
        );
      }
      a = toArray3(v, k, false);
      if (a.shape[2] !== k.sizeOut) {
        throw new ValidationError(
          `Dimensionality of data (${a.shape[2]}) does not match dimensionality of ${String(k)} (${k.sizeOut})`,
          "data",
          "Simulator",
        );
      }
      inputs.set(k, a);
    } else if (k instanceof Probe) {
      if (!opts.probes.has(k))
        throw new ValidationError(`${String(k)} is from a different network`, "data", "Simulator");
      a = toArray3(v, k, true);
      if (a.shape[2] !== k.sizeIn && k.sizeIn !== 0) {
        throw new ValidationError(
          `Dimensionality of data (${a.shape[2]}) does not match dimensionality of ${String(k)} (${k.sizeIn})`,
          "data",
          "Simulator",
        );
      }
      targets.set(k, a);
    } else {
      throw new ValidationError(`Data objects must be Nodes or Probes, not ${String(k)}`, "data", "Simulator");
    }
    if (batch >= 0 && a.shape[0] !== batch) {
      throw new ValidationError(
        `Elements have different batch sizes: ${batch} and ${a.shape[0]} (${String(k)})`,
        "data",
        "Simulator",
      );
    }
    if (steps >= 0 && a.shape[1] !== steps) {
      throw new ValidationError(
        `Elements have different numbers of timesteps: ${steps} and ${a.shape[1]} (${String(k)})`,
        "data",
        "Simulator",
      );
    }
    batch = a.shape[0];
    steps = a.shape[1];
    if (batch < opts.minibatchSize) {
      throw new ValidationError(
        `Size of minibatch (${batch}) for ${String(k)} data less than Simulation minibatchSize (${opts.minibatchSize})`,
        "data",
        "Simulator",
      );
    }
  }
  return { inputs, targets, batch, steps };
}
