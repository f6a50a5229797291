/** Rate-to-spike converters: RegularSpiking and PoissonSpiking wrap a rate neuron type. */
import { SimulationError, ValidationError } from "../errors.js";
import { NeuronType, type NeuronRng, type StateInit } from "./base.js";
import { checkPositive } from "./simple.js";
import { uniformVoltage } from "./init.js";

/** Options of the rate-to-spike types. */
export interface RatesToSpikesOptions {
  /** Scaling factor on the output spikes (default 1). */
  amplitude?: number;
  /** Overrides of the type's own state initial values (not the base type's). */
  initialState?: Record<string, StateInit>;
}

/**
 * Base of the types that turn a rate type into a spiking one. Rates, gain/bias and their inverse are the
 * base type's. Nengo builds two operators: the base type writes rates into `rate_out`, then this type turns
 * `rate_out` into spikes. Here {@link RatesToSpikesNeuronType.step} does both (the base type's state plus
 * a scratch `rateOut` array live in the same state record, see `state`), and
 * {@link RatesToSpikesNeuronType.stepSpikes} does only the second stage for simulators that keep the two apart.
 */
export abstract class RatesToSpikesNeuronType extends NeuronType {
  /** Spiking. */
  readonly spiking = true;
  /** Whether outputs can be negative: the base type's. */
  override readonly negative: boolean;
  /** The wrapped rate type. */
  readonly baseType: NeuronType;
  /** Output scaling factor. */
  readonly amplitude: number;

  /** @param baseType the rate type whose output rates are converted; @param options `{ amplitude = 1, initialState }` */
  constructor(baseType: NeuronType, options: RatesToSpikesOptions = {}) {
    super(options.initialState);
    if (!(baseType instanceof NeuronType)) throw new ValidationError("must be a NeuronType", "baseType", this);
    this.baseType = baseType;
    this.amplitude = options.amplitude ?? 1;
    this.negative = baseType.negative;
    checkPositive(this, "amplitude", this.amplitude);
    if (baseType.spiking) {
      process.emitWarning(
        `'baseType' is type '${baseType.constructor.name}', which is a spiking neuron type. ` +
          "We recommend using the non-spiking equivalent type, if one exists.",
      );
    }
    const baseState = baseType.state;
    for (const s of Object.keys(this.defaultState)) {
      if (s in baseState || s === "rateOut") {
        throw new ValidationError(`${this} and ${baseType} have an overlapping state variable (${s})`, "state", this);
      }
    }
    this.validateInitialState();
  }

  /** `{ baseType, amplitude }` */
  get params(): Record<string, unknown> {
    return { baseType: this.baseType, amplitude: this.amplitude };
  }

  /** Includes the base type's key. */
  override get mergeKey(): string {
    return `${this.constructor.name}(${this.baseType.mergeKey}, ${this.amplitude})`;
  }

  /** Own state variables only (with initialState overrides): what the second Nengo operator owns. */
  get spikeState(): Record<string, StateInit> {
    return { ...this.defaultState, ...this.initialState };
  }

  /**
   * All state for the combined {@link step}: the base type's state, then this type's own state, then
   * `rateOut: 0` (the base type's rates; Nengo's probeable `rate_out`). Nengo samples the base type's
   * state and this type's own state each from a fresh `RandomState(ensembleSeed + 1)`.
   */
  override get state(): Record<string, StateInit> {
    return { ...this.baseType.state, ...this.spikeState, rateOut: 0 };
  }

  /** The base type's rates. */
  override rates(x: Float64Array, gain: Float64Array, bias: Float64Array): Float64Array {
    return this.baseType.rates(x, gain, bias);
  }
  /** The base type's rates. */
  ratesFromCurrent(J: Float64Array): Float64Array {
    return this.baseType.ratesFromCurrent(J);
  }
  /** The base type's gain and bias. */
  gainBias(maxRates: Float64Array, intercepts: Float64Array): { gain: Float64Array; bias: Float64Array } {
    return this.baseType.gainBias(maxRates, intercepts);
  }
  /** The base type's inverse of gainBias. */
  maxRatesIntercepts(gain: Float64Array, bias: Float64Array): { maxRates: Float64Array; intercepts: Float64Array } {
    return this.baseType.maxRatesIntercepts(gain, bias);
  }

  /** Base type step into `state.rateOut`, then {@link stepSpikes} from it into `output`. */
  step(dt: number, J: Float64Array, output: Float64Array, state: Record<string, Float64Array>, rng?: NeuronRng): void {
    const rateOut = state.rateOut;
    this.baseType.step(dt, J, rateOut, state, rng);
    this.stepSpikes(dt, rateOut, output, state, rng);
  }

  /** Turn rates (Hz) into spikes (height amplitude/dt) in place; `state` holds this type's own state. */
  abstract stepSpikes(
    dt: number,
    rates: Float64Array,
    output: Float64Array,
    state: Record<string, Float64Array>,
    rng?: NeuronRng,
  ): void;
}

/**
 * Regular spiking: integrates the base rate, `voltage += dt * rate`, emits `floor(voltage)` spikes.
 * Own state: `voltage` ~ Uniform(0, 1).
 */
export class RegularSpiking extends RatesToSpikesNeuronType {
  /** @param baseType rate type; @param options `{ amplitude = 1, initialState }` */
  constructor(baseType: NeuronType, options: RatesToSpikesOptions = {}) {
    super(baseType, options);
  }
  /** `voltage: Uniform(0, 1)` */
  protected override get defaultState(): Record<string, StateInit> {
    return { voltage: uniformVoltage() };
  }
  /** Regular spike generation from rates. */
  stepSpikes(dt: number, rates: Float64Array, output: Float64Array, state: Record<string, Float64Array>): void {
    const v = state.voltage;
    const h = this.amplitude / dt;
    for (let i = 0; i < rates.length; i++) {
      const vi = v[i] + dt * rates[i];
      const ns = Math.floor(vi);
      output[i] = h * ns;
      v[i] = vi - ns;
    }
  }
}

/**
 * Poisson spiking: each step emits `poisson(rate * dt)` spikes (`|rate|` with the rate's sign when the
 * base type is negative). Needs the simulator's RandomState as the `rng` argument of `step`/`stepSpikes`
 * (Nengo: `RandomState(ensembleSeed + 1)`, drawn once per neuron in order each step). No own state.
 */
export class PoissonSpiking extends RatesToSpikesNeuronType {
  /** Needs an rng at step time. */
  override readonly needsRng: boolean = true;
  /** @param baseType rate type; @param options `{ amplitude = 1, initialState }` */
  constructor(baseType: NeuronType, options: RatesToSpikesOptions = {}) {
    super(baseType, options);
  }
  /** Poisson spike generation from rates. */
  stepSpikes(
    dt: number,
    rates: Float64Array,
    output: Float64Array,
    _state: Record<string, Float64Array>,
    rng?: NeuronRng,
  ): void {
    if (rng === undefined) throw new SimulationError(`${this} needs a random number generator in step`);
    const h = this.amplitude / dt;
    if (this.negative) {
      for (let i = 0; i < rates.length; i++) {
        const r = rates[i];
        output[i] = h * rng.poisson(Math.abs(r) * dt) * Math.sign(r);
      }
    } else {
      for (let i = 0; i < rates.length; i++) output[i] = h * rng.poisson(rates[i] * dt);
    }
  }
}
