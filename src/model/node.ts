/** Node: inputs and arbitrary functions, as nengo.Node. */
import { toNDArray } from "../arrays.js";
import { ValidationError } from "../errors.js";
import { type BaseOptions, NengoObject, checkInt } from "./base.js";
import { ObjView, type SliceSpec } from "./objview.js";

/** A Node's output: constant values, a function of time, a function of (t, x), or null (passthrough). */
export type NodeOutput =
  | number
  | readonly number[]
  | ((t: number) => number | readonly number[])
  | ((t: number, x: Float64Array) => number | readonly number[] | void)
  | null;

/** Options of `net.node(...)`. */
export interface NodeOptions extends BaseOptions {
  /** Constant, function or null (passthrough; needs sizeIn). */
  output?: NodeOutput;
  /** Input dimensionality (0 for an input node). */
  sizeIn?: number;
  /** Output dimensionality; inferred from constant output or by calling the function once. */
  sizeOut?: number;
}

/** Provides inputs to a model, or applies a function to its input, each step. */
export class Node extends NengoObject {
  readonly output: NodeOutput;
  readonly sizeIn: number;
  readonly sizeOut: number;
  /** Constant output values (when output is constant). */
  readonly constant?: Float64Array;

  /** @internal use `net.node(...)`. */
  constructor(opts: NodeOptions) {
    super(opts);
    const output = opts.output === undefined ? null : opts.output;
    const sizeIn = opts.sizeIn === undefined ? 0 : checkInt(opts.sizeIn, "sizeIn", this, 0);
    let sizeOut: number;
    if (output === null) {
      if (opts.sizeIn === undefined) {
        throw new ValidationError("a passthrough node (output null) needs sizeIn", "output", this);
      }
      if (opts.sizeOut !== undefined && opts.sizeOut !== sizeIn) {
        throw new ValidationError(
          `a passthrough node has sizeOut == sizeIn (${sizeIn}), got ${opts.sizeOut}`,
          "sizeOut",
          this,
        );
      }
      sizeOut = sizeIn;
    } else if (typeof output === "function") {
      if (opts.sizeOut !== undefined) {
        sizeOut = checkInt(opts.sizeOut, "sizeOut", this, 0);
      } else {
        const y = (output as (t: number, x: Float64Array) => unknown)(0, new Float64Array(sizeIn));
        sizeOut = y === undefined || y === null ? 0 : toNDArray(y, `${String(this)}.output(0)`).data.length;
      }
    } else {
      if (sizeIn !== 0) throw new ValidationError("a node with constant output must have sizeIn 0", "sizeIn", this);
      const c = toNDArray(output, `${String(this)}.output`);
      if (c.shape.length > 1)
        throw new ValidationError("constant output must be a number or a 1-D array", "output", this);
      this.constant = c.data;
      sizeOut = c.data.length;
      if (opts.sizeOut !== undefined && opts.sizeOut !== sizeOut) {
        throw new ValidationError(`sizeOut ${opts.sizeOut} does not match output length ${sizeOut}`, "sizeOut", this);
      }
    }
    this.output = output;
    this.sizeIn = sizeIn;
    this.sizeOut = sizeOut;
  }

  /** A view of some output dimensions (Nengo's `node[idx]`). */
  slice(spec: SliceSpec): ObjView {
    return new ObjView(this, spec);
  }
}
