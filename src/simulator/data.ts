/** `sim.data`: probe data and built parameters as plain nested arrays, with readable inspection. */
import { inspect } from "node:util";
import { toNested, type NestedArray } from "../arrays.js";
import type { Mat } from "../linalg/mat.js";

/** Built (or trained) ensemble parameters as nested arrays; `console.log` shows each with its shape. */
export class EnsembleData {
  constructor(
    /** Unit encoders [nNeurons][dimensions]. */
    readonly encoders: number[][],
    /** Encoders scaled by gain/radius [nNeurons][dimensions]. */
    readonly scaledEncoders: number[][],
    readonly gain: number[] | null,
    readonly bias: number[] | null,
    readonly maxRates: number[] | null,
    readonly intercepts: number[] | null,
    /** Evaluation points [nEvalPoints][dimensions]. */
    readonly evalPoints: number[][],
  ) {}

  [inspect.custom](): string {
    return describeFields("EnsembleData", this as unknown as Record<string, unknown>);
  }
}

/** Built (or trained) connection parameters. */
export class ConnectionData {
  constructor(
    /** Weights: [sizeOut][sizeIn] (decoders folded with the transform), [n] for elementwise, or a scalar. */
    readonly weights: NestedArray | number,
    readonly evalPoints: number[][] | null,
    readonly solverInfo: Record<string, unknown> | null,
  ) {}

  [inspect.custom](): string {
    return describeFields("ConnectionData", this as unknown as Record<string, unknown>);
  }
}

/** Nested rows of a matrix. */
export function matRows(m: Mat): number[][] {
  return toNested(m.data, [m.rows, m.cols]) as number[][];
}

/** Array shape of nested arrays. */
export function shapeOf(x: unknown): number[] {
  const s: number[] = [];
  let v = x;
  while (Array.isArray(v)) {
    s.push(v.length);
    v = v[0];
  }
  return s;
}

function describeFields(name: string, obj: Record<string, unknown>): string {
  const lines = Object.entries(obj).map(([k, v]) => {
    if (v === null) return `  ${k}: null`;
    if (Array.isArray(v)) {
      const flat = (v as unknown[]).flat(3) as number[];
      const head = flat.slice(0, 4).map((x) => (typeof x === "number" ? x.toPrecision(4) : String(x)));
      return `  ${k}: [${shapeOf(v).join(" x ")}] ${head.join(", ")}${flat.length > 4 ? ", ..." : ""}`;
    }
    if (typeof v === "number") return `  ${k}: ${v}`;
    return `  ${k}: ${inspect(v, { depth: 0, breakLength: Infinity })}`;
  });
  return `${name} {\n${lines.join("\n")}\n}`;
}
