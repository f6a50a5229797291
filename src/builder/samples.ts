/** Sampling helpers of the builder: Nengo's `get_samples` and `gen_eval_points`. */
import { Distribution } from "../dists/base.js";
import { ValidationError } from "../errors.js";
import type { RandomState } from "../rng/randomstate.js";

/** A distribution, or explicit values: a flat (row-major) array or nested rows. */
export type DistOrArray = Distribution | ArrayLike<number> | readonly (readonly number[])[];

function shapeStr(n: number, d: number | undefined): string {
  return d === undefined ? `(${n},)` : `(${n}, ${d})`;
}

/**
 * Nengo's `get_samples(dist_or_samples, n, d, rng)`: a Distribution is sampled (`sample(n, d, rng)`),
 * explicit values are validated against shape (n,) or (n, d) and copied into a new row-major
 * Float64Array. Explicit values consume no random numbers. A flat array of length n*d is accepted
 * for shape (n, d) and read row-major.
 * @throws ValidationError naming the expected shape when explicit values have the wrong shape.
 */
export function getSamples(
  distOrArray: DistOrArray,
  n: number,
  d: number | undefined,
  rng: RandomState,
  attr = "samples",
): Float64Array {
  if (distOrArray instanceof Distribution) return distOrArray.sample(n, d, rng);
  const arr = distOrArray as ArrayLike<number | readonly number[]>;
  const len = arr.length;
  const nested = len > 0 && typeof arr[0] !== "number";
  if (nested) {
    const rows = arr as ArrayLike<ArrayLike<number>>;
    const k = rows[0].length;
    let ok = len === n && (d === undefined ? k === 1 : k === d);
    for (let i = 0; ok && i < len; i++) if (rows[i].length !== k) ok = false;
    if (!ok) {
      throw new ValidationError(`expected shape ${shapeStr(n, d)}, got (${len}, ${k})`, attr);
    }
    const out = new Float64Array(len * k);
    for (let i = 0; i < len; i++) for (let j = 0; j < k; j++) out[i * k + j] = checkFinite(rows[i][j], attr);
    return out;
  }
  const flat = arr as ArrayLike<number>;
  const expected = d === undefined ? n : n * d;
  if (len !== expected) {
    throw new ValidationError(`expected shape ${shapeStr(n, d)}, got ${len} values`, attr);
  }
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) out[i] = checkFinite(flat[i], attr);
  return out;
}

function checkFinite(v: number, attr: string): number {
  if (typeof v !== "number" || Number.isNaN(v))
    throw new ValidationError(`values must be numbers (got ${String(v)})`, attr);
  return v;
}

/** Nengo's `default_n_eval_points(n_neurons, dimensions)`: `max(clip(500 * d, 750, 2500), 2 * n_neurons)`. */
export function defaultNEvalPoints(nNeurons: number, dimensions: number): number {
  return Math.max(Math.min(Math.max(500 * dimensions, 750), 2500), 2 * nNeurons);
}

/**
 * Nengo's `gen_eval_points(ens, eval_points, rng, scale_eval_points)`: a Distribution is sampled with
 * `nEvalPoints` points (default {@link defaultNEvalPoints}(nNeurons, dimensions)) and `dimensions`
 * columns; explicit points are validated and copied (any number of rows; `nEvalPoints` is then ignored,
 * as Nengo does after a warning). Every point is then multiplied by `radius` unless `scaleEvalPoints`
 * is false. Returns row-major values (rows = length / dimensions).
 */
export function genEvalPoints(
  evalPointsSpec: DistOrArray,
  nEvalPoints: number | undefined,
  nNeurons: number,
  dimensions: number,
  radius: number,
  rng: RandomState,
  scaleEvalPoints = true,
): Float64Array {
  let data: Float64Array;
  if (evalPointsSpec instanceof Distribution) {
    const nPoints = nEvalPoints ?? defaultNEvalPoints(nNeurons, dimensions);
    data = evalPointsSpec.sample(nPoints, dimensions, rng);
  } else {
    const arr = evalPointsSpec as ArrayLike<number | readonly number[]>;
    const nested = arr.length > 0 && typeof arr[0] !== "number";
    if (!nested && arr.length % dimensions !== 0) {
      throw new ValidationError(`expected shape (n, ${dimensions}), got ${arr.length} values`, "eval_points");
    }
    const nPoints = nested ? arr.length : arr.length / dimensions;
    data = getSamples(evalPointsSpec, nPoints, dimensions, rng, "eval_points");
  }
  if (scaleEvalPoints) for (let i = 0; i < data.length; i++) data[i] *= radius;
  return data;
}
