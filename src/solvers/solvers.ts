/** Decoder and weight solvers (Nengo 4's nengo/solvers.py): Lstsq, LstsqL2, LstsqL2nz, NoSolver. */
import { ValidationError } from "../errors.js";
import { type Mat, zeros, fromRows, matmul, matmulTN, clone, gram, gramT } from "../linalg/mat.js";
import { cholesky, choSolve, lstsq } from "../linalg/decomp.js";

/** Information returned with a solution: always `rmses` (one per target column), plus solver-specific keys. */
export interface SolverInfo {
  /** Root-mean-square error of `A X - Y` per target column. */
  rmses: Float64Array;
  /** Further solver-specific entries (Lstsq: residuals, rank, singularValues; all: time in seconds). */
  [key: string]: unknown;
}

/** A solver's result: `decoders` is n_neurons x n_targets (`A decoders ~= Y`). */
export interface SolverResult {
  /** n_neurons x n_targets. */
  decoders: Mat;
  /** RMSEs and solver details. */
  info: SolverInfo;
}

/** Root-mean-square error per column of `Y - A X` (Nengo's `rmses`). */
export function rmses(A: Mat, X: Mat, Y: Mat): Float64Array {
  const ax = matmul(A, X);
  const d = Y.cols;
  const out = new Float64Array(d);
  for (let i = 0; i < Y.rows; i++)
    for (let j = 0; j < d; j++) {
      const e = Y.data[i * d + j] - ax.data[i * d + j];
      out[j] += e * e;
    }
  for (let j = 0; j < d; j++) out[j] = Math.sqrt(out[j] / Math.max(1, Y.rows));
  return out;
}

/**
 * Base class of decoder/weight solvers. `weights: true` asks the builder for a full neuron-to-neuron weight matrix;
 * all solvers here are compositional (solve in the decoded space, the builder multiplies by transform and encoders).
 */
export abstract class Solver {
  /** Solve for full weight matrices (true) or decoders (false). */
  readonly weights: boolean;
  /** Whether the solution can be composed with transform/encoders (true for every solver here). */
  readonly compositional: boolean = true;

  /** @param weights solve for weights instead of decoders (default false) */
  constructor(weights = false) {
    if (typeof weights !== "boolean") throw new ValidationError("must be a boolean", "weights", this);
    this.weights = weights;
  }

  /**
   * Solve `A X ~= Y` for X. `A` is n_eval_points x n_neurons activities, `Y` n_eval_points x n_targets.
   * `rng` is accepted for API compatibility (none of these solvers draws random numbers).
   */
  abstract solve(A: Mat, Y: Mat, rng?: unknown): SolverResult;

  /** Constructor parameters, for equality and display. */
  abstract get params(): Record<string, unknown>;

  /** Key equal for solvers that give the same result (e.g. for a decoder cache). */
  get mergeKey(): string {
    return `${this.constructor.name}(${JSON.stringify(this.params)})`;
  }

  /** Nengo-style representation, e.g. `LstsqL2(reg=0.1, weights=false)`. */
  toString(): string {
    const p = Object.entries(this.params)
      .map(([k, v]) => `${k}=${Array.isArray(v) || typeof v === "object" ? "[...]" : String(v)}`)
      .join(", ");
    return `${this.constructor.name}(${p})`;
  }
}

function checkShapes(solver: Solver, A: Mat, Y: Mat): void {
  if (A.rows !== Y.rows) {
    throw new ValidationError(
      `A (${A.rows}x${A.cols}) and Y (${Y.rows}x${Y.cols}) need the same number of rows`,
      "A,Y",
      solver,
    );
  }
}

/**
 * Regularised least squares by Cholesky, as Nengo's `lstsq.Cholesky`: with `sigma` a scalar and A fat (m < n),
 * solves `(A A^T + m sigma^2 I) Xb = Y`, `X = A^T Xb`; otherwise `(A^T A + m diag(sigma^2)) X = A^T Y`.
 */
