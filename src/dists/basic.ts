/** Nengo's elementary distributions: Uniform, Gaussian, Exponential, Choice, Samples, PDF. */
import { ValidationError } from "../errors.js";
import type { RandomState } from "../rng/randomstate.js";
import { cumsum, interp, nextDown, npSum, searchsortedLeft } from "../rng/npmath.js";
import { Distribution, fmt, sampleSize } from "./base.js";

/**
 * Uniform distribution on [low, high) (`rng.uniform`), or on the integers low..high-1 when
 * `integer` is true (`rng.randint`).
 */
export class Uniform extends Distribution {
  /** Closed lower bound. */
  readonly low: number;
  /** Open upper bound. */
  readonly high: number;
  /** Sample integers instead of reals. */
  readonly integer: boolean;

  constructor(low: number, high: number, integer = false) {
    super();
    checkNumber(low, "low", this);
    checkNumber(high, "high", this);
    this.low = low;
    this.high = high;
    this.integer = integer;
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    const size = sampleSize(n, d);
    return this.integer ? rng.randint(this.low, this.high, size) : rng.uniform(this.low, this.high, size);
  }

  override toString(): string {
    return `Uniform(low=${fmt(this.low)}, high=${fmt(this.high)}${this.integer ? ", integer=True" : ""})`;
  }
}

/** Gaussian distribution `rng.normal(mean, std)`; std must be positive. */
export class Gaussian extends Distribution {
  /** Mean. */
  readonly mean: number;
  /** Standard deviation (> 0). */
  readonly std: number;

  constructor(mean: number, std: number) {
    super();
    checkNumber(mean, "mean", this);
    if (!(std > 0)) throw new ValidationError(`Value must be greater than 0 (got ${std})`, "std", this);
    this.mean = mean;
    this.std = std;
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    return rng.normal(this.mean, this.std, sampleSize(n, d));
  }

  override toString(): string {
    return `Gaussian(mean=${fmt(this.mean)}, std=${fmt(this.std)})`;
  }
}

/**
 * Exponential distribution `rng.exponential(scale) + shift`, clipped to [shift, high) (values at or
 * above `high` become the largest double below it).
 */
export class Exponential extends Distribution {
  /** Scale (inverse rate), > 0. */
  readonly scale: number;
  /** Shift added to every sample. */
  readonly shift: number;
  /** Exclusive upper clip. */
  readonly high: number;

  constructor(scale: number, shift = 0, high = Infinity) {
    super();
    if (!(scale > 0)) throw new ValidationError(`Value must be greater than 0 (got ${scale})`, "scale", this);
    this.scale = scale;
    this.shift = shift;
    this.high = high;
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    const x = rng.exponential(this.scale, sampleSize(n, d));
    const hi = nextDown(this.high);
    const lo = this.shift;
    for (let i = 0; i < x.length; i++) {
      const v = x[i] + lo;
      x[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return x;
  }

  override toString(): string {
    const extra =
      (this.shift !== 0 ? `, shift=${fmt(this.shift)}` : "") +
      (this.high !== Infinity ? `, high=${fmt(this.high)}` : "");
    return `Exponential(scale=${fmt(this.scale)}${extra})`;
  }
}

/**
 * Discrete distribution over `options` (numbers, or rows of a matrix), with optional non-negative
 * `weights` (normalized). Sampling: `searchsorted(cumsum(p), rng.rand(n))`, as Nengo.
 */
export class Choice extends Distribution {
  /** The options, as rows (a 1-D options list is stored with row length 1). */
  readonly options: Float64Array;
  /** Number of options. */
  readonly nOptions: number;
  /** 0 for 1-D options, else the length of each option row (Nengo's `dimensions`). */
  readonly dimensions: number;
  /** The weights as given, or undefined. */
  readonly weights?: Float64Array;
  /** Normalized probabilities. */
  readonly p: Float64Array;
  private readonly cdf: Float64Array;

  constructor(options: ArrayLike<number> | readonly (readonly number[])[], weights?: ArrayLike<number>) {
    super();
    const rows = Array.from(options as ArrayLike<number | readonly number[]>);
    this.nOptions = rows.length;
    if (rows.length > 0 && Array.isArray(rows[0])) {
      const k = (rows[0] as readonly number[]).length;
      this.dimensions = k;
      this.options = new Float64Array(rows.length * k);
      rows.forEach((r, i) => {
        const row = r as readonly number[];
        if (!Array.isArray(row) || row.length !== k) {
          throw new ValidationError("all options must have the same shape", "options", this);
        }
        this.options.set(row, i * k);
      });
    } else {
      this.dimensions = 0;
      this.options = Float64Array.from(rows as number[]);
    }
    const w = weights === undefined ? new Float64Array(this.nOptions).fill(1) : Float64Array.from(weights);
    if (weights !== undefined) this.weights = Float64Array.from(weights);
    if (w.length !== this.nOptions) {
      throw new ValidationError(
        `Number of weights (${w.length}) must match number of options (${this.nOptions})`,
        "weights",
        this,
      );
    }
    for (const v of w) if (!(v >= 0)) throw new ValidationError("All weights must be non-negative", "weights", this);
    const total = npSum(w);
    if (!(total > 0)) throw new ValidationError(`Sum of weights must be positive (got ${total})`, "weights", this);
    this.p = w.map((v) => v / total);
    this.cdf = cumsum(this.p);
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    if (d !== undefined && this.dimensions !== d) {
      throw new ValidationError(`Options must be of dimensionality ${d} (got ${this.dimensions})`, "options", this);
    }
    const u = rng.rand(n);
    const k = Math.max(this.dimensions, 1);
    const out = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const j = searchsortedLeft(this.cdf, u[i]);
      // numpy raises IndexError when j == nOptions (only possible if cdf[-1] < u due to rounding)
      if (j >= this.nOptions) throw new RangeError(`Choice: index ${j} out of range`);
      for (let c = 0; c < k; c++) out[i * k + c] = this.options[j * k + c];
    }
    return out;
  }

  override toString(): string {
    const opts =
      this.dimensions === 0
        ? fmt(this.options)
        : fmt(
            Array.from({ length: this.nOptions }, (_, i) =>
              Array.from(this.options.subarray(i * this.dimensions, (i + 1) * this.dimensions)),
            ),
          );
    return `Choice(options=${opts}${this.weights ? `, weights=${fmt(this.weights)}` : ""})`;
  }
}

/**
 * A fixed set of samples, usable wherever a distribution is expected; `sample(n, d)` must ask for
 * exactly the stored shape (a 1-D array counts as n x 1 when d is given). Consumes no random numbers.
 */
export class Samples extends Distribution {
  /** Stored values, row-major. */
  readonly samples: Float64Array;
  /** Shape of the stored values: [n] or [n, d]. */
  readonly shape: readonly number[];

