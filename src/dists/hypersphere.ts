/** Nengo's hypersphere distributions: UniformHypersphere, QuasirandomSequence, ScatteredHypersphere. */
import { ConvergenceError } from "./errors.js";
import { ValidationError } from "../errors.js";
import type { RandomState } from "../rng/randomstate.js";
import { npPowScalar, rowNorms } from "../rng/npmath.js";
import { Distribution, fmt } from "./base.js";
import { betaincinv22Lookup } from "./betaincinv22.js";
import { betaincinv } from "./betainc.js";
import { randomOrthogonal } from "./orthogonal.js";

function checkDims(d: number | undefined): number {
  if (d === undefined || !(d >= 1) || !Number.isInteger(d)) {
    throw new ValidationError("Dimensions must be a positive integer", "d");
  }
  return d;
}

function checkMinMagnitude(m: number, obj: Distribution): void {
  if (!(m >= 0 && m < 1)) throw new ValidationError(`must be in the range [0, 1) (got ${m})`, "minMagnitude", obj);
}

/** Options of the hypersphere distributions. */
export interface HypersphereOptions {
  /** Sample on the surface (true) or in the volume (false, default) of the unit hypersphere. */
  surface?: boolean;
  /** Lower bound on vector magnitudes in [0, 1) (ignored when `surface`). */
  minMagnitude?: number;
}

/**
 * Uniform distribution on or in the unit d-sphere: `randn(n, d)` normalized per row, then (volume)
 * scaled by `uniform(minMagnitude**d, 1, (n, 1)) ** (1/d)`.
 */
export class UniformHypersphere extends Distribution {
  /** Sample on the surface. */
  readonly surface: boolean;
  /** Minimum magnitude (volume only). */
  readonly minMagnitude: number;

  constructor(options: HypersphereOptions = {}) {
    super();
    this.surface = options.surface ?? false;
    this.minMagnitude = options.minMagnitude ?? 0;
    checkMinMagnitude(this.minMagnitude, this);
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    const dd = checkDims(d);
    const x = rng.standardNormal(n * dd);
    const norms = rowNorms(x, n, dd);
    for (let i = 0; i < n; i++) for (let j = 0; j < dd; j++) x[i * dd + j] /= norms[i];
    if (this.surface) return x;
    const mags = rng.uniform(Math.pow(this.minMagnitude, dd), 1, n);
    const p = 1.0 / dd;
    for (let i = 0; i < n; i++) {
      const m = npPowScalar(mags[i], p);
      for (let j = 0; j < dd; j++) x[i * dd + j] *= m;
    }
    return x;
  }

  override toString(): string {
    const args = [
      this.surface ? "surface=True" : "",
      this.minMagnitude ? `min_magnitude=${fmt(this.minMagnitude)}` : "",
    ];
    return `UniformHypersphere(${args.filter(Boolean).join(", ")})`;
  }
}

/**
 * Quasirandom (R_d / golden-ratio generalization) sequence on the [0, 1)^d cube with a random offset
 * (`rng.uniform(0, 1, d)`) and a random row shuffle, as Nengo. `d` defaults to 1.
 */
export class QuasirandomSequence extends Distribution {
  /** Nengo's `_phi(d)`: the positive root of x**(d+1) = x + 1 by Newton's method. */
  static phi(d: number, tol = 1e-10): number {
    let x = 1.0;
    for (let it = 0; it < 100; it++) {
      const dx = (Math.pow(x, d + 1) - x - 1) / ((d + 1) * Math.pow(x, d) - 1);
      x -= dx;
      if (Math.abs(dx) < tol) return x;
    }
    throw new ConvergenceError(`'phi' computation did not converge for d=${d}`);
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    const dd = checkDims(d ?? 1);
    const seed = rng.uniform(0, 1, dd);
    const z = new Float64Array(n * dd);
    if (dd === 1) {
      const step = 1 / n;
      for (let i = 0; i < n; i++) z[i] = (seed[0] + step * i) % 1;
    } else {
      const phiInv = 1.0 / QuasirandomSequence.phi(dd);
      const alpha = new Float64Array(dd);
      for (let j = 0; j < dd; j++) alpha[j] = Math.pow(phiInv, j + 1);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < dd; j++) z[i * dd + j] = (seed[j] + (i + 1) * alpha[j]) % 1;
      }
    }
    rng.shuffle(z, dd);
    return z;
  }

  override toString(): string {
    return "QuasirandomSequence()";
  }
}

