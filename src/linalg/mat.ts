/**
 * The one internal dense array type: a row-major matrix of float64.
 * Vectors are plain Float64Array.
 */
import { gemmF64 } from "../kernels/gemm.js";

export interface Mat {
  readonly rows: number;
  readonly cols: number;
  /** Row-major data, length rows*cols. */
  readonly data: Float64Array;
}

/** A new zero matrix. */
export function zeros(rows: number, cols: number): Mat {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Matrix from nested rows (all rows must have the same length). */
export function fromRows(rows: readonly (readonly number[])[], cols?: number): Mat {
  const r = rows.length;
  const c = cols ?? (r > 0 ? rows[0].length : 0);
  const m = zeros(r, c);
  for (let i = 0; i < r; i++) {
    const row = rows[i];
    if (row.length !== c) throw new RangeError(`row ${i} has length ${row.length}, expected ${c}`);
    for (let j = 0; j < c; j++) m.data[i * c + j] = row[j];
  }
  return m;
}

/** Nested rows of a matrix. */
export function toRows(m: Mat): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** Identity matrix. */
export function eye(n: number): Mat {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** Transpose. */
export function transpose(a: Mat): Mat {
  const t = zeros(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  return t;
}

/** Matrix product a @ b (the WebAssembly SIMD kernel for large products; the same values either way). */
export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new RangeError(`matmul shapes (${a.rows},${a.cols}) @ (${b.rows},${b.cols})`);
  const out = zeros(a.rows, b.cols);
  // the JS loop skips zeros of `a`: better for sparse `a` (e.g. activities, mostly silent neurons)
  if (density(a.data) > 0.25 && gemmF64(a.data, b.data, out.data, a.rows, a.cols, b.cols)) return out;
  const n = b.cols;
  for (let i = 0; i < a.rows; i++) {
    const orow = i * n;
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      const brow = k * n;
      for (let j = 0; j < n; j++) out.data[orow + j] += aik * b.data[brow + j];
    }
  }
  return out;
}

/** aᵀ·b without forming aᵀ (skipping zeros of a; same values as `matmul(transpose(a), b)`). */
export function matmulTN(a: Mat, b: Mat): Mat {
  if (a.rows !== b.rows) throw new RangeError(`matmulTN shapes (${a.rows},${a.cols})ᵀ @ (${b.rows},${b.cols})`);
  const n = b.cols;
  const out = zeros(a.cols, n);
  const o = out.data;
  for (let r = 0; r < a.rows; r++) {
    const brow = r * n;
    for (let i = 0, ar = r * a.cols; i < a.cols; i++) {
      const v = a.data[ar + i];
      if (v === 0) continue;
      for (let j = 0, oi = i * n; j < n; j++) o[oi + j] += v * b.data[brow + j];
    }
  }
  return out;
}

/** Fraction of nonzero entries. */
function density(x: Float64Array): number {
  let nz = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) nz++;
  return x.length === 0 ? 0 : nz / x.length;
}

/** Copy of a matrix. */
export function clone(a: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: Float64Array.from(a.data) };
}

/**
 * Aᵀ·A for an m x n matrix, exploiting symmetry and skipping zero entries (activity matrices are
 * sparse: neurons are silent for many evaluation points). About 4x fewer operations than matmul.
 */
export function gramT(a: Mat): Mat {
  const { rows: m, cols: n, data } = a;
  const g = new Float64Array(n * n);
  for (let r = 0; r < m; r++) {
    const off = r * n;
    for (let i = 0; i < n; i++) {
      const ri = data[off + i];
      if (ri === 0) continue;
      const gi = i * n;
      for (let j = i; j < n; j++) g[gi + j] += ri * data[off + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i];
  return { rows: n, cols: n, data: g };
}

/** A·Aᵀ for an m x n matrix (symmetric: each pair of rows once). */
export function gram(a: Mat): Mat {
  const { rows: m, cols: n, data } = a;
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += data[i * n + k] * data[j * n + k];
      g[i * m + j] = s;
      g[j * m + i] = s;
    }
  }
  return { rows: m, cols: m, data: g };
}
