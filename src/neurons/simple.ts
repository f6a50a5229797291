/** Direct mode and the simple rate/spiking types: RectifiedLinear, SpikingRectifiedLinear, Sigmoid, Tanh. */
import { SimulationError, ValidationError } from "../errors.js";
import { NeuronType, type StateInit } from "./base.js";
import { uniformVoltage } from "./init.js";

/**
 * Direct mode: the ensemble computes its function exactly, with no neurons. `rates` returns `x`;
 * `gainBias`/`maxRatesIntercepts` return empty arrays (Nengo returns `None, None`); `step` throws.
 */
export class Direct extends NeuronType {
  /** Direct mode is not spiking. */
  readonly spiking = false;
  /** As Nengo's base class: outputs may be negative. */
  override readonly negative: boolean = true;
  /** @param options `initialState` is accepted for symmetry but Direct has no state. */
  constructor(options: { initialState?: Record<string, StateInit> } = {}) {
    super(options.initialState);
    this.validateInitialState();
  }
  /** No parameters. */
  get params(): Record<string, unknown> {
    return {};
  }
  /** Always returns a copy of `x` (Nengo: "Always returns x"). */
  override rates(x: Float64Array, _gain?: Float64Array, _bias?: Float64Array): Float64Array {
    return Float64Array.from(x);
  }
  /** Identity: returns a copy of J. */
  ratesFromCurrent(J: Float64Array): Float64Array {
    return Float64Array.from(J);
  }
  /** Nengo returns `None, None`; here empty arrays. */
  gainBias(): { gain: Float64Array; bias: Float64Array } {
    return { gain: new Float64Array(0), bias: new Float64Array(0) };
  }
  /** Nengo returns `None, None`; here empty arrays. */
  maxRatesIntercepts(): { maxRates: Float64Array; intercepts: Float64Array } {
    return { maxRates: new Float64Array(0), intercepts: new Float64Array(0) };
  }
  /** Direct neurons are never simulated. */
  step(): void {
    throw new SimulationError("Direct mode neurons shouldn't be simulated.");
  }
}

/** Throws a ValidationError unless `value` is a finite number > 0. */
export function checkPositive(obj: unknown, attr: string, value: number, allowZero = false): void {
  if (typeof value !== "number" || Number.isNaN(value) || (allowZero ? value < 0 : value <= 0)) {
    throw new ValidationError(`must be ${allowZero ? ">= 0" : "> 0"}, got ${String(value)}`, attr, obj);
  }
}

/** Options of {@link RectifiedLinear} and {@link SpikingRectifiedLinear}. */
export interface RectifiedLinearOptions {
  /** Scaling factor on the output (default 1). */
  amplitude?: number;
  /** Overrides of state initial values. */
  initialState?: Record<string, StateInit>;
}

/** Rectified linear rate neuron: `amplitude * max(0, J)`. */
export class RectifiedLinear extends NeuronType {
  /** Not spiking. */
  readonly spiking: boolean = false;
  /** Output scaling factor. */
  readonly amplitude: number;
  /** @param options `{ amplitude = 1, initialState }` */
  constructor(options: RectifiedLinearOptions = {}) {
    super(options.initialState);
    this.amplitude = options.amplitude ?? 1;
    checkPositive(this, "amplitude", this.amplitude);
    this.validateInitialState();
  }
  /** `{ amplitude }` */
  get params(): Record<string, unknown> {
    return { amplitude: this.amplitude };
  }
  /** `amplitude * max(0, J)`. */
  ratesFromCurrent(J: Float64Array): Float64Array {
    const out = new Float64Array(J.length);
    RectifiedLinear.prototype.step.call(this, 1, J, out, {});
    return out;
  }
  /** `gain = maxRates / (1 - intercepts)`, `bias = -intercepts * gain`. */
  gainBias(maxRates: Float64Array, intercepts: Float64Array): { gain: Float64Array; bias: Float64Array } {
    const n = maxRates.length;
    const gain = new Float64Array(n);
    const bias = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      gain[i] = maxRates[i] / (1 - intercepts[i]);
      bias[i] = -intercepts[i] * gain[i];
    }
    return { gain, bias };
  }
  /** Inverse of gainBias. */
  maxRatesIntercepts(gain: Float64Array, bias: Float64Array): { maxRates: Float64Array; intercepts: Float64Array } {
    const n = gain.length;
    const maxRates = new Float64Array(n);
    const intercepts = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      intercepts[i] = -bias[i] / gain[i];
      maxRates[i] = gain[i] * (1 - intercepts[i]);
    }
    return { maxRates, intercepts };
  }
  /** `output = amplitude * max(0, J)`. */
  step(dt: number, J: Float64Array, output: Float64Array, _state?: Record<string, Float64Array>): void {
    const a = this.amplitude;
    for (let i = 0; i < J.length; i++) output[i] = a * Math.max(0, J[i]);
  }
}

/**
 * Spiking rectified linear (integrate-and-fire without leak): `voltage += max(J, 0) * dt`,
 * emits `floor(voltage)` spikes of height `amplitude / dt`. State: `voltage` ~ Uniform(0, 1).
 */
