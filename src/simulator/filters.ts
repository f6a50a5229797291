/** Step functions for linear filters (synapses) in update mode. */
import { classifyStep, stepLinearFilter, type LinearFilter } from "../synapses/index.js";

/**
 * An allocation-free step that filters every channel of `input` into `output`, with Nengo's
 * state-space forms (`state` holds [order x channels]).
 */
export function makeFilterStep(
  synapse: LinearFilter,
  dt: number,
  input: Float64Array,
  output: Float64Array,
  state: Float64Array,
): () => void {
  const ss = synapse.discretize(dt);
  const kind = classifyStep(ss);
  const scratch = new Float64Array(Math.max(1, ss.A.rows));
  return () => stepLinearFilter(kind, ss, state, input, output, scratch);
}
