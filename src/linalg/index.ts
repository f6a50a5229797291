/** Dense float64 linear algebra used by the builder: matrices, decompositions, solvers, expm. */
export * from "./mat.js";
export * from "./decomp.js";
export * from "./expm.js";
