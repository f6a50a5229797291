/** Synapses: LinearFilter (any SISO transfer function), Lowpass and Alpha, with Nengo 4's discrete step rules. */
import { ValidationError } from "../errors.js";
import { solve } from "../linalg/decomp.js";
import { type Mat, eye } from "../linalg/mat.js";
import { type DiscretizeMethod, type StateSpace, cont2discrete, tf2ss } from "./filterdesign.js";

/**
 * Which of Nengo's LinearFilter step rules applies to a discrete system:
 * - "NoX": no state, `y = D u`;
 * - "OneX": one state and D = 0, `x = a x + (C B) u`, `y = x`;
 * - "NoD": D = 0, `x = A x + B u`, then `y = C x` (input advanced one step, no extra delay);
 * - "General": `y = C x + D u`, then `x = A x + B u`.
 */
export type StepKind = "NoX" | "OneX" | "NoD" | "General";

/** Nengo's classification of a discrete SISO system into a {@link StepKind}. */
export function classifyStep(ss: StateSpace): StepKind {
  const order = ss.A.rows;
  if (order === 0) return "NoX";
  if (ss.D === 0) return order === 1 ? "OneX" : "NoD";
  return "General";
}

/**
 * Advance `n` independent channels of a discrete SISO filter by one step, in place, without allocating.
 * `X` holds the state as Nengo's `(order, n)` array, row-major: `X[k * n + j]` is state `k` of channel `j`.
 * Reads `input[j]`, writes `output[j]` (input and output may be the same array). `scratch` needs length >= order
 * when order > 1. Arithmetic order follows Nengo's step classes, so results match Nengo bit for bit up to
 * dot-product summation order.
 */
export function stepLinearFilter(
  kind: StepKind,
  ss: StateSpace,
  X: Float64Array,
  input: Float64Array,
  output: Float64Array,
  scratch?: Float64Array,
): void {
  const n = input.length;
  switch (kind) {
    case "NoX": {
      const d = ss.D;
      for (let j = 0; j < n; j++) output[j] = d * input[j];
      return;
    }
    case "OneX": {
      const a = ss.A.data[0];
      const b = ss.C[0] * ss.B[0];
      for (let j = 0; j < n; j++) {
        const x = X[j] * a + b * input[j];
        X[j] = x;
        output[j] = x;
      }
      return;
    }
    case "NoD":
    case "General": {
      const order = ss.A.rows;
      const A = ss.A.data;
      const B = ss.B;
      const C = ss.C;
      const D = ss.D;
      const general = kind === "General";
      if (order > 1 && (scratch === undefined || scratch.length < order)) {
        throw new RangeError(`stepLinearFilter needs a scratch array of length ${order}`);
      }
      for (let j = 0; j < n; j++) {
        const u = input[j];
        let y = 0;
        if (general) {
          for (let k = 0; k < order; k++) y += C[k] * X[k * n + j];
          y += D * u;
        }
        if (order === 1) {
          X[j] = A[0] * X[j] + B[0] * u;
        } else {
          const s = scratch as Float64Array;
          for (let i = 0; i < order; i++) {
            let acc = 0;
            const ri = i * order;
            for (let k = 0; k < order; k++) acc += A[ri + k] * X[k * n + j];
            s[i] = acc + B[i] * u;
          }
          for (let i = 0; i < order; i++) X[i * n + j] = s[i];
        }
        if (!general) for (let k = 0; k < order; k++) y += C[k] * X[k * n + j];
        output[j] = y;
      }
      return;
    }
  }
}

/** Base class of synapse models (Nengo's Synapse): filters each dimension of a signal independently. */
export abstract class Synapse {
  /** Default timestep used by {@link Synapse.filt} (0.001). */
  readonly defaultDt: number = 0.001;

  /** Key that is equal for synapses with the same behaviour. */
  abstract get mergeKey(): string;

  /** A stepper for `n` channels at timestep `dt` whose output starts at `y0` (steady state). */
  abstract makeStep(dt: number, n: number, y0?: number | Float64Array): SynapseStep;

