/** NengoDL's weight-initialization distributions: TruncatedNormal, VarianceScaling, Glorot, He. */
import { ValidationError } from "../errors.js";
import type { RandomState } from "../rng/randomstate.js";
import { Distribution, fmt, sampleSize } from "./base.js";

/** Options of {@link TruncatedNormal}. */
export interface TruncatedNormalOptions {
  /** Mean (default 0). */
  mean?: number;
  /** Standard deviation (default 1). */
  stddev?: number;
  /** Values further than this from the mean are redrawn (default 2 * stddev). */
  limit?: number;
}

/** Normal distribution whose values beyond `limit` from the mean are redrawn (NengoDL's TruncatedNormal). */
export class TruncatedNormal extends Distribution {
  /** Mean. */
  readonly mean: number;
  /** Standard deviation. */
  readonly stddev: number;
  /** Resampling limit. */
  readonly limit: number;

  constructor(options: TruncatedNormalOptions = {}) {
    super();
    this.mean = options.mean ?? 0;
    this.stddev = options.stddev ?? 1;
    this.limit = options.limit ?? 2 * this.stddev;
    if (!(this.stddev >= 0)) throw new ValidationError(`must be >= 0 (got ${this.stddev})`, "stddev", this);
    if (!(this.limit > 0)) throw new ValidationError(`must be > 0 (got ${this.limit})`, "limit", this);
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    const s = rng.normal(this.mean, this.stddev, sampleSize(n, d));
    const out: number[] = [];
    for (;;) {
      out.length = 0;
      for (let i = 0; i < s.length; i++) if (Math.abs(s[i] - this.mean) > this.limit) out.push(i);
      if (out.length === 0) return s;
      const redraw = rng.normal(this.mean, this.stddev, out.length);
      for (let k = 0; k < out.length; k++) s[out[k]] = redraw[k];
    }
  }

  override toString(): string {
    return `TruncatedNormal(mean=${fmt(this.mean)}, stddev=${fmt(this.stddev)}, limit=${fmt(this.limit)})`;
  }
}

/** Fan mode of {@link VarianceScaling}. */
export type FanMode = "fan_in" | "fan_out" | "fan_avg";

/** Options of {@link VarianceScaling}. */
export interface VarianceScalingOptions {
  /** Overall scale (default 1). */
  scale?: number;
  /** Which fan divides the scale (default "fan_avg"). */
  mode?: FanMode;
  /** "uniform" (default) or "normal" (truncated at 2 std). */
  distribution?: "uniform" | "normal";
}

/**
 * Variance-scaling weight initializer (NengoDL): with fan_out = n and fan_in = d (1 if undefined),
 * scale /= fan; uniform on [-sqrt(3 scale), sqrt(3 scale)) or TruncatedNormal(stddev = sqrt(scale)).
 */
export class VarianceScaling extends Distribution {
  /** Overall scale. */
  readonly scale: number;
  /** Fan mode. */
  readonly mode: FanMode;
  /** Shape of the distribution. */
  readonly distribution: "uniform" | "normal";

  constructor(options: VarianceScalingOptions = {}) {
    super();
    this.scale = options.scale ?? 1;
    this.mode = options.mode ?? "fan_avg";
    this.distribution = options.distribution ?? "uniform";
    if (!(this.scale >= 0)) throw new ValidationError(`must be >= 0 (got ${this.scale})`, "scale", this);
    if (!["fan_in", "fan_out", "fan_avg"].includes(this.mode)) {
      throw new ValidationError(`must be "fan_in", "fan_out" or "fan_avg" (got ${this.mode})`, "mode", this);
    }
    if (!["uniform", "normal"].includes(this.distribution)) {
      throw new ValidationError(`must be "uniform" or "normal" (got ${this.distribution})`, "distribution", this);
    }
  }

  sample(n: number, d: number | undefined, rng: RandomState): Float64Array {
    const fanOut = n;
    const fanIn = d ?? 1;
    let scale = this.scale;
    if (this.mode === "fan_in") scale /= fanIn;
    else if (this.mode === "fan_out") scale /= fanOut;
    else scale /= (fanIn + fanOut) / 2;
    if (this.distribution === "uniform") {
      const limit = Math.sqrt(3.0 * scale);
      return rng.uniform(-limit, limit, sampleSize(n, d));
    }
    return new TruncatedNormal({ stddev: Math.sqrt(scale) }).sample(n, d, rng);
  }

  override toString(): string {
    return `VarianceScaling(scale=${fmt(this.scale)}, mode=${fmt(this.mode)}, distribution=${fmt(this.distribution)})`;
  }
}

/** Options of {@link Glorot} and {@link He}. */
export interface GlorotOptions {
  /** Scale (default 1). */
  scale?: number;
  /** "uniform" (default) or "normal". */
  distribution?: "uniform" | "normal";
}

/** Glorot/Xavier initialization: VarianceScaling with mode "fan_avg". */
export class Glorot extends VarianceScaling {
  constructor(options: GlorotOptions = {}) {
    super({ scale: options.scale ?? 1, mode: "fan_avg", distribution: options.distribution ?? "uniform" });
  }

  override toString(): string {
    return `Glorot(scale=${fmt(this.scale)}, distribution=${fmt(this.distribution)})`;
  }
}

/** He initialization: VarianceScaling with scale**2 and mode "fan_in". */
export class He extends VarianceScaling {
  constructor(options: GlorotOptions = {}) {
    super({ scale: (options.scale ?? 1) ** 2, mode: "fan_in", distribution: options.distribution ?? "uniform" });
  }

  override toString(): string {
    return `He(scale=${fmt(Math.sqrt(this.scale))}, distribution=${fmt(this.distribution)})`;
  }
}
