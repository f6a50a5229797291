/** Argument parsers for commander options, shared by the `nengo-ts` subcommands. */
import { InvalidArgumentError } from "commander";

/** Parser of a positive integer option; the message names the option. */
export function positiveInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}".`);
    return n;
  };
}

/** Parser of a non-negative integer option. */
export function nonNegativeInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${v}".`);
    return n;
  };
}

/** Parser of a positive number option. */
export function positiveNumber(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${v}".`);
    return n;
  };
}
