/** Decoder and weight solvers. */
export {
  Solver,
  Lstsq,
  LstsqL2,
  LstsqL2nz,
  NoSolver,
  rmses,
  choleskyL2,
  type SolverInfo,
  type SolverResult,
  type LstsqOptions,
  type LstsqL2Options,
  type NoSolverOptions,
} from "./solvers.js";
