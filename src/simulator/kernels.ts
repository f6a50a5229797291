/**
 * The reference simulator's heavier loops on its float64 arena, with element offsets. Where WebAssembly
 * SIMD is available the simulator calls the kernels of src/kernels (gemvF64, rank1F64) instead, which
 * compute exactly the same values (same operations in the same order).
 */

/**
 * Y += A @ X for a row-major [rows, cols] A at offset `a`, X at `x`, Y at `y` of `M`: four partial sums
 * over columns j = 0, 1, 2, 3 (mod 4), the remaining columns added to the first, Y[i] += (s0 + s1) + (s2 + s3).
 */
export function gemvJs(M: Float64Array, a: number, x: number, y: number, rows: number, cols: number): void {
  const c4 = cols - (cols % 4);
  for (let i = 0, off = a; i < rows; i++, off += cols) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j < c4; j += 4) {
      s0 += M[off + j] * M[x + j];
      s1 += M[off + j + 1] * M[x + j + 1];
      s2 += M[off + j + 2] * M[x + j + 2];
      s3 += M[off + j + 3] * M[x + j + 3];
    }
    for (; j < cols; j++) s0 += M[off + j] * M[x + j];
    M[y + i] += s0 + s1 + (s2 + s3);
  }
}

/** W[i, :] += E[i] * P for a row-major [rows, cols] W at offset `w` of `M` (rows with E[i] = 0 skipped). */
export function rank1Js(M: Float64Array, w: number, e: number, p: number, rows: number, cols: number): void {
  for (let i = 0, off = w; i < rows; i++, off += cols) {
    const ei = M[e + i];
    if (ei === 0) continue;
    for (let j = 0; j < cols; j++) M[off + j] += ei * M[p + j];
  }
}

// Merged operators over tables of runs: `I` is an Int32Array over the same memory as `M` and `t` the
// index of a table in it; offsets in tables are indices into `M`. The kernels of the same names in
// src/kernels/kernels.wat read the same tables.

/** `n` runs [a, x, y, len]: M[y + k] += M[a + k] * M[x], skipped when M[x] = 0. */
export function axpyRuns(M: Float64Array, I: Int32Array, t: number, n: number): void {
  for (let end = t + 4 * n; t < end; t += 4) {
    const x = M[I[t + 1]];
    if (x === 0) continue;
    const a = I[t] - I[t + 2];
    for (let k = I[t + 2], e = k + I[t + 3]; k < e; k++) M[k] += M[k + a] * x;
  }
}

/** `n` runs [s, d, len]: M[d + k] += M[s + k]. */
export function addRuns(M: Float64Array, I: Int32Array, t: number, n: number): void {
  for (let end = t + 3 * n; t < end; t += 3) {
    const s = I[t] - I[t + 1];
    for (let k = I[t + 1], e = k + I[t + 2]; k < e; k++) M[k] += M[k + s];
  }
}

/** `n` runs [a, aStep, x, xStep, y, len]: M[y + k] += M[a + k aStep] * M[x + k xStep]. */
export function mulAddRuns(M: Float64Array, I: Int32Array, t: number, n: number): void {
  for (let end = t + 6 * n; t < end; t += 6) {
    const as = I[t + 1];
    const xs = I[t + 3];
    for (let y = I[t + 4], e = y + I[t + 5], a = I[t], x = I[t + 2]; y < e; y++, a += as, x += xs) M[y] += M[a] * M[x];
  }
}

/** `n` runs [u, y, x, len] of one-state filters: x = x a + b u, y = x. */
export function lowpassRuns(M: Float64Array, I: Int32Array, t: number, n: number, a: number, b: number): void {
  for (let end = t + 4 * n; t < end; t += 4) {
    const u = I[t] - I[t + 2];
    const y = I[t + 1] - I[t + 2];
    for (let k = I[t + 2], e = k + I[t + 3]; k < e; k++) {
      const x = M[k] * a + b * M[k + u];
      M[k] = x;
      M[k + y] = x;
    }
  }
}

/**
 * Products with spiking inputs, driven by the spikes: `nSeg` segments [lo, hi, ptrs] of input elements;
 * for each q in [lo, hi) with M[q] != 0, the entries [at, y, rows] at relative indices
 * [I[t + ptrs + q - lo], I[t + ptrs + q - lo + 1]) do M[y + i] += M[at + i] * M[q].
 */
export function spikeScatter(M: Float64Array, I: Int32Array, t: number, nSeg: number): void {
  for (let s = t, sEnd = t + 3 * nSeg; s < sEnd; s += 3) {
    const lo = I[s];
    const p = t + I[s + 2] - lo;
    for (let q = lo, hi = I[s + 1]; q < hi; q++) {
      const x = M[q];
      if (x === 0) continue;
      for (let e = t + I[p + q], eEnd = t + I[p + q + 1]; e < eEnd; e += 3) {
        const a = I[e] - I[e + 1];
        for (let k = I[e + 1], kEnd = k + I[e + 2]; k < kEnd; k++) M[k] += M[k + a] * x;
      }
    }
  }
}