  /**
   * Filter a signal along time (Nengo's `filt`): `x` is `[steps][n]` (or `[steps]` for one channel);
   * returns the same shape. Output `i` is the step applied to input `i` (no extra delay).
   */
  filt(x: number[] | number[][], dt: number = this.defaultDt, y0: number = 0): number[] | number[][] {
    const oneD = x.length > 0 && typeof x[0] === "number";
    const rows = oneD ? (x as number[]).map((v) => [v]) : (x as number[][]);
    const n = rows.length > 0 ? rows[0].length : 1;
    const st = this.makeStep(dt, n, y0);
    const u = new Float64Array(n);
    const y = new Float64Array(n);
    const out: number[][] = [];
    for (const row of rows) {
      u.set(row);
      st.step(u, y);
      out.push(Array.from(y));
    }
    return oneD ? out.map((r) => r[0]) : out;
  }
}

/** A ready-to-run synapse for a block of channels: owns its state; `step` is allocation-free. */
export interface SynapseStep {
  /** Advance one step: read `input`, write `output` (length n each). */
  step(input: Float64Array, output: Float64Array): void;
  /** Put the state back to its initial value. */
  reset(): void;
}

/** Options of {@link LinearFilter}. */
export interface LinearFilterOptions {
  /** Whether num/den describe a continuous (s-domain) system; digital otherwise (default true). */
  analog?: boolean;
  /** Discretisation method for analog filters (default "zoh"). */
  method?: DiscretizeMethod;
}

/**
 * General linear filter given by the transfer function `num(s) / den(s)` (coefficients highest power first).
 * Analog filters are converted with `tf2ss` (controller canonical form) and discretised with zero-order hold.
 */
export class LinearFilter extends Synapse {
  /** Numerator coefficients. */
  readonly num: readonly number[];
  /** Denominator coefficients. */
  readonly den: readonly number[];
  /** Continuous (true) or discrete (false) transfer function. */
  readonly analog: boolean;
  /** Discretisation method. */
  readonly method: DiscretizeMethod;

  /** @param num numerator; @param den denominator; @param options `{ analog = true, method = "zoh" }` */
  constructor(num: readonly number[], den: readonly number[], options: LinearFilterOptions = {}) {
    super();
    if (!Array.isArray(num) || !Array.isArray(den) || den.length === 0) {
      throw new ValidationError("num and den must be non-empty arrays of numbers", "num,den", this);
    }
    this.num = [...num];
    this.den = [...den];
    this.analog = options.analog ?? true;
    this.method = options.method ?? "zoh";
  }

  /** Discrete state-space form `{A, B, C, D}` at timestep `dt` (SISO, applied to every dimension). */
  discretize(dt: number): StateSpace {
    const ss = tf2ss(this.num, this.den);
    if (this.analog && ss.A.rows > 0) return cont2discrete(ss, dt, this.method);
    return ss;
  }

  /** Nengo's step rule for this filter at `dt`. */
  stepKind(dt: number): StepKind {
    return classifyStep(this.discretize(dt));
  }

  /**
   * Initial state for `n` channels so that the output starts at `y0` (Nengo's make_state): zeros when
   * y0 is 0; otherwise the steady state for the constant input giving `y0` (throws if the DC gain is ~0).
   */
  initialState(dt: number, n: number, y0: number | Float64Array = 0): Float64Array {
    const ss = this.discretize(dt);
    const order = ss.A.rows;
    const X = new Float64Array(order * n);
    const y = (j: number): number => (typeof y0 === "number" ? y0 : y0[j]);
    let allZero = true;
    for (let j = 0; j < n; j++) if (y(j) !== 0) allZero = false;
    if (allZero || order === 0) return X;
    if (classifyStep(ss) === "OneX") {
      const b = ss.B[0] * ss.C[0];
      for (let j = 0; j < n; j++) X[j] = (b / (1 - ss.A.data[0])) * y(j);
      return X;
    }
    const ima: Mat = eye(order);
    for (let i = 0; i < order * order; i++) ima.data[i] -= ss.A.data[i];
    const iab = solve(ima, Float64Array.from(ss.B));
    let q = ss.D;
    for (let k = 0; k < order; k++) q += ss.C[k] * iab[k];
    if (!(Math.abs(q) > 1e-8)) {
      throw new ValidationError("Cannot solve for state if DC gain is zero. Please set `y0=0`.", "y0", this);
    }
    for (let j = 0; j < n; j++) {
      const u0 = y(j) / q;
      for (let k = 0; k < order; k++) X[k * n + j] = iab[k] * u0;
    }
    return X;
  }

