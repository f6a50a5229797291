/** Nengo's SqrtBeta, SubvectorLength and CosineSimilarity distributions. */
import { ValidationError } from "../errors.js";
import type { RandomState } from "../rng/randomstate.js";
import { Distribution, fmt, sampleSize } from "./base.js";
import { betainc, betaincinv, lbeta } from "./betainc.js";
import { Choice } from "./basic.js";

/** Square root of a Beta(m/2, n/2) variable: the length of an m-dim subvector of a random (n+m)-dim unit vector. */
export class SqrtBeta extends Distribution {
  /** Number of remaining dimensions. */
  readonly n: number;
  /** Subvector length. */
  readonly m: number;

  constructor(n: number, m = 1) {
    super();
    if (!Number.isInteger(n) || n < 0) throw new ValidationError(`must be an integer >= 0 (got ${n})`, "n", this);
    if (!Number.isInteger(m) || m < 0) throw new ValidationError(`must be an integer >= 0 (got ${m})`, "m", this);
    this.n = n;
    this.m = m;
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    const x = rng.beta(this.m / 2.0, this.n / 2.0, sampleSize(n, d));
    for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(x[i]);
    return x;
  }

  /** Cumulative distribution function P(X <= x). */
  cdf(x: number): number {
    const sq = x * x;
    return sq < 1.0 ? betainc(this.m / 2.0, this.n / 2.0, sq) : 1;
  }

  /** Probability density at x. */
  pdf(x: number): number {
    return (2 / Math.exp(lbeta(0.5 * this.m, 0.5 * this.n))) * x ** (this.m - 1) * (1 - x * x) ** (0.5 * this.n - 1);
  }

  /** Inverse CDF. */
  ppf(y: number): number {
    return Math.sqrt(betaincinv(this.m / 2.0, this.n / 2.0, y));
  }

  override toString(): string {
    return `SqrtBeta(n=${fmt(this.n)}, m=${fmt(this.m)})`;
  }
}

/** Length of a `subdimensions`-dim subvector of a random `dimensions`-dim unit vector. */
export class SubvectorLength extends SqrtBeta {
  constructor(dimensions: number, subdimensions = 1) {
    super(dimensions - subdimensions, subdimensions);
  }

  /** Dimensionality of the complete vector. */
  get dimensions(): number {
    return this.n + this.m;
  }

  /** Dimensionality of the subvector. */
  get subdimensions(): number {
    return this.m;
  }

  override toString(): string {
    return `SubvectorLength(dimensions=${fmt(this.dimensions)}, subdimensions=${fmt(this.subdimensions)})`;
  }
}

/**
 * Distribution of the dot product of two random unit vectors in `dimensions` dimensions. Sampling
 * draws the signs first (`Choice([1, -1])`, n*d uniforms), then the magnitudes (SqrtBeta).
 */
export class CosineSimilarity extends SubvectorLength {
  constructor(dimensions: number) {
    super(dimensions);
  }

  override sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    const size = sampleSize(n, d);
    const sign = new Choice([1, -1]).sample(size, undefined, rng);
    const mag = super.sample(n, d, rng);
    for (let i = 0; i < size; i++) mag[i] *= sign[i];
    return mag;
  }

  override cdf(x: number): number {
    return (super.cdf(x) * Math.sign(x) + 1) / 2.0;
  }

  override pdf(x: number): number {
    return super.pdf(x) / 2.0;
  }

  override ppf(y: number): number {
    const x = super.ppf(Math.abs(y * 2 - 1));
    return y > 0.5 ? x : -x;
  }

  override toString(): string {
    return `CosineSimilarity(dimensions=${fmt(this.dimensions)})`;
  }
}
