/**
 * Dense float64 decompositions and solvers: Cholesky, LU solve, SVD (one-sided Jacobi),
 * pseudo-inverse and numpy-compatible least squares.
 */
import { type Mat, zeros, transpose, matmul } from "./mat.js";

const EPS = 2.220446049250313e-16;

/** Error raised when a matrix is not positive definite or is singular. */
export class LinAlgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LinAlgError";
  }
}

/** Dot product of x[a..a+len) and x[b..b+len), four accumulators (faster in V8). */
function dot(x: Float64Array, a: number, b: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += x[a + k] * x[b + k];
    s1 += x[a + k + 1] * x[b + k + 1];
    s2 += x[a + k + 2] * x[b + k + 2];
    s3 += x[a + k + 3] * x[b + k + 3];
  }
  for (; k < len; k++) s0 += x[a + k] * x[b + k];
  return s0 + s1 + (s2 + s3);
}

/**
 * Cholesky factor of a symmetric positive-definite matrix: lower-triangular `L` with `a = L L^T`.
 * Only the lower triangle of `a` is read. Throws LinAlgError if `a` is not positive definite.
 */
export function cholesky(a: Mat): Mat {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError(`cholesky needs a square matrix, got (${a.rows},${a.cols})`);
  const L = zeros(n, n);
  const l = L.data;
  const ad = a.data;
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    const d = ad[rj + j] - dot(l, rj, rj, j);
    if (!(d > 0)) throw new LinAlgError("matrix is not positive definite");
    const ljj = Math.sqrt(d);
    l[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      l[ri + j] = (ad[ri + j] - dot(l, ri, rj, j)) / ljj;
    }
  }
  return L;
}

/** Solve `(L L^T) X = B` given the Cholesky factor `L` (from {@link cholesky}); B is n x k. */
export function choSolve(L: Mat, b: Mat): Mat {
  const n = L.rows;
  if (b.rows !== n) throw new RangeError(`choSolve shapes: L (${n},${n}), b (${b.rows},${b.cols})`);
  const k = b.cols;
  const x = zeros(n, k);
  const xd = x.data;
  xd.set(b.data);
  const l = L.data;
  // forward: L y = b
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let p = 0; p < i; p++) {
      const lip = l[ri + p];
      if (lip === 0) continue;
      for (let c = 0; c < k; c++) xd[i * k + c] -= lip * xd[p * k + c];
    }
    const lii = l[ri + i];
    for (let c = 0; c < k; c++) xd[i * k + c] /= lii;
  }
  // backward: L^T x = y
  for (let i = n - 1; i >= 0; i--) {
    for (let p = i + 1; p < n; p++) {
      const lpi = l[p * n + i];
      if (lpi === 0) continue;
      for (let c = 0; c < k; c++) xd[i * k + c] -= lpi * xd[p * k + c];
    }
    const lii = l[i * n + i];
    for (let c = 0; c < k; c++) xd[i * k + c] /= lii;
  }
  return x;
}

/**
 * Solve the square system `A X = B` by LU decomposition with partial pivoting (numpy.linalg.solve).
 * `b` may be a matrix (n x k) or a vector (length n); the result has the same kind.
 */
export function solve(a: Mat, b: Mat): Mat;
export function solve(a: Mat, b: Float64Array): Float64Array;
export function solve(a: Mat, b: Mat | Float64Array): Mat | Float64Array {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError(`solve needs a square matrix, got (${a.rows},${a.cols})`);
  const isVec = b instanceof Float64Array;
  const k = isVec ? 1 : b.cols;
  const brows = isVec ? b.length : b.rows;
  if (brows !== n) throw new RangeError(`solve shapes: a (${n},${n}), b has ${brows} rows`);
  const lu = Float64Array.from(a.data);
  const x = Float64Array.from(isVec ? b : b.data);
  for (let j = 0; j < n; j++) {
    let p = j;
    let best = Math.abs(lu[j * n + j]);
    for (let i = j + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + j]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best === 0) throw new LinAlgError("singular matrix");
    if (p !== j) {
      for (let c = 0; c < n; c++) {
        const t = lu[j * n + c];
        lu[j * n + c] = lu[p * n + c];
        lu[p * n + c] = t;
      }
      for (let c = 0; c < k; c++) {
        const t = x[j * k + c];
        x[j * k + c] = x[p * k + c];
        x[p * k + c] = t;
      }
    }
    const piv = lu[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const f = lu[i * n + j] / piv;
      if (f === 0) continue;
      lu[i * n + j] = f;
      for (let c = j + 1; c < n; c++) lu[i * n + c] -= f * lu[j * n + c];
      for (let c = 0; c < k; c++) x[i * k + c] -= f * x[j * k + c];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let p = i + 1; p < n; p++) {
      const u = lu[i * n + p];
      if (u === 0) continue;
      for (let c = 0; c < k; c++) x[i * k + c] -= u * x[p * k + c];
    }
    const d = lu[i * n + i];
    for (let c = 0; c < k; c++) x[i * k + c] /= d;
  }
  return isVec ? x : { rows: n, cols: k, data: x };
}

/** Thin singular value decomposition `a = u diag(s) v^T`. */
export interface SVD {
  /** Left singular vectors, m x k (k = min(m, n)), orthonormal columns. */
  u: Mat;
  /** Singular values, length k, non-negative and sorted descending. */
  s: Float64Array;
  /** Right singular vectors, n x k, orthonormal columns (note: v, not v^T). */
  v: Mat;
}

/**
 * Thin SVD by one-sided (Hestenes) Jacobi rotations: `a = u diag(s) v^T` with
 * u m x k, s length k (descending), v n x k, k = min(m, n). Accurate to a few ulps relative to s[0].
 * Columns of u belonging to exactly-zero singular values are completed to an orthonormal set.
 */