export function choleskyL2(A: Mat, Y: Mat, sigma: number | Float64Array, transposeForm?: boolean): Mat {
  const m = A.rows;
  const n = A.cols;
  const scalar = typeof sigma === "number";
  const tr = transposeForm ?? (m < n && scalar);
  if (tr && !scalar) throw new ValidationError("the transposed form needs a scalar sigma", "sigma");
  // Silent neurons (all-zero columns of A) only add their regularisation to the Gram matrix and get zero
  // decoders, in either form: solve on the active columns alone (the same solution, much less work when
  // many neurons never fire on the eval points). Not when a silent neuron has no regularisation: the
  // system is then singular and the full solve reports it.
  const act = activeColumns(A);
  const reg = (j: number): number => (scalar ? sigma : sigma[j]);
  if (act.active.length < n && act.active.length > 0 && act.silent.every((j) => m * reg(j) * reg(j) > 0)) {
    const sub = scalar ? sigma : Float64Array.from(act.active, (j) => sigma[j]);
    const Xa = solveL2(act.A, Y, sub, tr, act.A.data);
    const k = Xa.cols;
    const X = zeros(n, k);
    act.active.forEach((j, i) => X.data.set(Xa.data.subarray(i * k, (i + 1) * k), j * k));
    return X;
  }
  return solveL2(A, Y, sigma, tr, A.data);
}

/** The columns of A with a non-zero entry, and A restricted to them (A itself when all are; cached per matrix). */
function activeColumns(A: Mat): { active: number[]; silent: number[]; A: Mat } {
  let c = activeCache.get(A.data);
  if (!c) {
    const { rows: m, cols: n, data } = A;
    const used = new Uint8Array(n);
    for (let i = 0, off = 0; i < m; i++, off += n) for (let j = 0; j < n; j++) if (data[off + j] !== 0) used[j] = 1;
    const active: number[] = [];
    const silent: number[] = [];
    for (let j = 0; j < n; j++) (used[j] ? active : silent).push(j);
    const na = active.length;
    let sub = A;
    if (na < n) {
      sub = zeros(m, na);
      for (let i = 0; i < m; i++) for (let q = 0; q < na; q++) sub.data[i * na + q] = data[i * n + active[q]];
    }
    c = { active, silent, A: sub };
    activeCache.set(A.data, c);
  }
  return c;
}

const activeCache = new WeakMap<Float64Array, { active: number[]; silent: number[]; A: Mat }>();

/** The Cholesky solve of {@link choleskyL2} in the chosen form; the factor is cached under `cacheKey`. */
function solveL2(A: Mat, Y: Mat, sigma: number | Float64Array, tr: boolean, cacheKey: Float64Array): Mat {
  const m = A.rows;
  const scalar = typeof sigma === "number";
  const b = tr ? Y : matmulTN(A, Y);
  // the factor depends only on A and sigma: reuse it when the builder solves the same activities again
  const key = `${tr}:${scalar ? sigma : Array.from(sigma).join(",")}`;
  let cache = factorCache.get(cacheKey);
  if (!cache) {
    cache = new Map();
    factorCache.set(cacheKey, cache);
  }
  let L = cache.get(key);
  if (!L) {
    const G = tr ? gram(A) : gramT(A);
    const k = G.rows;
    for (let i = 0; i < k; i++) {
      const s = scalar ? sigma : sigma[i];
      G.data[i * k + i] += m * s * s;
    }
    L = cholesky(G);
    cache.set(key, L);
  }
  const X = choSolve(L, b);
  return tr ? matmulTN(A, X) : X;
}

/** Cholesky factors per activity matrix (weakly held: dropped with the matrix). */
const factorCache = new WeakMap<Float64Array, Map<string, Mat>>();

/** Options of {@link Lstsq}. */
export interface LstsqOptions {
  /** Solve for weights (default false). */
  weights?: boolean;
  /** Cut-off ratio for small singular values, as numpy.linalg.lstsq (default 0.01). */
  rcond?: number;
}

/** Unregularised least squares (numpy.linalg.lstsq with `rcond`, default 0.01). */
export class Lstsq extends Solver {
  /** Singular-value cut-off ratio. */
  readonly rcond: number;
  /** @param options `{ weights = false, rcond = 0.01 }` */
  constructor(options: LstsqOptions = {}) {
    super(options.weights ?? false);
    this.rcond = options.rcond ?? 0.01;
    if (!(this.rcond >= 0)) throw new ValidationError(`must be >= 0, got ${this.rcond}`, "rcond", this);
  }
  /** `{ weights, rcond }` */
  get params(): Record<string, unknown> {
    return { weights: this.weights, rcond: this.rcond };
  }
  /** info: rmses, residuals (sqrt of numpy's), rank, singularValues, time. */
  solve(A: Mat, Y: Mat): SolverResult {
    checkShapes(this, A, Y);
    const t0 = performance.now();
    const r = lstsq(A, Y, this.rcond);
    const time = (performance.now() - t0) / 1000;
    return {
      decoders: r.x,
      info: {
        rmses: rmses(A, r.x, Y),
        residuals: r.residuals.map(Math.sqrt),
        rank: r.rank,
        singularValues: r.s,
        time,
      },
    };
  }
}

