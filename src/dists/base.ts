import type { RandomState } from "../rng/randomstate.js";

/**
 * A probability distribution, sampled with a seeded numpy-compatible RandomState.
 * `sample(n)` returns n values; `sample(n, d)` returns an n x d row-major matrix as Float64Array.
 */
export abstract class Distribution {
  /** Draw `n` samples (of dimension `d` if given; row-major n*d values). */
  abstract sample(n: number, d: number | undefined, rng: RandomState): Float64Array;

  /** Readable description, e.g. `Uniform(low=-1, high=0.9)`. */
  toString(): string {
    return `${this.constructor.name}()`;
  }
}

/** Number of values `sample(n, d)` returns: n, or n*d when d is given (Nengo's `_sample_shape`). */
export function sampleSize(n: number, d: number | undefined): number {
  return d === undefined ? n : n * d;
}

/** Format a number or array for `toString` like Python's repr (integers without ".0"). */
export function fmt(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : v > 0 ? "inf" : v < 0 ? "-inf" : "nan";
  if (typeof v === "string") return JSON.stringify(v);
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>, fmt).join(", ")}]`;
  if (Array.isArray(v)) return `[${v.map(fmt).join(", ")}]`;
  if (v instanceof Distribution) return v.toString();
  return String(v);
}
