/**
 * Float64 matrix products on the `matmulF64` SIMD kernel (kernels.wat) in the scratch memory: several times
 * faster than a JS loop for large products, the same values bit for bit. Operands are copied in by row blocks.
 */
import { scratchKernels } from "./index.js";

/** Rows of A per kernel call. */
const ROW_BLOCK = 64;
/** Below this many multiply-adds the copies cost more than they save. */
const MIN_WORK = 1 << 18;

/**
 * `C (m x n) = A (m x k) . B (k x n)`, row-major; returns false (C untouched) when the kernel is not
 * available or the product is too small to gain, so the caller runs its JS loop instead.
 */
export function gemmF64(A: Float64Array, B: Float64Array, C: Float64Array, m: number, k: number, n: number): boolean {
  if (m * k * n < MIN_WORK) return false;
  const rows = Math.min(ROW_BLOCK, m);
  const simd = scratchKernels(8 * (k * n + rows * k + rows * n));
  if (!simd) return false;
  const buf = simd.memory.buffer;
  const b = new Float64Array(buf, 0, k * n);
  const a = new Float64Array(buf, 8 * k * n, rows * k);
  const c = new Float64Array(buf, 8 * (k * n + rows * k), rows * n);
  b.set(B.subarray(0, k * n));
  for (let i0 = 0; i0 < m; i0 += rows) {
    const r = Math.min(rows, m - i0);
    a.set(A.subarray(i0 * k, (i0 + r) * k));
    simd.kernels.matmulF64(a.byteOffset, b.byteOffset, c.byteOffset, r, k, n, n, n);
    C.set(c.subarray(0, r * n), i0 * n);
  }
  return true;
}
