/** Errors raised by nengo-ts. Messages name the object, the parameter and what was expected. */

/** Base class of every nengo-ts error. */
export class NengoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A parameter or argument has an invalid value (raised before anything changes). */
export class ValidationError extends NengoError {
  /** The object whose parameter is invalid, when there is one. */
  readonly obj?: unknown;
  /** The name of the invalid parameter, when there is one. */
  readonly attr?: string;
  constructor(message: string, attr?: string, obj?: unknown) {
    const where = attr !== undefined ? `${obj !== undefined ? describe(obj) + "." : ""}${attr}: ` : "";
    super(where + message);
    this.attr = attr;
    this.obj = obj;
  }
}

/** The model cannot be built (e.g. an object from another network, an unbuildable combination). */
export class BuildError extends NengoError {}

/** The simulator has been closed and cannot be used. */
export class SimulatorClosed extends NengoError {}

/** Something went wrong while simulating. */
export class SimulationError extends NengoError {}

/** A network config was used incorrectly (unknown parameter, wrong class). */
export class ConfigError extends NengoError {}

/** Short human-readable name of an object for error messages: `<Ensemble "a">`, `<Node (unlabeled)>`. */
export function describe(obj: unknown): string {
  if (obj === null || obj === undefined) return String(obj);
  if (typeof obj === "object" && "toString" in obj && obj.toString !== Object.prototype.toString) {
    return String(obj);
  }
  if (typeof obj === "object") return `<${obj.constructor.name}>`;
  return String(obj);
}
