/** Ready-made objectives (NengoDL 2.x `nengo_dl.objectives`): `mse` and `regularize`. */
import { ValidationError } from "../errors.js";
import { tf } from "./backend.js";
import { customGrad1 } from "./tensorops.js";

/** An objective: `(outputs, targets) => scalar` or `(outputs) => scalar`; arrays for array keys. */
export type Objective =
  | ((outputs: tf.Tensor3D, targets: tf.Tensor3D) => tf.Tensor)
  | ((outputs: tf.Tensor3D) => tf.Tensor)
  | ((outputs: tf.Tensor3D[], targets: tf.Tensor3D[]) => tf.Tensor)
  | ((outputs: tf.Tensor3D[]) => tf.Tensor);

/** Mean squared error; NaN targets mean "no error here" (they still count in the denominator). */
export function mse(outputs: tf.Tensor3D, targets: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const t = tf.where(tf.isNaN(targets), outputs, targets);
    return tf.mean(tf.square(tf.sub(t, outputs)));
  });
}

/** |x| with gradient sign(x) (no Step kernel needed). */
const absSign = customGrad1((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: tf.abs(x), gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => tf.mul(dy, tf.sign(s[0])) };
}) as (x: tf.Tensor) => tf.Tensor;

/** Options of {@link regularize}. */
export interface RegularizeOptions {
  /** Norm order: 1, 2 (default) or "euclidean". */
  order?: 1 | 2 | "euclidean";
  /** Axis (after the minibatch and time axes) of the norm; default: all non-batch, non-time axes. */
  axis?: number | null;
  /** Multiplier on the result (default none). */
  weight?: number | null;
}

/** A one-argument objective penalising the norm of the outputs: `weight * mean(norm(x, order, axis))`. */
export function regularize(options: RegularizeOptions = {}): (outputs: tf.Tensor3D) => tf.Scalar {
  const order = options.order ?? 2;
  if (order !== 1 && order !== 2 && order !== "euclidean") {
    throw new ValidationError(`must be 1, 2 or "euclidean", got ${String(order)}`, "order", "regularize");
  }
  const axis = options.axis ?? null;
  const weight = options.weight ?? null;
  return (x: tf.Tensor3D) =>
    tf.tidy(() => {
      let y: tf.Tensor = x;
      let ax: number;
      if (axis === null) {
        if (x.rank > 3) y = tf.reshape(x, [x.shape[0], x.shape[1], -1]);
        ax = 2;
      } else ax = axis + 2;
      const n = order === 1 ? tf.sum(absSign(y), ax) : tf.sqrt(tf.sum(tf.square(y), ax));
      const m = tf.mean(n);
      return (weight === null ? m : tf.mul(m, weight)) as tf.Scalar;
    });
}
