import type { Distribution } from "../dists/base.js";
import { ValidationError } from "../errors.js";

/** Initial value of one neuron state variable: a constant or a distribution sampled per neuron. */
export type StateInit = number | Distribution;

/**
 * Random source for stochastic neuron types (PoissonSpiking): the simulator passes its per-ensemble
 * RandomState (Nengo: `RandomState(ensembleSeed + 1)`), which draws `poisson(lam)` one value at a time.
 */
export interface NeuronRng {
  /** One Poisson-distributed draw with mean `lam` (numpy `RandomState.poisson`). */
  poisson(lam: number): number;
}

/**
 * A neuron model. Subclasses implement Nengo's formulas on float64 typed arrays.
 * `step` advances `n` neurons by one time step in place and must not allocate.
 */
export abstract class NeuronType {
  /** True for types whose output is spikes (amplitude/dt on spike steps). */
  abstract readonly spiking: boolean;
  /** True when rates can be negative (Tanh), which changes how intercepts are sampled. */
  readonly negative: boolean = false;
  /** True when `step` needs the `rng` argument (PoissonSpiking). */
  readonly needsRng: boolean = false;
  /** User overrides of state initial values (Nengo's `initial_state`), validated against `defaultState`. */
  readonly initialState: Readonly<Record<string, StateInit>>;

  /** @param initialState overrides for the initial values in `defaultState` (Nengo's `initial_state`). */
  constructor(initialState?: Record<string, StateInit>) {
    this.initialState = { ...(initialState ?? {}) };
  }

  /** Check `initialState` names against `defaultState`; subclasses call this at the end of their constructor. */
  protected validateInitialState(): void {
    const known = this.defaultState;
    for (const name of Object.keys(this.initialState)) {
      if (!(name in known)) {
        const names = Object.keys(known)
          .map((k) => `'${k}'`)
          .join(", ");
        throw new ValidationError(
          `State variable '${name}' not recognized; should be one of ${names}`,
          "initialState",
          this,
        );
      }
    }
  }

  /** The type's own state variables and their default initial values (no user overrides). */
  protected get defaultState(): Record<string, StateInit> {
    return {};
  }

  /**
   * Names and initial values of the state variables (e.g. LIF: voltage, refractoryTime), in the
   * order Nengo samples them from the ensemble's RandomState; user `initialState` overrides applied.
   */
  get state(): Record<string, StateInit> {
    return { ...this.defaultState, ...this.initialState };
  }

  /** Constructor parameters, for equality/merging and display (e.g. `{tauRc: 0.02, ...}`). */
  abstract get params(): Record<string, unknown>;

  /** Key that is equal for two instances that can share one merged operator. */
  get mergeKey(): string {
    return `${this.constructor.name}(${JSON.stringify(this.params)})`;
  }

  /** Steady-state firing rates for input `x` (one value per neuron, length n): r(gain*x + bias). */
  rates(x: Float64Array, gain: Float64Array, bias: Float64Array): Float64Array {
    const j = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) j[i] = gain[i] * x[i] + bias[i];
    return this.ratesFromCurrent(j);
  }

  /** Steady-state rates for input currents J. */
  abstract ratesFromCurrent(J: Float64Array): Float64Array;

  /** Gain and bias giving the requested max rates (at x=1) and intercepts. */
  abstract gainBias(maxRates: Float64Array, intercepts: Float64Array): { gain: Float64Array; bias: Float64Array };

  /** Inverse of gainBias. */
  abstract maxRatesIntercepts(
    gain: Float64Array,
    bias: Float64Array,
  ): {
    maxRates: Float64Array;
    intercepts: Float64Array;
  };

  /**
   * Advance one step: read currents `J`, write `output`, update `state` arrays (keys of `state`).
   * Arrays have one entry per neuron; no allocation. `rng` is required when `needsRng` is true.
   */
  abstract step(
    dt: number,
    J: Float64Array,
    output: Float64Array,
    state: Record<string, Float64Array>,
    rng?: NeuronRng,
  ): void;

  /** Nengo-style representation, e.g. `LIF(tauRc=0.02, tauRef=0.002, minVoltage=0, amplitude=1)`. */
  toString(): string {
    const p = Object.entries(this.params)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
    return `${this.constructor.name}(${p})`;
  }
}
