/**
 * Small numpy numerics reproduced operation for operation, so results match numpy to the last bit
 * where the floating-point operations are the same (summation order, interpolation formula).
 */

const PW_BLOCKSIZE = 128;

/**
 * numpy's `pairwise_sum` for float64 (the kernel behind `np.sum` / `np.add.reduce`): `n` elements
 * starting at `offset`, `stride` apart.
 */
export function pairwiseSum(a: ArrayLike<number>, offset: number, n: number, stride = 1): number {
  if (n < 8) {
    let res = -0.0;
    for (let i = 0; i < n; i++) res += a[offset + i * stride];
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[offset];
    let r1 = a[offset + stride];
    let r2 = a[offset + 2 * stride];
    let r3 = a[offset + 3 * stride];
    let r4 = a[offset + 4 * stride];
    let r5 = a[offset + 5 * stride];
    let r6 = a[offset + 6 * stride];
    let r7 = a[offset + 7 * stride];
    const end = n - (n % 8);
    let i = 8;
    for (; i < end; i += 8) {
      const o = offset + i * stride;
      r0 += a[o];
      r1 += a[o + stride];
      r2 += a[o + 2 * stride];
      r3 += a[o + 3 * stride];
      r4 += a[o + 4 * stride];
      r5 += a[o + 5 * stride];
      r6 += a[o + 6 * stride];
      r7 += a[o + 7 * stride];
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[offset + i * stride];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, offset, n2, stride) + pairwiseSum(a, offset + n2 * stride, n - n2, stride);
}

/** `np.sum(a)` of a 1-D float64 array. */
export function npSum(a: ArrayLike<number>): number {
  return pairwiseSum(a, 0, a.length, 1);
}

/**
 * `np.sqrt(np.sum(x**2, axis=1))` for a row-major n x d matrix (Nengo's `npext.norm(x, axis=1)`), with
 * numpy's pairwise summation per row (differs from a plain loop only for d >= 8). Writes into `out` if given.
 */
export function rowNorms(x: Float64Array, n: number, d: number, out = new Float64Array(n)): Float64Array {
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) sq[j] = x[o + j] * x[o + j];
    out[i] = Math.sqrt(pairwiseSum(sq, 0, d, 1));
  }
  return out;
}

/** numpy's `binary_search_with_guess` result for `np.interp`: -1 below, len above, else j with xp[j] <= x < xp[j+1]. */
function interpIndex(x: number, xp: ArrayLike<number>): number {
  const len = xp.length;
  if (x < xp[0]) return -1;
  if (x > xp[len - 1]) return len;
  let lo = 0;
  let hi = len - 1;
  if (x >= xp[hi]) return hi;
  // invariant: xp[lo] <= x < xp[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (x >= xp[mid]) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** `np.interp(x, xp, fp)` for a single x, with numpy's formula `slope * (x - xp[j]) + fp[j]`. */
export function interp1(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>): number {
  if (Number.isNaN(x)) return x;
  const len = xp.length;
  const j = interpIndex(x, xp);
  if (j === -1) return fp[0];
  if (j === len) return fp[len - 1];
  if (j === len - 1) return fp[j];
  if (xp[j] === x) return fp[j];
  const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  let r = slope * (x - xp[j]) + fp[j];
  if (Number.isNaN(r)) {
    r = slope * (x - xp[j + 1]) + fp[j + 1];
    if (Number.isNaN(r) && fp[j] === fp[j + 1]) r = fp[j];
  }
  return r;
}

/** `np.interp(x, xp, fp)` elementwise. */
export function interp(x: ArrayLike<number>, xp: ArrayLike<number>, fp: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = interp1(x[i], xp, fp);
  return out;
}

/**
 * `x ** p` as numpy evaluates `array ** python_scalar`: exponents 0.5, 2, 1, 0 and -1 take numpy's
 * fast paths (sqrt, square, copy, ones, reciprocal); others use pow.
 */
export function npPowScalar(x: number, p: number): number {
  if (p === 0.5) return Math.sqrt(x);
  if (p === 2) return x * x;
  if (p === 1) return x;
  if (p === -1) return 1 / x;
  if (p === 0) return 1;
  return Math.pow(x, p);
}

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/** `np.nextafter(x, -inf)`: the largest double strictly below x (x itself for -inf/NaN). */
export function nextDown(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return x;
  if (x === 0) return -Number.MIN_VALUE;
  F64[0] = x;
  U64[0] = x > 0 ? U64[0] - 1n : U64[0] + 1n;
  return F64[0];
}

/** `np.searchsorted(a, v)` (side "left"): the number of elements < v. */
export function searchsortedLeft(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `np.cumsum` of a 1-D array (sequential). */
export function cumsum(a: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) out[i] = s += a[i];
  return out;
}
