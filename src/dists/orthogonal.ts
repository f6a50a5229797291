/** Random orthogonal matrices as Nengo's `ScatteredHypersphere.random_orthogonal`. */
import { svd } from "../linalg/decomp.js";
import type { RandomState } from "../rng/randomstate.js";

/**
 * A random d x d orthogonal matrix (row-major): `m = rng.standard_normal((d, d))`, `u, s, vh = svd(m)`,
 * result `u @ vh` (the orthogonal polar factor of m, which does not depend on the SVD's sign choices).
 * Consumes d*d Gaussian draws.
 */
export function randomOrthogonal(d: number, rng: RandomState): Float64Array {
  const m = rng.standardNormal(d * d);
  const { u, v } = svd({ rows: d, cols: d, data: m });
  // u @ v^T with u: d x d, v: d x d (columns are right singular vectors)
  const out = new Float64Array(d * d);
  const ud = u.data;
  const vd = v.data;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += ud[i * d + k] * vd[j * d + k];
      out[i * d + j] = s;
    }
  }
  return out;
}
