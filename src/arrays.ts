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
  let out: NDArray;
  if (typeof x === "number") {
    out = { shape: [], data: Float64Array.of(x) };
  } else if (isShaped(x)) {
    const size = x.shape.reduce((a, b) => a * b, 1);
    if (size !== x.data.length) {
      throw new ValidationError(`shape [${x.shape.join(", ")}] needs ${size} values, data has ${x.data.length}`, what);
    }
    out = { shape: [...x.shape], data: Float64Array.from(x.data) };
  } else if (Array.isArray(x)) {
    const shape: number[] = [];
    let probe: unknown = x;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe[0];
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(size);
    let k = 0;
    const walk = (v: unknown, depth: number): void => {
      if (depth === shape.length) {
        if (typeof v !== "number") throw new ValidationError(`expected a number, got ${typeof v}`, what);
        data[k++] = v;
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw new ValidationError(`ragged array: expected length ${shape[depth]} at depth ${depth}`, what);
      }
      for (const item of v) walk(item, depth + 1);
    };
    walk(x, 0);
    out = { shape, data };
  } else {
    throw new ValidationError(`expected a number, an array or {shape, data}, got ${describeValue(x)}`, what);
  }
  if (!opts.allowNaN) {
    for (let i = 0; i < out.data.length; i++) {
      if (!Number.isFinite(out.data[i])) throw new ValidationError(`contains a non-finite value at index ${i}`, what);
    }
  }
  return out;
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
