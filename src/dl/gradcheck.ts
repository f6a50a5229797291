/**
 * Gradient checks (NengoDL 2.x `check_gradients`): an analytic gradient compared with finite differences
 * of the same function, elementwise with NengoDL's test `|analytic - numeric| <= atol + rtol |numeric|`.
 *
 * The functions checked here run in float32, so each value carries rounding noise (about 1e-7 to 1e-6 of
 * an O(1) objective) that a difference quotient divides by the step. Fourth-order differences with a step
 * of 1e-2 of each element's scale keep that noise at about 1e-4 in the scaled units `atol` is measured in
 * (the change of the objective per relative change of the element) and the truncation error far below
 * 1e-3 relative on smooth functions. The defaults (`atol` 1e-3, `rtol` 1e-3) accepted every element of a
 * set of rate, smoothed-LIF and recurrent models with a margin of 5x or more, while a missing or wrong
 * gradient term fails by orders of magnitude. Elements at a kink (a ReLU at 0, LIFRate at its threshold)
 * have no derivative there, and finite differences across it fail whatever the tolerance.
 */
import { SimulationError, ValidationError } from "../errors.js";

/** Tolerances and step of a gradient check. */
export interface GradientTolerance {
  /** Absolute tolerance (default 1e-3), on the gradient times the element's scale (see {@link checkGradient}). */
  atol?: number;
  /** Tolerance relative to the numeric gradient (default 1e-3, NengoDL's). */
  rtol?: number;
  /** Finite-difference step, relative to the element's scale (default 1e-2). */
  delta?: number;
}

/** The outcome of checking one array's gradient. */
export interface GradientComparison {
  /** Elements of the array. */
  size: number;
  /** Elements checked (all, or a sample). */
  checked: number;
  /** Largest `|analytic - numeric|` over the checked elements. */
  maxError: number;
  /** Largest `|analytic - numeric| / (atol / s + rtol |numeric|)`: the check passes when it is at most 1. */
  worst: number;
  /** The element where `worst` was reached (-1 when nothing was checked), with both gradients there. */
  worstIndex: number;
  analytic: number;
  numeric: number;
}

/** Default absolute tolerance of {@link checkGradient}. */
export const DEFAULT_ATOL = 1e-3;
/** Default relative tolerance of {@link checkGradient} (NengoDL's). */
export const DEFAULT_RTOL = 1e-3;
/** Default finite-difference step of {@link checkGradient}, relative to each element's scale. */
export const DEFAULT_DELTA = 1e-2;

/** `atol`, `rtol` and `delta` with their defaults, validated (finite, non-negative; `delta` positive). */
export function gradientTolerance(opts: GradientTolerance, where: string): Required<GradientTolerance> {
  const out = { atol: opts.atol ?? DEFAULT_ATOL, rtol: opts.rtol ?? DEFAULT_RTOL, delta: opts.delta ?? DEFAULT_DELTA };
  for (const [name, v] of Object.entries(out)) {
    const ok = typeof v === "number" && Number.isFinite(v) && (name === "delta" ? v > 0 : v >= 0);
    if (!ok) {
      const what = name === "delta" ? "a positive number" : "a non-negative number";
      throw new ValidationError(`must be ${what}, got ${String(v)}`, name, where);
    }
  }
  return out;
}

/**
 * Fourth-order central finite differences of `f` at `x0` for the elements `indices`:
 * `(8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / 12h` with `h = delta * max(|x0[i]|, scale)`. The
 * perturbed values are rounded to float32 (the precision `f` is evaluated in) and each difference is divided
 * by its rounded step, so the rounding adds no bias. `f` receives a copy of `x0` with one element changed.
 */
export function numericGradient(
  f: (x: Float32Array) => number,
  x0: Float32Array,
  indices: readonly number[],
  delta: number,
  scale = 1,
): Float64Array {
  const out = new Float64Array(indices.length);
  indices.forEach((i, k) => {
    const h = delta * Math.max(Math.abs(x0[i]), scale);
    const x = Float32Array.from(x0);
    const at = (m: number): { x: number; f: number } => {
      x[i] = x0[i] + m * h; // rounded to float32
      const xi = x[i];
      return { x: xi, f: f(x) };
    };
    const p1 = at(1);
    const m1 = at(-1);
    const p2 = at(2);
    const m2 = at(-2);
    const d1 = (p1.f - m1.f) / (p1.x - m1.x);
    const d2 = (p2.f - m2.f) / (p2.x - m2.x);
    out[k] = (4 * d1 - d2) / 3;
  });
  return out;
}

/**
 * Check the claimed gradient `analytic` of `f` at `x0` against finite differences ({@link numericGradient})
 * at `indices` (default: every element). Element i passes when
 * `|analytic - numeric| * s <= atol + rtol * |numeric| * s` with `s = max(|x0[i]|, scale)` (the scale of its
 * step; `scale` defaults to 1, which makes this NengoDL's test for elements of magnitude up to 1), i.e. the
 * tolerances apply to the change of `f` per relative change of the element. Throws a SimulationError naming
 * `what`, the element, both values and the largest error when some element fails or a gradient is not
 * finite; otherwise returns the comparison.
 */
export function checkGradient(
  what: string,
  f: (x: Float32Array) => number,
  x0: Float32Array,
  analytic: ArrayLike<number>,
  opts: GradientTolerance & { indices?: readonly number[]; scale?: number } = {},
): GradientComparison {
  const where = "checkGradient";
  const { atol, rtol, delta } = gradientTolerance(opts, where);
  if (analytic.length !== x0.length) {
    throw new ValidationError(
      `has ${analytic.length} elements, expected ${x0.length} (one per element of x0)`,
      "analytic",
      where,
    );
  }
  const scale = opts.scale ?? 1;
  if (typeof scale !== "number" || !Number.isFinite(scale) || !(scale > 0))
    throw new ValidationError(`must be a positive number, got ${String(scale)}`, "scale", where);
  const indices = opts.indices ?? Array.from({ length: x0.length }, (_, i) => i);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= x0.length)
      throw new ValidationError(`contains ${String(i)}, not an element index of x0`, "indices", where);
  }
  const numeric = numericGradient(f, x0, indices, delta, scale);
  const res: GradientComparison = {
    size: x0.length,
    checked: indices.length,
    maxError: 0,
    worst: 0,
    worstIndex: -1,
    analytic: NaN,
    numeric: NaN,
  };
  let tolerance = 0;
  indices.forEach((i, k) => {
    const a = analytic[i];
    const n = numeric[k];
    if (!Number.isFinite(a) || !Number.isFinite(n)) {
      throw new SimulationError(
        `gradient check of ${what}: non-finite gradient at element ${i} (analytic ${a}, numeric ${n})`,
      );
    }
    const err = Math.abs(a - n);
    const tol = atol / Math.max(Math.abs(x0[i]), scale) + rtol * Math.abs(n);
    const ratio = err / tol;
    res.maxError = Math.max(res.maxError, err);
    if (res.worstIndex < 0 || ratio > res.worst) {
      Object.assign(res, { worst: ratio, worstIndex: i, analytic: a, numeric: n });
      tolerance = tol;
    }
  });
  if (res.worst > 1) {
    throw new SimulationError(
      `gradient check failed for ${what}: at element ${res.worstIndex} the analytic gradient is ${res.analytic} ` +
        `and the numeric one ${res.numeric} (|difference| ${Math.abs(res.analytic - res.numeric)} > tolerance ` +
        `${tolerance}, atol ${atol}, rtol ${rtol}); max |difference| over the ${res.checked} elements checked: ` +
        `${res.maxError}`,
    );
  }
  return res;
}
