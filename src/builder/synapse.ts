/** Builds a synapse (update or set mode) or passes the signal through when there is none. */
import type { LinearFilter } from "../synapses/index.js";
import type { Model } from "./model.js";
import { Signal } from "./signal.js";

/**
 * Filter `input` with `synapse`; returns the filtered signal. "update" mode (connections, probes) writes the
 * output at the end of the step, a one-step delay; "set" mode (learning-rule filters, as Nengo 4 builds them)
 * writes it in the step, before its readers.
 */
export function buildSynapse(
  model: Model,
  synapse: LinearFilter,
  input: Signal,
  name: string,
  mode: "update" | "set" = "update",
): Signal {
  const output = new Signal(`${name}.filtered`, input.size);
  const order = synapse.discretize(model.dt).A.rows;
  const state = new Signal(`${name}.filterState`, [Math.max(order, 1), input.size]);
  model.addOp(
    mode === "set"
      ? { type: "synapse", synapse, input, output, state, mode }
      : { type: "synapse", synapse, input, output, state },
  );
  return output;
}

/** `buildSynapse`, or `input` itself when `synapse` is null. */
export function buildOrPassthrough(
  model: Model,
  synapse: LinearFilter | null,
  input: Signal,
  name: string,
  mode: "update" | "set" = "update",
): Signal {
  return synapse === null ? input : buildSynapse(model, synapse, input, name, mode);
}