export class SpikingRectifiedLinear extends RectifiedLinear {
  /** Spiking. */
  override readonly spiking: boolean = true;
  /** @param options `{ amplitude = 1, initialState }` */
  constructor(options: RectifiedLinearOptions = {}) {
    super(options);
  }
  /** `voltage: Uniform(0, 1)` */
  protected override get defaultState(): Record<string, StateInit> {
    return { voltage: uniformVoltage() };
  }
  /** Integrate-and-fire step. */
  override step(dt: number, J: Float64Array, output: Float64Array, state: Record<string, Float64Array>): void {
    const v = state.voltage;
    const h = this.amplitude / dt;
    for (let i = 0; i < J.length; i++) {
      const vi = v[i] + Math.max(J[i], 0) * dt;
      const ns = Math.floor(vi);
      output[i] = h * ns;
      v[i] = vi - ns;
    }
  }
}

/** Options of {@link Sigmoid} and {@link Tanh}. */
export interface TauRefOptions {
  /** Refractory period in seconds; max rate is `1 / tauRef` (default 0.0025). */
  tauRef?: number;
  /** Overrides of state initial values. */
  initialState?: Record<string, StateInit>;
}

function checkBelowMax(obj: unknown, maxRates: Float64Array, invTauRef: number): void {
  for (let i = 0; i < maxRates.length; i++) {
    if (!(maxRates[i] < invTauRef)) {
      throw new ValidationError(
        `Max rates must be below the inverse refractory period (${invTauRef.toFixed(3)})`,
        "maxRates",
        obj,
      );
    }
  }
}

/** Rate types parameterised by a refractory period whose rate is their (stateless) step: Sigmoid, Tanh. */
abstract class TauRefRateType extends NeuronType {
  /** Refractory period (s). */
  readonly tauRef: number;
  /** @param options `{ tauRef = 0.0025, initialState }` */
  constructor(options: TauRefOptions = {}) {
    super(options.initialState);
    this.tauRef = options.tauRef ?? 0.0025;
    checkPositive(this, "tauRef", this.tauRef);
    this.validateInitialState();
  }
  /** `{ tauRef }` */
  get params(): Record<string, unknown> {
    return { tauRef: this.tauRef };
  }
  /** The step's output for each current (stateless). */
  ratesFromCurrent(J: Float64Array): Float64Array {
    const out = new Float64Array(J.length);
    this.step(1, J, out, {});
    return out;
  }
}

/** Sigmoid rate neuron: `(1 / tauRef) / (1 + exp(-J))`; intercepts are the inflection points. */
export class Sigmoid extends TauRefRateType {
  /** Not spiking. */
  readonly spiking = false;
  /** `inverse = -log(1/(tauRef*maxRates) - 1)`, `gain = inverse / (1 - intercepts)`, `bias = inverse - gain`. */
  gainBias(maxRates: Float64Array, intercepts: Float64Array): { gain: Float64Array; bias: Float64Array } {
    const inv = 1 / this.tauRef;
    checkBelowMax(this, maxRates, inv);
    const n = maxRates.length;
    const gain = new Float64Array(n);
    const bias = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const inverse = -Math.log(inv / maxRates[i] - 1);
      gain[i] = inverse / (1 - intercepts[i]);
      bias[i] = inverse - gain[i];
    }
    return { gain, bias };
  }
  /** Inverse of gainBias. */
  maxRatesIntercepts(gain: Float64Array, bias: Float64Array): { maxRates: Float64Array; intercepts: Float64Array } {
    const n = gain.length;
    const maxRates = new Float64Array(n);
    const intercepts = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const inverse = gain[i] + bias[i];
      intercepts[i] = 1 - inverse / gain[i];
      maxRates[i] = 1 / this.tauRef / (1 + Math.exp(-inverse));
    }
    return { maxRates, intercepts };
  }
  /** `output = (1 / tauRef) / (1 + exp(-J))`. */
  step(dt: number, J: Float64Array, output: Float64Array): void {
    const inv = 1 / this.tauRef;
    for (let i = 0; i < J.length; i++) output[i] = inv / (1 + Math.exp(-J[i]));
  }
}

/** Tanh rate neuron: `(1 / tauRef) * tanh(J)`; rates can be negative. */
export class Tanh extends TauRefRateType {
  /** Not spiking. */
  readonly spiking = false;
  /** Tanh outputs can be negative. */
  override readonly negative: boolean = true;
  /** `inverse = atanh(maxRates * tauRef)`, `gain = inverse / (1 - intercepts)`, `bias = -gain * intercepts`. */
  gainBias(maxRates: Float64Array, intercepts: Float64Array): { gain: Float64Array; bias: Float64Array } {
    checkBelowMax(this, maxRates, 1 / this.tauRef);
    const n = maxRates.length;
    const gain = new Float64Array(n);
    const bias = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const inverse = Math.atanh(maxRates[i] * this.tauRef);
      gain[i] = inverse / (1 - intercepts[i]);
      bias[i] = -gain[i] * intercepts[i];
    }
    return { gain, bias };
  }
  /** Inverse of gainBias. */
  maxRatesIntercepts(gain: Float64Array, bias: Float64Array): { maxRates: Float64Array; intercepts: Float64Array } {
    const n = gain.length;
    const maxRates = new Float64Array(n);
    const intercepts = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      intercepts[i] = -bias[i] / gain[i];
      maxRates[i] = (1 / this.tauRef) * Math.tanh(gain[i] + bias[i]);
    }
    return { maxRates, intercepts };
  }
  /** `output = (1 / tauRef) * tanh(J)`. */
  step(dt: number, J: Float64Array, output: Float64Array): void {
    const inv = 1 / this.tauRef;
    for (let i = 0; i < J.length; i++) output[i] = inv * Math.tanh(J[i]);
  }
}
