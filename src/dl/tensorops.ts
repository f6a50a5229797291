/** Small differentiable tensor helpers that only use kernels present on every backend (wasm included). */
import { tf } from "./backend.js";
import { hasJsKernels, runJsKernel } from "./neurons.js";

/** `tf.customGrad` for a one-input function (typed for strict TypeScript). */
export function customGrad1(
  f: (
    x: tf.Tensor,
    save: tf.GradSaveFunc,
  ) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor },
): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
}

const rangeMemo = new WeakMap<ArrayLike<number>, boolean>();

/**
 * True when idx is empty or 0..n-1 shifted by a constant (a contiguous range); memoized per index array
 * (index arrays are made at compile time and asked about every step).
 */
export function isRange(idx: ArrayLike<number>): boolean {
  let r = rangeMemo.get(idx);
  if (r === undefined) {
    r = true;
    for (let i = 1; i < idx.length && r; i++) r = idx[i] === idx[0] + i;
    rangeMemo.set(idx, r);
  }
  return r;
}

/**
 * Columns `[off, off + size)` of a 2-D tensor; the gradient is a pad (nothing kept on the tape). On the
 * JS-kernel backends a kernel copies the rows: wasm's Slice kernel first copies its whole input to JS.
 */
export function sliceCols(x: tf.Tensor2D, off: number, size: number): tf.Tensor2D {
  const [rows, n] = x.shape;
  if (off === 0 && size === n) return x;
  const f = customGrad1((xx: tf.Tensor) => ({
    value:
      hasJsKernels() && rows * size > 0
        ? runJsKernel([xx], [rows, size], (ins, out) => {
            for (let r = 0; r < rows; r++) out.set(ins[0].subarray(r * n + off, r * n + off + size), r * size);
          })
        : tf.slice(xx as tf.Tensor2D, [0, off], [-1, size]),
    gradFunc: (dy: tf.Tensor) =>
      tf.pad(dy as tf.Tensor2D, [
        [0, 0],
        [off, n - off - size],
      ]),
  }));
  return f(x) as tf.Tensor2D;
}

/** Entries `[start, start + count)` along the first axis, without gradient (a JS kernel: see {@link sliceCols}). */
export function sliceRows(x: tf.Tensor, start: number, count: number): tf.Tensor {
  const [, ...rest] = x.shape;
  const w = rest.reduce((a, b) => a * b, 1);
  if (!hasJsKernels() || count * w === 0) return tf.slice(x, start, count);
  return runJsKernel([x], [count, ...rest], (ins, out) => out.set(ins[0].subarray(start * w, (start + count) * w)));
}

/**
 * Columns `idx` of a 2-D tensor `x` ([rows, n] -> [rows, idx.length]). A range becomes a slice; otherwise a
 * gather whose gradient is a scatter-add written with gathers (tfjs's own gather gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks).
 */
export function takeCols(x: tf.Tensor2D, idx: ArrayLike<number>): tf.Tensor2D {
  const n = x.shape[1];
  if (idx.length === n && isRange(idx) && idx[0] === 0) return x;
  if (idx.length > 0 && isRange(idx)) return sliceCols(x, idx[0], idx.length);
  const idxT = Int32Array.from(idx);
  const inv = inversePasses(idxT, n);
  const f = customGrad1((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    void save;
    const value = tf.gather(xx as tf.Tensor2D, tf.tensor1d(idxT, "int32"), 1) as tf.Tensor2D;
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        // dx[:, c] = sum over i with idx[i] == c of dy[:, i]
        const ext = tf.concat([dy as tf.Tensor2D, tf.zeros([dy.shape[0], 1])], 1);
        let g: tf.Tensor = tf.gather(ext, tf.tensor1d(inv[0], "int32"), 1);
        for (let p = 1; p < inv.length; p++) g = tf.add(g, tf.gather(ext, tf.tensor1d(inv[p], "int32"), 1));
        return g;
      },
    };
  });
  return f(x) as tf.Tensor2D;
}

/** For each multiplicity pass p, inv[p][c] = the p-th position i with idx[i] == c, or idx.length (a zero column). */
function inversePasses(idx: Int32Array, n: number): Int32Array[] {
  const count = new Int32Array(n);
  const passes: Int32Array[] = [];
  for (let i = 0; i < idx.length; i++) {
    const c = idx[i];
    const p = count[c]++;
    while (passes.length <= p) passes.push(new Int32Array(n).fill(idx.length));
    passes[p][c] = i;
  }
  if (passes.length === 0) passes.push(new Int32Array(n).fill(idx.length));
  return passes;
}

/** `out[:, dstIdx[i]] += x[:, i]` into `n` columns (zeros elsewhere); differentiable. */
export function placeCols(x: tf.Tensor2D, dstIdx: ArrayLike<number>, n: number): tf.Tensor2D {
  const k = x.shape[1];
  if (k === n && isRange(dstIdx) && dstIdx[0] === 0) return x;
  if (k > 0 && isRange(dstIdx))
    return tf.pad(x, [
      [0, 0],
      [dstIdx[0], n - dstIdx[0] - k],
    ]);
  const inv = inversePasses(Int32Array.from(dstIdx), n);
  // a permutation of all n columns: one gather
  if (inv.length === 1 && k === n && inv[0].every((i) => i < k)) return takeCols(x, inv[0]);
  const ext = tf.concat([x, tf.zeros([x.shape[0], 1])], 1);
  let out = takeCols(ext as tf.Tensor2D, inv[0]);
  for (let p = 1; p < inv.length; p++) out = tf.add(out, takeCols(ext as tf.Tensor2D, inv[p])) as tf.Tensor2D;
  return out;
}

/**
 * Sum over the first axis, kept as size 1 (`[mb, ...] -> [1, ...]`), as an average pooling over it (XNNPACK,
 * SIMD across columns: ~5x faster than wasm's Sum, which transposes its input to reduce a leading axis).
 * No gradient of its own.
 */
export function sumRows(x: tf.Tensor): tf.Tensor {
  const [mb, ...rest] = x.shape;
  const n = x.size / mb;
  if (n === 0) return tf.zeros([1, ...rest]);
  // tidy: only the result stays (inside a backward segment, intermediates live until the segment ends)
  return tf.tidy(() => {
    const mean = tf.avgPool(tf.reshape(x, [1, mb, 1, n]) as tf.Tensor4D, [mb, 1], 1, "valid");
    return tf.reshape(tf.mul(mean, mb), [1, ...rest]);
  });
}

/** ReLU with an analytic gradient (tfjs's relu gradient uses Step, missing on wasm). */
export const relu = customGrad1((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.maximum(x, 0),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.cast(tf.greater(saved[0], 0), "float32")),
  };
}) as (x: tf.Tensor) => tf.Tensor;
