/** Base class of every modelling object (Node, Ensemble, Neurons, Connection, Probe, LearningRule, Network). */
import { ValidationError } from "../errors.js";

let nextId = 0;

/** Options every factory method accepts. */
export interface BaseOptions {
  /** A name used in messages, summaries and saved parameters. */
  label?: string;
  /** Seed for this object's random draws (otherwise derived from the network seed). */
  seed?: number;
}

/** Common parts of modelling objects. */
export abstract class NengoObject {
  /** Unique id in this process (creation order). */
  readonly id: number = nextId++;
  label?: string;
  seed?: number;

  constructor(opts: BaseOptions = {}) {
    if (opts.label !== undefined && typeof opts.label !== "string") {
      throw new ValidationError(`must be a string, got ${typeof opts.label}`, "label", this.constructor.name);
    }
    if (opts.seed !== undefined && (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed >= 2 ** 32)) {
      throw new ValidationError(`must be an integer in [0, 2**32), got ${opts.seed}`, "seed", this.constructor.name);
    }
    this.label = opts.label;
    this.seed = opts.seed;
  }

  /** Names this object in messages, like Nengo: `<Ensemble "a">`. */
  toString(): string {
    return this.label !== undefined
      ? `<${this.constructor.name} "${this.label}">`
      : `<${this.constructor.name} (unlabeled) #${this.id}>`;
  }
}

/** Validate a positive (or non-negative) integer parameter. */
export function checkInt(value: unknown, attr: string, obj: unknown, min = 1): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ValidationError(`must be an integer >= ${min}, got ${String(value)}`, attr, obj);
  }
  return value;
}

/** Validate a number parameter in a range. */
export function checkNumber(value: unknown, attr: string, obj: unknown, low = -Infinity, lowInclusive = true): number {
  if (typeof value !== "number" || !Number.isFinite(value) || (lowInclusive ? value < low : value <= low)) {
    throw new ValidationError(
      `must be a finite number ${lowInclusive ? ">=" : ">"} ${low}, got ${String(value)}`,
      attr,
      obj,
    );
  }
  return value;
}
