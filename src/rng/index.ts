/** numpy-compatible random numbers and numerics. */
export { RandomState, type Seed } from "./randomstate.js";
export {
  pairwiseSum,
  npSum,
  rowNorms,
  interp,
  interp1,
  npPowScalar,
  nextDown,
  searchsortedLeft,
  cumsum,
} from "./npmath.js";
