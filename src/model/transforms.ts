/** Connection transforms: Dense (matrices, scalars, diagonals, distributions). */
import { toNDArray, type ArrayInput } from "../arrays.js";
import { Distribution } from "../dists/base.js";
import { ValidationError } from "../errors.js";

/** A dense transform of shape (sizeOut, sizeIn), a scalar, or a diagonal; `init` may be a Distribution. */
export class Dense {
  readonly shape: readonly [number, number];
  readonly init: Distribution | ArrayInput;

  constructor(shape: readonly [number, number], init: Distribution | ArrayInput = 1) {
    this.shape = shape;
    this.init = init;
  }

  toString(): string {
    return `Dense(shape=[${this.shape.join(", ")}])`;
  }
}

/** What a Connection's `transform` option accepts. */
export type TransformInput = ArrayInput | Distribution | Dense;

/**
 * Resolved transform: `kind` "scalar" (data length 1), "elementwise" (length n, diagonal) or "dense"
 * (sizeOut x sizeIn row-major), or a distribution to sample at build time with the dense shape.
 */
export interface ResolvedTransform {
  kind: "scalar" | "elementwise" | "dense";
  shape: [number, number];
  data?: Float64Array;
  dist?: Distribution;
}

/** Check a transform against the connection sizes, as Nengo does. `where` names the connection. */
export function resolveTransform(t: TransformInput, sizeIn: number, sizeOut: number, where: string): ResolvedTransform {
  if (t instanceof Dense) {
    if (t.shape[0] !== sizeOut || t.shape[1] !== sizeIn) {
      throw new ValidationError(
        `Dense shape [${t.shape.join(", ")}] does not match [post size ${sizeOut}, pre size ${sizeIn}]`,
        "transform",
        where,
      );
    }
    if (t.init instanceof Distribution) return { kind: "dense", shape: [sizeOut, sizeIn], dist: t.init };
    return resolveTransform(t.init, sizeIn, sizeOut, where);
  }
  if (t instanceof Distribution) return { kind: "dense", shape: [sizeOut, sizeIn], dist: t };
  const a = toNDArray(t, `${where}.transform`);
  if (a.shape.length === 0) {
    if (sizeIn !== sizeOut) {
      throw new ValidationError(
        `a scalar transform needs equal pre and post sizes, got pre ${sizeIn} and post ${sizeOut}; give a matrix of shape [${sizeOut}, ${sizeIn}]`,
        "transform",
        where,
      );
    }
    return { kind: "scalar", shape: [sizeOut, sizeIn], data: a.data };
  }
  if (a.shape.length === 1) {
    if (a.shape[0] !== sizeIn || sizeIn !== sizeOut) {
      throw new ValidationError(
        `a 1-D (diagonal) transform of length ${a.shape[0]} needs pre and post size ${a.shape[0]}, got pre ${sizeIn} and post ${sizeOut}`,
        "transform",
        where,
      );
    }
    return { kind: "elementwise", shape: [sizeOut, sizeIn], data: a.data };
  }
  if (a.shape.length === 2) {
    if (a.shape[0] !== sizeOut || a.shape[1] !== sizeIn) {
      throw new ValidationError(
        `transform shape [${a.shape.join(", ")}] does not match [post size ${sizeOut}, pre size ${sizeIn}]`,
        "transform",
        where,
      );
    }
    return { kind: "dense", shape: [sizeOut, sizeIn], data: a.data };
  }
  throw new ValidationError(`transform must have at most 2 dimensions, got ${a.shape.length}`, "transform", where);
}