  /** A stepper for `n` channels (state initialised by {@link LinearFilter.initialState}). */
  makeStep(dt: number, n: number, y0: number | Float64Array = 0): SynapseStep {
    const ss = this.discretize(dt);
    const kind = classifyStep(ss);
    const X0 = this.initialState(dt, n, y0);
    const X = Float64Array.from(X0);
    const scratch = new Float64Array(Math.max(1, ss.A.rows));
    return {
      step: (input: Float64Array, output: Float64Array): void => stepLinearFilter(kind, ss, X, input, output, scratch),
      reset: (): void => X.set(X0),
    };
  }

  /** Series combination with another LinearFilter (polynomial products of num and den). */
  combine(other: LinearFilter): LinearFilter {
    if (!(other instanceof LinearFilter)) throw new ValidationError("Can only combine with other LinearFilters", "obj");
    if (this.analog !== other.analog) throw new ValidationError("Cannot combine analog and digital filters", "obj");
    return new LinearFilter(polymul(this.num, other.num), polymul(this.den, other.den), {
      analog: this.analog,
      method: this.method,
    });
  }

  /** Key equal for filters with the same coefficients and discretisation. */
  get mergeKey(): string {
    return `LinearFilter(${JSON.stringify(this.num)},${JSON.stringify(this.den)},${this.analog},${this.method})`;
  }

  /** `LinearFilter([num], [den])`. */
  override toString(): string {
    return `LinearFilter(${JSON.stringify(this.num)}, ${JSON.stringify(this.den)})`;
  }
}

function polymul(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j] += a[i] * b[j];
  return out;
}

function checkTau(obj: unknown, tau: number): void {
  if (typeof tau !== "number" || !(tau >= 0)) throw new ValidationError(`must be >= 0, got ${String(tau)}`, "tau", obj);
}

/** First-order lowpass `1 / (tau s + 1)`; impulse response `exp(-t / tau) / tau`. `Lowpass(0)` is a passthrough. */
export class Lowpass extends LinearFilter {
  /** Time constant (s). */
  readonly tau: number;
  /** @param tau time constant in seconds (>= 0); @param options `{ analog, method }` */
  constructor(tau: number, options: LinearFilterOptions = {}) {
    super([1], [tau, 1], options);
    checkTau(this, tau);
    this.tau = tau;
  }
  /** `Lowpass(tau)`. */
  override toString(): string {
    return `Lowpass(${this.tau})`;
  }
}

/** Alpha filter `1 / (tau s + 1)^2`; impulse response `(t / tau^2) exp(-t / tau)`. */
export class Alpha extends LinearFilter {
  /** Time constant (s). */
  readonly tau: number;
  /** @param tau time constant in seconds (>= 0); @param options `{ analog, method }` */
  constructor(tau: number, options: LinearFilterOptions = {}) {
    super([1], [tau * tau, 2 * tau, 1], options);
    checkTau(this, tau);
    this.tau = tau;
  }
  /** `Alpha(tau)`. */
  override toString(): string {
    return `Alpha(${this.tau})`;
  }
}

/** Nengo's synapse argument: a number means `Lowpass(number)`, null/undefined means no synapse. */
export function toSynapse(s: Synapse | number | null | undefined): Synapse | null {
  if (s === null || s === undefined) return null;
  if (typeof s === "number") return new Lowpass(s);
  if (s instanceof Synapse) return s;
  throw new ValidationError("must be a Synapse, a number or null", "synapse");
}
