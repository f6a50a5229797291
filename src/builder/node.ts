/** Node builder, as Nengo's build_node. */
import { ValidationError } from "../errors.js";
import type { Node } from "../model/node.js";
import type { Model } from "./model.js";
import { Signal } from "./signal.js";

/** Build a node: input signal (reset each step), output signal, and the function op if any. */
export function buildNode(model: Model, node: Node): void {
  const sig = model.sigOf(node);
  if (node.sizeIn > 0) {
    sig.in = new Signal(`${String(node)}.in`, node.sizeIn);
    model.addOp({ type: "reset", dst: sig.in, value: 0 });
  }
  if (node.output === null) {
    sig.out = sig.in;
  } else if (typeof node.output === "function") {
    sig.out = new Signal(`${String(node)}.out`, node.sizeOut);
    const f = node.output as (t: number, x: Float64Array) => number | readonly number[] | void;
    model.addOp({
      type: "func",
      fn: f,
      withTime: true,
      x: node.sizeIn > 0 ? sig.in : null,
      output: node.sizeOut > 0 ? sig.out : null,
      node,
      name: String(node),
    });
  } else {
    sig.out = new Signal(`${String(node)}.out`, Float64Array.from(node.constant as Float64Array), { readonly: true });
  }
}

/** Write a function result into `out`, checking its size; names the node/connection on error. */
export function writeFuncResult(result: unknown, out: Float64Array, name: string): void {
  if (typeof result === "number") {
    if (out.length !== 1) throw new ValidationError(`returned 1 value, expected ${out.length}`, "output", name);
    out[0] = result;
    return;
  }
  const arr = result as ArrayLike<number> | undefined;
  if (!arr || arr.length !== out.length) {
    throw new ValidationError(
      `returned ${arr ? arr.length : String(arr)} values, expected ${out.length}`,
      "output",
      name,
    );
  }
  for (let i = 0; i < out.length; i++) out[i] = arr[i];
}