/** Mapping from the cube to the sphere used by {@link ScatteredHypersphere}. */
export type ScatteredMethod = "sct-approx" | "sct" | "tfww";

/** Options of {@link ScatteredHypersphere}. */
export interface ScatteredHypersphereOptions extends HypersphereOptions {
  /** Base distribution of cube samples (default `QuasirandomSequence`). */
  base?: Distribution;
  /** Cube-to-sphere mapping (default "sct-approx", Nengo's default). */
  method?: ScatteredMethod;
}

/**
 * Quasirandom samples on or in the unit hypersphere (Nengo's default for encoders and eval points):
 * base cube samples mapped by the spherical coordinate transform, scaled by radius (volume), then
 * rotated by a random orthogonal matrix (d*d Gaussian draws).
 */
export class ScatteredHypersphere extends Distribution {
  /** Sample on the surface. */
  readonly surface: boolean;
  /** Minimum magnitude (volume only). */
  readonly minMagnitude: number;
  /** Base cube distribution. */
  readonly base: Distribution;
  /** Cube-to-sphere mapping. */
  readonly method: ScatteredMethod;

  constructor(options: ScatteredHypersphereOptions = {}) {
    super();
    this.surface = options.surface ?? false;
    this.minMagnitude = options.minMagnitude ?? 0;
    this.base = options.base ?? new QuasirandomSequence();
    this.method = options.method ?? "sct-approx";
    checkMinMagnitude(this.minMagnitude, this);
    if (!["sct-approx", "sct", "tfww"].includes(this.method)) {
      throw new ValidationError(`must be one of "sct-approx", "sct", "tfww" (got ${this.method})`, "method", this);
    }
  }

  /** Inverse CDF of one spherical coordinate (`spherical_coords_ppf`). */
  static sphericalCoordsPpf(dims: number, y: number, approx: boolean): number {
    const yr = y < 0.5 ? y : 1 - y;
    const zSq = approx ? betaincinv22Lookup(dims, 2 * yr) : betaincinv(dims / 2.0, 0.5, 2 * yr);
    const x = Math.asin(Math.sqrt(zSq)) / Math.PI;
    return y < 0.5 ? x : 1 - x;
  }