export function svd(a: Mat): SVD {
  if (a.rows < a.cols) {
    const t = svd(transpose(a));
    return { u: t.v, s: t.s, v: t.u };
  }
  const m = a.rows;
  const n = a.cols;
  // Work column-major: column j of W is w[j*m .. j*m+m).
  const w = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j * m + i] = a.data[i * n + j];
  const v = new Float64Array(n * n); // column-major too
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  const tol = EPS * 4;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const op = p * m;
      for (let q = p + 1; q < n; q++) {
        const oq = q * m;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = w[op + i];
          const y = w[oq + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[op + i];
          const y = w[oq + i];
          w[op + i] = c * x - s * y;
          w[oq + i] = s * x + c * y;
        }
        const vp = p * n;
        const vq = q * n;
        for (let i = 0; i < n; i++) {
          const x = v[vp + i];
          const y = v[vq + i];
          v[vp + i] = c * x - s * y;
          v[vq + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += w[j * m + i] * w[j * m + i];
    norms[j] = Math.sqrt(ss);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const U = zeros(m, n);
  const V = zeros(n, n);
  const S = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const j = order[r];
    const sj = norms[j];
    S[r] = sj;
    for (let i = 0; i < n; i++) V.data[i * n + r] = v[j * n + i];
    if (sj > 0) for (let i = 0; i < m; i++) U.data[i * n + r] = w[j * m + i] / sj;
  }
  completeOrthonormal(U, S);
  return { u: U, s: S, v: V };
}

/** Replace zero columns of u (where s is 0) by unit vectors orthogonal to the others (Gram-Schmidt). */
function completeOrthonormal(u: Mat, s: Float64Array): void {
  const m = u.rows;
  const k = u.cols;
  const d = u.data;
  let e = 0;
  for (let r = 0; r < k; r++) {
    if (s[r] > 0) continue;
    const col = new Float64Array(m);
    for (; e < m; e++) {
      col.fill(0);
      col[e] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let c = 0; c < k; c++) {
          if (c === r) continue;
          let dot = 0;
          for (let i = 0; i < m; i++) dot += d[i * k + c] * col[i];
          for (let i = 0; i < m; i++) col[i] -= dot * d[i * k + c];
        }
      }
      let nrm = 0;
      for (let i = 0; i < m; i++) nrm += col[i] * col[i];
      nrm = Math.sqrt(nrm);
      if (nrm > 0.5) {
        for (let i = 0; i < m; i++) d[i * k + r] = col[i] / nrm;
        e++;
        break;
      }
    }
  }
}

/**
 * Moore-Penrose pseudo-inverse (numpy.linalg.pinv): singular values `<= rcond * max(s)` are treated as zero.
 * Default rcond 1e-15 as numpy.
 */
export function pinv(a: Mat, rcond = 1e-15): Mat {
  const { u, s, v } = svd(a);
  const k = s.length;
  const cutoff = rcond * (k > 0 ? s[0] : 0);
  const out = zeros(a.cols, a.rows);
  for (let r = 0; r < k; r++) {
    if (!(s[r] > cutoff)) continue;
    const inv = 1 / s[r];
    for (let i = 0; i < a.cols; i++) {
      const vir = v.data[i * k + r] * inv;
      if (vir === 0) continue;
      for (let j = 0; j < a.rows; j++) out.data[i * a.rows + j] += vir * u.data[j * k + r];
    }
  }
  return out;
}

/** Result of {@link lstsq}, as numpy.linalg.lstsq returns it. */
export interface LstsqResult {
  /** Minimum-norm least-squares solution, n x k. */
  x: Mat;
  /** Sum of squared residuals per column of Y (length k) when rank == n and m > n; otherwise empty (numpy). */
  residuals: Float64Array;
  /** Effective rank of A. */
  rank: number;
  /** Singular values of A, descending. */
  s: Float64Array;
}

/**
 * Least squares `min ||A X - Y||` as numpy.linalg.lstsq: singular values `<= rcond * max(s)` are dropped.
 * `rcond` defaults to numpy's `eps * max(m, n)`; a negative rcond means machine precision (numpy's old default).
 */
export function lstsq(a: Mat, y: Mat, rcond?: number): LstsqResult {
  const m = a.rows;
  const n = a.cols;
  if (y.rows !== m) throw new RangeError(`lstsq shapes: A (${m},${n}), Y (${y.rows},${y.cols})`);
  const rc = rcond === undefined ? EPS * Math.max(m, n) : rcond < 0 ? EPS : rcond;
  const { u, s, v } = svd(a);
  const k = s.length;
  const cutoff = rc * (k > 0 ? s[0] : 0);
  const utY = matmul(transpose(u), y); // k x kc
  const kc = y.cols;
  let rank = 0;
  for (let r = 0; r < k; r++) {
    if (s[r] > cutoff) {
      rank++;
      const inv = 1 / s[r];
      for (let c = 0; c < kc; c++) utY.data[r * kc + c] *= inv;
    } else {
      for (let c = 0; c < kc; c++) utY.data[r * kc + c] = 0;
    }
  }
  const x = matmul(v, utY);
  let residuals = new Float64Array(0);
  if (rank === n && m > n) {
    residuals = new Float64Array(kc);
    const ax = matmul(a, x);
    for (let i = 0; i < m; i++)
      for (let c = 0; c < kc; c++) {
        const e = ax.data[i * kc + c] - y.data[i * kc + c];
        residuals[c] += e * e;
      }
  }
  return { x, residuals, rank, s };
}
