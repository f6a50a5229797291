/** Matrix exponential by Pade approximation with scaling and squaring (Higham 2005, as scipy.linalg.expm). */
import { type Mat, zeros, eye, matmul } from "./mat.js";
import { solve } from "./decomp.js";

const B13 = [
  64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000, 10559470521600,
  670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
];
const THETA13 = 5.371920351148152;

function norm1(a: Mat): number {
  let best = 0;
  for (let j = 0; j < a.cols; j++) {
    let s = 0;
    for (let i = 0; i < a.rows; i++) s += Math.abs(a.data[i * a.cols + j]);
    if (s > best) best = s;
  }
  return best;
}

/** Linear combination sum_i c_i M_i of same-shape matrices. */
function lincomb(n: number, terms: [number, Mat][]): Mat {
  const out = zeros(n, n);
  for (const [c, m] of terms) {
    if (c === 0) continue;
    for (let i = 0; i < out.data.length; i++) out.data[i] += c * m.data[i];
  }
  return out;
}

/** Matrix exponential `e^A` of a square matrix (Pade 13 + scaling and squaring). */
export function expm(a: Mat): Mat {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError(`expm needs a square matrix, got (${a.rows},${a.cols})`);
  if (n === 0) return zeros(0, 0);
  const nrm = norm1(a);
  let s = 0;
  if (nrm > THETA13) s = Math.max(0, Math.ceil(Math.log2(nrm / THETA13)));
  const scale = Math.pow(2, -s);
  const A = { rows: n, cols: n, data: a.data.map((x) => x * scale) };
  const b = B13;
  const I = eye(n);
  const A2 = matmul(A, A);
  const A4 = matmul(A2, A2);
  const A6 = matmul(A4, A2);
  const uInner = lincomb(n, [
    [b[13], A6],
    [b[11], A4],
    [b[9], A2],
  ]);
  const U = matmul(
    A,
    lincomb(n, [
      [1, matmul(A6, uInner)],
      [b[7], A6],
      [b[5], A4],
      [b[3], A2],
      [b[1], I],
    ]),
  );
  const vInner = lincomb(n, [
    [b[12], A6],
    [b[10], A4],
    [b[8], A2],
  ]);
  const V = lincomb(n, [
    [1, matmul(A6, vInner)],
    [b[6], A6],
    [b[4], A4],
    [b[2], A2],
    [b[0], I],
  ]);
  const P = lincomb(n, [
    [1, V],
    [1, U],
  ]);
  const Q = lincomb(n, [
    [1, V],
    [-1, U],
  ]);
  let R = solve(Q, P);
  for (let k = 0; k < s; k++) R = matmul(R, R);
  return R;
}