  /** Map n x k cube samples to n x (k+1) points on the sphere surface (SCT method). */
  static sphericalTransformSct(samples: Float64Array, n: number, k: number, approx: boolean): Float64Array {
    const coords = new Float64Array(n * k);
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < n; i++) {
        coords[i * k + j] = ScatteredHypersphere.sphericalCoordsPpf(k - j, samples[i * k + j], approx);
      }
    }
    const k1 = k + 1;
    const mapped = new Float64Array(n * k1);
    const twoPi = 2 * Math.PI;
    for (let i = 0; i < n; i++) {
      let cp = 1;
      for (let j = 0; j < k; j++) {
        const a = (j === k - 1 ? twoPi : Math.PI) * coords[i * k + j];
        const s = Math.sin(a);
        const c = Math.cos(a);
        mapped[i * k1 + j] = j === 0 ? c : cp * c;
        cp = j === 0 ? s : cp * s;
      }
      mapped[i * k1 + k] = cp;
    }
    return mapped;
  }

  /** Map n x (s-1) cube samples to n x s points on the sphere surface (TFWW method). */
  static sphericalTransformTfww(c: Float64Array, n: number, s1: number): Float64Array {
    const s = s1 + 1;
    const x = new Float64Array(n * s);
    if (s === 2) {
      for (let i = 0; i < n; i++) {
        const phi = 2 * Math.PI * c[i];
        x[i * 2] = Math.cos(phi);
        x[i * 2 + 1] = Math.sin(phi);
      }
      return x;
    }
    const even = s % 2 === 0;
    const m = even ? s / 2 : (s - 1) / 2;
    const g = new Float64Array(m + 1);
    const dv = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      const row = i * s1;
      g.fill(0);
      g[m] = 1;
      for (let j = m - 1; j > 0; j--) g[j] = g[j + 1] * npPowScalar(c[row + j - 1], even ? 1.0 / j : 2.0 / (2 * j + 1));
      for (let j = 0; j < m; j++) dv[j] = Math.sqrt(g[j + 1] - g[j]);
      const o = i * s;
      if (even) {
        for (let j = 0; j < m; j++) {
          const phi = c[row + m - 1 + j] * (2 * Math.PI);
          x[o + 2 * j] = dv[j] * Math.cos(phi);
          x[o + 2 * j + 1] = dv[j] * Math.sin(phi);
        }
      } else {
        const p0 = c[row + m - 1];
        const f = 2 * dv[0] * Math.sqrt(p0 * (1 - p0));
        const p1 = c[row + m] * (2 * Math.PI);
        x[o] = dv[0] * (1 - 2 * p0);
        x[o + 1] = f * Math.cos(p1);
        x[o + 2] = f * Math.sin(p1);
        for (let j = 1; j < m; j++) {
          const phi = c[row + m + j] * (2 * Math.PI);
          x[o + 1 + 2 * j] = dv[j] * Math.cos(phi);
          x[o + 2 + 2 * j] = dv[j] * Math.sin(phi);
        }
      }
    }
    return x;
  }

  /** Nengo's `random_orthogonal(d, rng)`: polar factor of a d x d standard normal matrix. */
  static randomOrthogonal(d: number, rng: RandomState): Float64Array {
    return randomOrthogonal(d, rng);
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    const dd = checkDims(d ?? 1);
    if (dd === 1 && this.surface) {
      const s = this.base.sample(n, 1, rng);
      for (let i = 0; i < n; i++) s[i] = Math.sign(s[i] - 0.5);
      return s;
    }
    if (dd === 1) {
      const nPos = Math.floor(n / 2);
      const pos = this.base.sample(nPos, 1, rng);
      const neg = this.base.sample(n - pos.length, 1, rng);
      const mm = this.minMagnitude;
      const out = new Float64Array(n);
      for (let i = 0; i < pos.length; i++) out[i] = mm > 0 ? pos[i] * (1.0 - mm) + mm : pos[i];
      for (let i = 0; i < neg.length; i++) out[pos.length + i] = -1 * (mm > 0 ? neg[i] * (1.0 - mm) + mm : neg[i]);
      rng.shuffle(out);
      return out;
    }
    let samples: Float64Array;
    let radius: Float64Array | undefined;
    const k = dd - 1;
    if (this.surface) {
      samples = this.base.sample(n, k, rng);
    } else {
      const full = this.base.sample(n, dd, rng);
      samples = new Float64Array(n * k);
      radius = new Float64Array(n);
      const minD = this.minMagnitude !== 0 ? Math.pow(this.minMagnitude, dd) : 0;
      const p = 1.0 / dd;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) samples[i * k + j] = full[i * dd + j];
        let r = full[i * dd + k];
        if (this.minMagnitude !== 0) {
          r *= 1 - minD;
          r += minD;
        }
        radius[i] = npPowScalar(r, p);
      }
    }
    const mapped =
      this.method === "tfww"
        ? ScatteredHypersphere.sphericalTransformTfww(samples, n, k)
        : ScatteredHypersphere.sphericalTransformSct(samples, n, k, this.method === "sct-approx");
    if (radius) for (let i = 0; i < n; i++) for (let j = 0; j < dd; j++) mapped[i * dd + j] *= radius[i];
    const rot = randomOrthogonal(dd, rng);
    const out = new Float64Array(n * dd);
    for (let i = 0; i < n; i++) {
      const o = i * dd;
      for (let kk = 0; kk < dd; kk++) {
        const a = mapped[o + kk];
        const ro = kk * dd;
        for (let j = 0; j < dd; j++) out[o + j] += a * rot[ro + j];
      }
    }
    return out;
  }

  override toString(): string {
    const args = [
      this.surface ? "surface=True" : "",
      this.minMagnitude ? `min_magnitude=${fmt(this.minMagnitude)}` : "",
      this.base instanceof QuasirandomSequence ? "" : `base=${this.base.toString()}`,
      this.method !== "sct-approx" ? `method=${JSON.stringify(this.method)}` : "",
    ];
    return `ScatteredHypersphere(${args.filter(Boolean).join(", ")})`;
  }
}
