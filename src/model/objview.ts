/** Slices of objects (`pre[0]`, `post[1:3]` in Nengo) for connections. */
import { ValidationError } from "../errors.js";

/** Indices, or a Python-like range `{start, stop, step}`. */
export type SliceSpec = number | readonly number[] | { start?: number; stop?: number; step?: number };

/** Something with sizeIn/sizeOut that can be sliced. */
export interface Sliceable {
  readonly sizeIn: number;
  readonly sizeOut: number;
  toString(): string;
}

/** A view of some dimensions of a Node, Ensemble or Neurons. */
export class ObjView {
  /** The viewed indices (into sizeOut when used as pre, sizeIn when used as post). */
  readonly indices: readonly number[];

  constructor(
    readonly obj: Sliceable,
    spec: SliceSpec,
  ) {
    const size = Math.max(obj.sizeIn, obj.sizeOut);
    this.indices = resolveSlice(spec, size, obj);
  }

  get sizeIn(): number {
    return this.obj.sizeIn === 0 ? 0 : this.indices.length;
  }

  get sizeOut(): number {
    return this.obj.sizeOut === 0 ? 0 : this.indices.length;
  }

  toString(): string {
    return `${String(this.obj)}[${this.indices.join(",")}]`;
  }
}

function resolveSlice(spec: SliceSpec, size: number, obj: unknown): number[] {
  const norm = (i: number): number => {
    if (!Number.isInteger(i)) throw new ValidationError(`index ${i} is not an integer`, "slice", obj);
    const j = i < 0 ? i + size : i;
    if (j < 0 || j >= size) throw new ValidationError(`index ${i} out of range for size ${size}`, "slice", obj);
    return j;
  };
  if (typeof spec === "number") return [norm(spec)];
  if (Array.isArray(spec)) return (spec as number[]).map(norm);
  const { start, stop, step = 1 } = spec as { start?: number; stop?: number; step?: number };
  if (step === 0 || !Number.isInteger(step))
    throw new ValidationError("slice step must be a non-zero integer", "slice", obj);
  const clamp = (v: number, dflt: number): number => {
    if (v === undefined) return dflt;
    const j = v < 0 ? v + size : v;
    return step > 0 ? Math.min(Math.max(j, 0), size) : Math.min(Math.max(j, -1), size - 1);
  };
  const s = clamp(start as number, step > 0 ? 0 : size - 1);
  const e = clamp(stop as number, step > 0 ? size : -1);
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  if (out.length === 0) throw new ValidationError("slice selects no dimensions", "slice", obj);
  return out;
}