  constructor(samples: ArrayLike<number> | readonly (readonly number[])[]) {
    super();
    const rows = Array.from(samples as ArrayLike<number | readonly number[]>);
    if (rows.length > 0 && Array.isArray(rows[0])) {
      const k = (rows[0] as readonly number[]).length;
      this.shape = [rows.length, k];
      this.samples = new Float64Array(rows.length * k);
      rows.forEach((r, i) => {
        if ((r as readonly number[]).length !== k)
          throw new ValidationError("rows must have equal length", "samples", this);
        this.samples.set(r as readonly number[], i * k);
      });
    } else {
      this.shape = [rows.length];
      this.samples = Float64Array.from(rows as number[]);
    }
  }

  sample(n: number, d: number | undefined, _rng: RandomState): Float64Array {
    // numpy: squeeze() when d is None, add a trailing axis to 1-D samples when d is given
    let shape = d === undefined ? this.shape.filter((s) => s !== 1) : [...this.shape];
    if (d !== undefined && shape.length === 1) shape = [shape[0], 1];
    if (shape[0] !== n) {
      throw new ValidationError(`Wrong number of samples requested; got ${n}, should be ${shape[0]}`, "samples", this);
    }
    if (d === undefined && shape.length !== 1) {
      throw new ValidationError(
        `Wrong sample dimensionality requested; got 'None', should be ${shape[1]}`,
        "samples",
        this,
      );
    }
    if (d !== undefined && shape[1] !== d) {
      throw new ValidationError(
        `Wrong sample dimensionality requested; got ${d}, should be ${shape[1]}`,
        "samples",
        this,
      );
    }
    return this.samples.slice();
  }

  override toString(): string {
    return `Samples(shape=(${this.shape.join(", ")}${this.shape.length === 1 ? "," : ""}))`;
  }
}

/** An arbitrary distribution given by points `x` and probabilities `p` (summing to 1): `interp(rng.uniform, cdf, x)`. */
export class PDF extends Distribution {
  /** Support points. */
  readonly x: Float64Array;
  /** Probabilities of the points. */
  readonly p: Float64Array;
  /** Midpoint CDF used for inverse-transform sampling. */
  readonly cdf: Float64Array;

  constructor(x: ArrayLike<number>, p: ArrayLike<number>) {
    super();
    this.x = Float64Array.from(x);
    this.p = Float64Array.from(p);
    const psum = npSum(this.p);
    if (Math.abs(psum - 1) > 1e-8) throw new ValidationError(`PDF must sum to one (sums to ${psum})`, "p", this);
    if (this.x.length !== this.p.length) throw new ValidationError("`x` and `p` must be the same length", "p", this);
    const c = cumsum(this.p);
    for (let i = 0; i < c.length; i++) c[i] *= 0.5;
    for (let i = c.length - 1; i >= 1; i--) c[i] = c[i - 1] + c[i];
    this.cdf = c;
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    return interp(rng.uniform(0, 1, sampleSize(n, d)), this.cdf, this.x);
  }

  override toString(): string {
    return `PDF(x=${fmt(this.x)}, p=${fmt(this.p)})`;
  }
}

function checkNumber(v: unknown, attr: string, obj: Distribution): void {
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new ValidationError(`Must be a number (got ${String(v)})`, attr, obj);
  }
}
