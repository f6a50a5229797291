/** Conversion of user array inputs (nested arrays, typed arrays with shape) to the internal form. */
import { ValidationError } from "./errors.js";

/** A typed array with an explicit shape. */
export interface ShapedArray {
  shape: number[];
  data: Float32Array | Float64Array;
}

/** Anything nengo-ts accepts as an array (tf.Tensor is handled by the dl entry point). */
export type ArrayInput = number | readonly number[] | readonly (readonly number[])[] | NestedArray | ShapedArray;

/** Arbitrarily nested number arrays. */
export type NestedArray = ReadonlyArray<number | NestedArray>;

/** An array in internal form: shape + row-major float64 data. */
export interface NDArray {
  shape: number[];
  data: Float64Array;
}

/** True for `{shape, data}` objects. */
export function isShaped(x: unknown): x is ShapedArray {
  return (
    typeof x === "object" &&
    x !== null &&
    "shape" in x &&
    "data" in x &&
    Array.isArray((x as ShapedArray).shape) &&
    ArrayBuffer.isView((x as ShapedArray).data)
  );
}

/**
 * Convert an array input to `{shape, data}`. Ragged nested arrays and non-finite values (unless `allowNaN`)
 * are rejected with a ValidationError naming `what`.
 */
export function toNDArray(x: unknown, what: string, opts: { allowNaN?: boolean } = {}): NDArray {
  return toTypedND(x, what, opts, (n) => new Float64Array(n));
}

/**
 * {@link toNDArray} into the typed array made by `alloc` (e.g. a Float32Array: one conversion, no float64
 * copy); the finite check applies to the converted values.
 */
export function toTypedND<T extends Float32Array | Float64Array>(
  x: unknown,
  what: string,
  opts: { allowNaN?: boolean },
  alloc: (n: number) => T,
): { shape: number[]; data: T } {
  let shape: number[];
  let data: T;
  if (typeof x === "number") {
    shape = [];
    data = alloc(1);
    data[0] = x;
  } else if (isShaped(x)) {
    const size = x.shape.reduce((a, b) => a * b, 1);
    if (size !== x.data.length) {
      throw new ValidationError(`shape [${x.shape.join(", ")}] needs ${size} values, data has ${x.data.length}`, what);
    }
    shape = [...x.shape];
    data = alloc(size);
    data.set(x.data);
  } else if (Array.isArray(x)) {
    const sh: number[] = [];
    let probe: unknown = x;
    while (Array.isArray(probe)) {
      sh.push(probe.length);
      probe = probe[0];
    }
    shape = sh;
    const out = alloc(sh.reduce((a, b) => a * b, 1));
    const last = sh.length - 1;
    let k = 0;
    // one loop over each innermost array (a call per number would dominate big inputs)
    const walk = (v: unknown, depth: number): void => {
      if (!Array.isArray(v) || v.length !== sh[depth]) {
        throw new ValidationError(`ragged array: expected length ${sh[depth]} at depth ${depth}`, what);
      }
      if (depth < last) {
        for (const item of v) walk(item, depth + 1);
        return;
      }
      for (let i = 0; i < v.length; i++) {
        const e: unknown = v[i];
        if (typeof e !== "number") throw new ValidationError(`expected a number, got ${typeof e}`, what);
        out[k++] = e;
      }
    };
    walk(x, 0);
    data = out;
  } else {
    throw new ValidationError(`expected a number, an array or {shape, data}, got ${describeValue(x)}`, what);
  }
  if (!opts.allowNaN) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new ValidationError(`contains a non-finite value at index ${i}`, what);
    }
  }
  return { shape, data };
}

/** Nested plain arrays with the given shape from row-major data. */
export function toNested(data: ArrayLike<number>, shape: readonly number[]): NestedArray | number {
  if (shape.length === 0) return data[0];
  const build = (offset: number, dim: number): NestedArray => {
    const n = shape[dim];
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const out: (number | NestedArray)[] = [];
    for (let i = 0; i < n; i++) {
      out.push(dim === shape.length - 1 ? data[offset + i] : build(offset + i * stride, dim + 1));
    }
    return out;
  };
  return build(0, 0);
}

/** Short description of a value for error messages. */
export function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `array of length ${x.length}`;
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return `${typeof x} ${String(x)}`;
}
