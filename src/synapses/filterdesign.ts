/** Transfer-function helpers as in nengo/utils/filter_design.py (scipy.signal's normalize, tf2ss, cont2discrete). */
import { type Mat, zeros, eye } from "../linalg/mat.js";
import { expm } from "../linalg/expm.js";
import { solve } from "../linalg/decomp.js";
import { ValidationError } from "../errors.js";

/** A single-input single-output state-space system `x' = A x + B u`, `y = C x + D u` (or its discrete form). */
export interface StateSpace {
  /** State matrix, order x order (0 x 0 for a stateless filter). */
  A: Mat;
  /** Input vector, length order. */
  B: Float64Array;
  /** Output vector, length order. */
  C: Float64Array;
  /** Passthrough gain. */
  D: number;
}

/** Discretisation methods of {@link cont2discrete}. */
export type DiscretizeMethod = "zoh" | "gbt" | "bilinear" | "tustin" | "euler" | "forward_diff" | "backward_diff";

/**
 * Normalise a transfer function: strip leading zeros of `den` (keeping at least one), divide both by `den[0]`,
 * then strip numerator leading coefficients within 1e-14 of 0 (keeping at least one), as scipy/Nengo.
 */
export function normalizeTf(num: readonly number[], den: readonly number[]): { num: number[]; den: number[] } {
  let a = [...den];
  while (a.length > 1 && a[0] === 0) a = a.slice(1);
  if (a.length === 0 || a[0] === 0) throw new ValidationError("denominator must have a non-zero coefficient", "den");
  const a0 = a[0];
  let b = num.map((x) => (x * 1.0) / a0);
  a = a.map((x) => (x * 1.0) / a0);
  while (b.length > 1 && Math.abs(b[0]) <= 1e-14) b = b.slice(1);
  return { num: b, den: a };
}

/**
 * Controller canonical state-space form of `num(s) / den(s)` (scipy.signal.tf2ss):
 * `A = [-den[1:]; I 0]`, `B = e_0`, `C = num[1:] - num[0] * den[1:]`, `D = num[0]` after padding num to den's length.
 */
export function tf2ss(numIn: readonly number[], denIn: readonly number[]): StateSpace {
  const { num, den } = normalizeTf(numIn, denIn);
  const M = num.length;
  const K = den.length;
  if (M > K) throw new ValidationError("Improper transfer function. `num` is longer than `den`.", "num");
  const padded = new Array<number>(K - M).fill(0).concat(num);
  const D = padded[0];
  const order = K - 1;
  const A = zeros(order, order);
  const B = new Float64Array(order);
  const C = new Float64Array(order);
  if (order === 0) return { A, B, C, D };
  for (let j = 0; j < order; j++) A.data[j] = -den[j + 1];
  for (let i = 1; i < order; i++) A.data[i * order + (i - 1)] = 1;
  B[0] = 1;
  for (let j = 0; j < order; j++) C[j] = padded[j + 1] - padded[0] * den[j + 1];
  return { A, B, C, D };
}

/**
 * Discretise a continuous SISO state-space system with step `dt` (scipy.signal.cont2discrete):
 * "zoh" uses `expm(dt * [[A, B], [0, 0]])`; "gbt" (with alpha), "bilinear"/"tustin" (0.5), "euler"/"forward_diff" (0)
 * and "backward_diff" (1) the generalised bilinear transform.
 */
export function cont2discrete(
  ss: StateSpace,
  dt: number,
  method: DiscretizeMethod = "zoh",
  alpha?: number,
): StateSpace {
  const n = ss.A.rows;
  if (method === "bilinear" || method === "tustin") return cont2discrete(ss, dt, "gbt", 0.5);
  if (method === "euler" || method === "forward_diff") return cont2discrete(ss, dt, "gbt", 0);
  if (method === "backward_diff") return cont2discrete(ss, dt, "gbt", 1);
  if (method === "zoh") {
    const m = n + 1;
    const em = zeros(m, m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) em.data[i * m + j] = dt * ss.A.data[i * n + j];
      em.data[i * m + n] = dt * ss.B[i];
    }
    const ms = expm(em);
    const A = zeros(n, n);
    const B = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) A.data[i * n + j] = ms.data[i * m + j];
      B[i] = ms.data[i * m + n];
    }
    return { A, B, C: Float64Array.from(ss.C), D: ss.D };
  }
  if (method === "gbt") {
    if (alpha === undefined || !(alpha >= 0 && alpha <= 1)) {
      throw new ValidationError("must be within [0, 1] for the gbt method", "alpha");
    }
    const ima = eye(n);
    const ipa = eye(n);
    for (let i = 0; i < n * n; i++) {
      ima.data[i] -= alpha * dt * ss.A.data[i];
      ipa.data[i] += (1 - alpha) * dt * ss.A.data[i];
    }
    const A = solve(ima, ipa);
    const B = solve(
      ima,
      ss.B.map((x) => dt * x),
    );
    const imaT = zeros(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) imaT.data[j * n + i] = ima.data[i * n + j];
    const C = solve(imaT, Float64Array.from(ss.C));
    let cb = 0;
    for (let i = 0; i < n; i++) cb += ss.C[i] * B[i];
    return { A, B, C, D: ss.D + alpha * cb };
  }
  throw new ValidationError(`Unknown transformation method '${String(method)}'`, "method");
}
