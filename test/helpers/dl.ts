/** Test helpers for the dl simulator. */
import type * as nengoDL from "../../src/dl/index.js";

/** An optimizer stand-in that records the gradients `train` hands to it and changes nothing. */
export function gradientRecorder(): { opt: nengoDL.tf.Optimizer; grads: Map<string, Float64Array> } {
  const grads = new Map<string, Float64Array>();
  const opt = {
    applyGradients(named: Record<string, nengoDL.tf.Tensor>): void {
      for (const [k, g] of Object.entries(named)) grads.set(k, Float64Array.from(g.dataSync()));
    },
  } as unknown as nengoDL.tf.Optimizer;
  return { opt, grads };
}
