/** Builds a synapse (update mode) or passes the signal through when there is none. */
import type { LinearFilter } from "../synapses/index.js";
import type { Model } from "./model.js";
import { Signal } from "./signal.js";

/** Filter `input` with `synapse` (update mode: a one-step delay); returns the filtered signal. */
export function buildSynapse(model: Model, synapse: LinearFilter, input: Signal, name: string): Signal {
  const output = new Signal(`${name}.filtered`, input.size);
  const order = synapse.discretize(model.dt).A.rows;
  const state = new Signal(`${name}.filterState`, [Math.max(order, 1), input.size]);
  model.addOp({ type: "synapse", synapse, input, output, state });
  return output;
}

/** `buildSynapse`, or `input` itself when `synapse` is null. */
export function buildOrPassthrough(model: Model, synapse: LinearFilter | null, input: Signal, name: string): Signal {
  return synapse === null ? input : buildSynapse(model, synapse, input, name);
}
