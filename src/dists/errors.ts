import { NengoError } from "../errors.js";

/** An iterative computation did not converge (Nengo's `ConvergenceError`). */
export class ConvergenceError extends NengoError {}
