/** Nengo's `_betaincinv22` lookup: approximate `betaincinv(dims / 2, 0.5, x)` by interpolating a stored table. */
import { ValidationError } from "../errors.js";
import { interp, interp1 } from "../rng/npmath.js";
import { BETAINCINV22_DIMS, BETAINCINV22_POINTS, BETAINCINV22_X_B64, BETAINCINV22_Y_B64 } from "./betaincinv22-data.js";

interface Curve {
  xp: Float64Array;
  yp: Float64Array;
}

let table: Map<number, Curve> | undefined;
const derived = new Map<number, Curve>();

function decode(b64: string): Float64Array {
  const bin = atob(b64);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Float64Array(bin.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

function loadTable(): Map<number, Curve> {
  if (table) return table;
  const xs = decode(BETAINCINV22_X_B64);
  const ys = decode(BETAINCINV22_Y_B64);
  const P = BETAINCINV22_POINTS;
  table = new Map();
  BETAINCINV22_DIMS.forEach((d, i) => {
    table!.set(d, { xp: xs.subarray(i * P, (i + 1) * P), yp: ys.subarray(i * P, (i + 1) * P) });
  });
  return table;
}

/** The interpolation curve Nengo uses for `dims` (stored, or a blend of the two nearest stored curves). */
function curveFor(dims: number): Curve {
  const t = loadTable();
  const exact = t.get(dims);
  if (exact) return exact;
  const cached = derived.get(dims);
  if (cached) return cached;
  const known = BETAINCINV22_DIMS;
  let i = 0;
  while (i < known.length && known[i] < dims) i++; // np.searchsorted(known_dims, dims)
  let curve: Curve;
  if (i >= known.length) {
    curve = t.get(known[known.length - 1])!;
  } else {
    const dims0 = known[i - 1];
    const dims1 = known[i];
    const c0 = t.get(dims0)!;
    const c1 = t.get(dims1)!;
    const ratio0 = (dims1 - dims) / (dims1 - dims0);
    const ratio1 = 1 - ratio0;
    const n = c0.xp.length;
    const xp = new Float64Array(n);
    for (let k = 0; k < n; k++) xp[k] = ratio0 * c0.xp[k] + ratio1 * c1.xp[k];
    const y0 = interp(xp, c0.xp, c0.yp);
    const y1 = interp(xp, c1.xp, c1.yp);
    const yp = new Float64Array(n);
    for (let k = 0; k < n; k++) yp[k] = ratio0 * y0[k] + ratio1 * y1[k];
    curve = { xp, yp };
  }
  derived.set(dims, curve);
  return curve;
}

/** Approximate `scipy.special.betaincinv(dims / 2, 0.5, x)` exactly as Nengo's table lookup does. */
export function betaincinv22Lookup(dims: number, x: number): number {
  if (!Number.isInteger(dims) || dims < 1) throw new ValidationError("must be an integer >= 1", "dims");
  const c = curveFor(dims);
  return interp1(x, c.xp, c.yp);
}