/** Options of {@link LstsqL2} and {@link LstsqL2nz}. */
export interface LstsqL2Options {
  /** Solve for weights (default false). */
  weights?: boolean;
  /** Regularisation relative to the largest activity (default 0.1). */
  reg?: number;
}

/** Least squares with L2 regularisation (Nengo's default solver): `sigma = reg * max(A)`, Cholesky. */
export class LstsqL2 extends Solver {
  /** Regularisation amount. */
  readonly reg: number;
  /** @param options `{ weights = false, reg = 0.1 }` */
  constructor(options: LstsqL2Options = {}) {
    super(options.weights ?? false);
    this.reg = options.reg ?? 0.1;
    if (!(this.reg >= 0)) throw new ValidationError(`must be >= 0, got ${this.reg}`, "reg", this);
  }
  /** `{ weights, reg }` */
  get params(): Record<string, unknown> {
    return { weights: this.weights, reg: this.reg };
  }
  /** info: rmses, time. */
  solve(A: Mat, Y: Mat): SolverResult {
    checkShapes(this, A, Y);
    const t0 = performance.now();
    let amax = -Infinity;
    for (let i = 0; i < A.data.length; i++) if (A.data[i] > amax) amax = A.data[i];
    const X = choleskyL2(A, Y, this.reg * amax);
    return { decoders: X, info: { rmses: rmses(A, X, Y), time: (performance.now() - t0) / 1000 } };
  }
}

/**
 * L2-regularised least squares on non-zero components: per-neuron
 * `sigma_j = reg * max|A| * sqrt(fraction of eval points where neuron j is active)` (0 replaced by the max).
 */
export class LstsqL2nz extends LstsqL2 {
  /** @param options `{ weights = false, reg = 0.1 }` */
  constructor(options: LstsqL2Options = {}) {
    super(options);
  }
  /** info: rmses, time. */
  override solve(A: Mat, Y: Mat): SolverResult {
    checkShapes(this, A, Y);
    const t0 = performance.now();
    const m = A.rows;
    const n = A.cols;
    let amax = 0;
    for (let i = 0; i < A.data.length; i++) amax = Math.max(amax, Math.abs(A.data[i]));
    const sigma = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let nz = 0;
      for (let i = 0; i < m; i++) if (Math.abs(A.data[i * n + j]) > 0) nz++;
      sigma[j] = this.reg * amax * Math.sqrt(nz / m);
    }
    let smax = 0;
    for (let j = 0; j < n; j++) smax = Math.max(smax, sigma[j]);
    for (let j = 0; j < n; j++) if (sigma[j] === 0) sigma[j] = smax;
    const X = choleskyL2(A, Y, sigma);
    return { decoders: X, info: { rmses: rmses(A, X, Y), time: (performance.now() - t0) / 1000 } };
  }
}

/** Options of {@link NoSolver}. */
export interface NoSolverOptions {
  /** Whether the given values form a full weight matrix path (default false). */
  weights?: boolean;
}

/** Bypass solving: returns the given decoders (n_neurons x size_out), or zeros of the right shape if none. */
export class NoSolver extends Solver {
  /** The fixed decoders, or null for zeros. */
  readonly values: Mat | null;
  /** @param values decoders (nested rows or Mat) or null; @param options `{ weights = false }` */
  constructor(values: Mat | readonly (readonly number[])[] | null = null, options: NoSolverOptions = {}) {
    super(options.weights ?? false);
    if (values === null || values === undefined) this.values = null;
    else if (Array.isArray(values)) this.values = fromRows(values as readonly (readonly number[])[]);
    else this.values = clone(values as Mat);
  }
  /** `{ values, weights }` */
  get params(): Record<string, unknown> {
    return {
      values:
        this.values === null
          ? null
          : { rows: this.values.rows, cols: this.values.cols, data: Array.from(this.values.data) },
      weights: this.weights,
    };
  }
  /** info: `{ rmses: [] }` (Nengo returns an empty dict). */
  solve(A: Mat, Y: Mat): SolverResult {
    const decoders = this.values === null ? zeros(A.cols, Y.cols) : clone(this.values);
    return { decoders, info: { rmses: new Float64Array(0) } };
  }
}
