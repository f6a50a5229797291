/** The one tfjs copy used by nengo-ts/dl, and backend selection ("wasm" default, "cpu", "tensorflow"). */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { ValidationError } from "../errors.js";

export { tf };

/** Names accepted by the `backend` option. */
export type BackendName = "wasm" | "cpu" | "tensorflow" | (string & {});

let tfjsNodeTried = false;

/** Try to register tfjs-node's "tensorflow" backend (only if the user has it installed). */
async function tryTfjsNode(): Promise<boolean> {
  if (tf.findBackendFactory("tensorflow") !== null) return true;
  if (tfjsNodeTried) return false;
  tfjsNodeTried = true;
  try {
    const name = "@tensorflow/tfjs-node";
    await import(name);
    return tf.findBackendFactory("tensorflow") !== null;
  } catch {
    return false;
  }
}

/**
 * Make `name` the active tfjs backend (default "wasm"). Throws a ValidationError naming the backend when
 * it cannot be initialised (e.g. "tensorflow" without @tensorflow/tfjs-node installed).
 */
export async function selectBackend(name: BackendName = "wasm"): Promise<string> {
  if (typeof name !== "string")
    throw new ValidationError(`must be a backend name, got ${String(name)}`, "backend", "Simulator");
  if (name === "tensorflow" && !(await tryTfjsNode())) {
    throw new ValidationError(
      'backend "tensorflow" needs @tensorflow/tfjs-node, which is not installed; use "wasm" or "cpu"',
      "backend",
      "Simulator",
    );
  }
  if (tf.getBackend() !== name) {
    let ok: boolean;
    try {
      ok = await tf.setBackend(name);
    } catch {
      ok = false;
    }
    if (!ok) throw new ValidationError(`tfjs backend "${name}" could not be initialised`, "backend", "Simulator");
  }
  await tf.ready();
  try {
    features.log1p = tf.tidy(() => Math.abs(tf.log1p(tf.scalar(1)).dataSync()[0] - Math.LN2) < 1e-6);
  } catch {
    features.log1p = false;
  }
  return tf.getBackend();
}

/** Kernels found usable on the active backend. */
export const features = { log1p: true };

/** `log(1 + x)`, with the Log1p kernel when the backend has it. */
export function log1p(x: tf.Tensor): tf.Tensor {
  return features.log1p ? tf.log1p(x) : tf.log(tf.add(1, x));
}
