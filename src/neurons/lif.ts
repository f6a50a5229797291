/** Leaky integrate-and-fire family: LIFRate, LIF, AdaptiveLIFRate, AdaptiveLIF and NengoDL's SoftLIFRate. */
import { ValidationError } from "../errors.js";
import { NeuronType, type StateInit } from "./base.js";
import { checkPositive } from "./simple.js";
import { uniformVoltage } from "./init.js";

/** Options of {@link LIFRate}. */
export interface LIFRateOptions {
  /** Membrane RC time constant in seconds (default 0.02). */
  tauRc?: number;
  /** Absolute refractory period in seconds (default 0.002). */
  tauRef?: number;
  /** Scaling factor on the output (default 1). */
  amplitude?: number;
  /** Overrides of state initial values. */
  initialState?: Record<string, StateInit>;
}

/** Options of {@link LIF}. */
export interface LIFOptions extends LIFRateOptions {
  /** Minimum membrane voltage, <= 0 (default 0; `-Infinity` never clips). */
  minVoltage?: number;
}

/** Options of the adaptive types: adaptation time constant and increment. */
export interface AdaptiveOptions {
  /** Adaptation time constant in seconds (default 1). */
  tauN?: number;
  /** Adaptation increment per spike (default 0.01). */
  incN?: number;
}

/** LIF rate kernel: `out[i] = amp / (tauRef + tauRc * log1p(1 / (J[i] - sub[i] - 1)))` where positive, else 0. */
function lifRateKernel(
  tauRc: number,
  tauRef: number,
  amp: number,
  J: Float64Array,
  sub: Float64Array | null,
  output: Float64Array,
): void {
  for (let i = 0; i < J.length; i++) {
    const j = (sub === null ? J[i] : J[i] - sub[i]) - 1;
    output[i] = j > 0 ? amp / (tauRef + tauRc * Math.log1p(1 / j)) : 0;
  }
}

/** Nengo 4's LIF step on currents `J - sub` (sub may be null), in place. */
function lifSpikingKernel(
  tauRc: number,
  tauRef: number,
  minVoltage: number,
  amp: number,
  dt: number,
  J: Float64Array,
  sub: Float64Array | null,
  output: Float64Array,
  voltage: Float64Array,
  refractoryTime: Float64Array,
): void {
  const h = amp / dt;
  const fullStep = Math.expm1(-dt / tauRc); // the common case (not refractory) needs no expm1 call
  for (let i = 0; i < J.length; i++) {
    const ji = sub === null ? J[i] : J[i] - sub[i];
    // reduce refractory time by dt; neurons finishing mid-step get a partial step
    const rt = refractoryTime[i] - dt;
    let v = voltage[i];
    if (rt <= 0) v -= (ji - v) * fullStep;
    else if (rt < dt) v -= (ji - v) * Math.expm1(-(dt - rt) / tauRc);
    if (v > 1) {
      output[i] = h;
      // spike time within the step (v(0) = 1), overshoot counts towards the refractory period
      const tSpike = dt + tauRc * Math.log1p(-(v - 1) / (ji - 1));
      voltage[i] = 0;
      refractoryTime[i] = tauRef + tSpike;
    } else {
      output[i] = 0;
      voltage[i] = v < minVoltage ? minVoltage : v;
      refractoryTime[i] = rt;
    }
  }
}

/** Non-spiking leaky integrate-and-fire: `amplitude / (tauRef + tauRc * log1p(1 / (J - 1)))` for J > 1. */
export class LIFRate extends NeuronType {
  /** Not spiking. */
  readonly spiking: boolean = false;
  /** Membrane RC time constant (s). */
  readonly tauRc: number;
  /** Refractory period (s). */
  readonly tauRef: number;
  /** Output scaling factor. */
  readonly amplitude: number;
  /** @param options `{ tauRc = 0.02, tauRef = 0.002, amplitude = 1, initialState }` */
  constructor(options: LIFRateOptions = {}) {
    super(options.initialState);
    this.tauRc = options.tauRc ?? 0.02;
    this.tauRef = options.tauRef ?? 0.002;
    this.amplitude = options.amplitude ?? 1;
    checkPositive(this, "tauRc", this.tauRc);
    checkPositive(this, "tauRef", this.tauRef, true);
    checkPositive(this, "amplitude", this.amplitude);
    this.validateInitialState();
  }
  /** `{ tauRc, tauRef, amplitude }` */
  get params(): Record<string, unknown> {
    return { tauRc: this.tauRc, tauRef: this.tauRef, amplitude: this.amplitude };
  }
  /** LIF rate curve (always the rate approximation, also for LIF/AdaptiveLIF). */
  ratesFromCurrent(J: Float64Array): Float64Array {
    const out = new Float64Array(J.length);
    lifRateKernel(this.tauRc, this.tauRef, this.amplitude, J, null, out);
    return out;
  }
  /** Analytic gain and bias (Nengo's LIFRate.gain_bias). Throws if a max rate is >= 1 / tauRef. */
  gainBias(maxRates: Float64Array, intercepts: Float64Array): { gain: Float64Array; bias: Float64Array } {
    const invTauRef = this.tauRef > 0 ? 1 / this.tauRef : Infinity;
    const n = maxRates.length;
    for (let i = 0; i < n; i++) {
      if (!(maxRates[i] < invTauRef)) {
        throw new ValidationError(
          `Max rates must be below the inverse refractory period (${invTauRef.toFixed(3)})`,
          "maxRates",
          this,
        );
      }
    }
    const gain = new Float64Array(n);
    const bias = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = 1 / (1 - Math.exp((this.tauRef - 1 / maxRates[i]) / this.tauRc));
      gain[i] = (1 - x) / (intercepts[i] - 1);
      bias[i] = 1 - gain[i] * intercepts[i];
    }
    return { gain, bias };
  }
  /** Inverse of gainBias (Nengo's LIFRate.max_rates_intercepts). */
  maxRatesIntercepts(gain: Float64Array, bias: Float64Array): { maxRates: Float64Array; intercepts: Float64Array } {
    const n = gain.length;
    const maxRates = new Float64Array(n);
    const intercepts = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      intercepts[i] = (1 - bias[i]) / gain[i];
      maxRates[i] = 1 / (this.tauRef - this.tauRc * Math.log1p(1 / (gain[i] * (intercepts[i] - 1) - 1)));
    }
    return { maxRates, intercepts };
  }
  /** `output = LIF rate of J`. */
  step(dt: number, J: Float64Array, output: Float64Array, _state?: Record<string, Float64Array>): void {
    lifRateKernel(this.tauRc, this.tauRef, this.amplitude, J, null, output);
  }
}

/**
 * Spiking leaky integrate-and-fire (Nengo 4): exact exponential voltage update over the
 * non-refractory part of the step, spike-time interpolation into the refractory period,
 * `minVoltage` floor. State: `voltage` ~ Uniform(0, 1), `refractoryTime` = 0.
 */
export class LIF extends LIFRate {
  /** Spiking. */
  override readonly spiking: boolean = true;
  /** Minimum membrane voltage. */
  readonly minVoltage: number;
  /** @param options `{ tauRc = 0.02, tauRef = 0.002, minVoltage = 0, amplitude = 1, initialState }` */
  constructor(options: LIFOptions = {}) {
    super(options);
    this.minVoltage = options.minVoltage ?? 0;
    if (!(this.minVoltage <= 0)) throw new ValidationError(`must be <= 0, got ${this.minVoltage}`, "minVoltage", this);
  }
  /** `{ tauRc, tauRef, minVoltage, amplitude }` */
  override get params(): Record<string, unknown> {
    return { tauRc: this.tauRc, tauRef: this.tauRef, minVoltage: this.minVoltage, amplitude: this.amplitude };
  }
  /** `voltage: Uniform(0, 1), refractoryTime: 0` */
  protected override get defaultState(): Record<string, StateInit> {
    return { voltage: uniformVoltage(), refractoryTime: 0 };
  }
  /** One LIF step (state: voltage, refractoryTime). */
  override step(dt: number, J: Float64Array, output: Float64Array, state: Record<string, Float64Array>): void {
    lifSpikingKernel(
      this.tauRc,
      this.tauRef,
      this.minVoltage,
      this.amplitude,
      dt,
      J,
      null,
      output,
      state.voltage,
      state.refractoryTime,
    );
  }
}

/**
 * Adaptive non-spiking LIF: rate of `J - adaptation`, then
 * `adaptation += (dt / tauN) * (incN * output - adaptation)`. State: `adaptation` = 0.
 * `rates`/`ratesFromCurrent` ignore adaptation (as Nengo).
 */
export class AdaptiveLIFRate extends LIFRate {
  /** Adaptation time constant (s). */
  readonly tauN: number;
  /** Adaptation increment. */
  readonly incN: number;
  /** @param options `{ tauN = 1, incN = 0.01, tauRc = 0.02, tauRef = 0.002, amplitude = 1, initialState }` */
  constructor(options: LIFRateOptions & AdaptiveOptions = {}) {
    super(options);
    this.tauN = options.tauN ?? 1;
    this.incN = options.incN ?? 0.01;
    checkPositive(this, "tauN", this.tauN);
    checkPositive(this, "incN", this.incN, true);
    this.validateInitialState();
  }
  /** `{ tauN, incN, tauRc, tauRef, amplitude }` */
  override get params(): Record<string, unknown> {
    return { tauN: this.tauN, incN: this.incN, tauRc: this.tauRc, tauRef: this.tauRef, amplitude: this.amplitude };
  }
  /** `adaptation: 0` */
  protected override get defaultState(): Record<string, StateInit> {
    return { adaptation: 0 };
  }
  /** One adaptive rate step (state: adaptation). */
  override step(dt: number, J: Float64Array, output: Float64Array, state: Record<string, Float64Array>): void {
    const n = state.adaptation;
    lifRateKernel(this.tauRc, this.tauRef, this.amplitude, J, n, output);
    const k = dt / this.tauN;
    const inc = this.incN;
    for (let i = 0; i < J.length; i++) n[i] += k * (inc * output[i] - n[i]);
  }
}

/**
 * Adaptive spiking LIF: LIF step on `J - adaptation`, then
 * `adaptation += (dt / tauN) * (incN * output - adaptation)` (output in amplitude/dt units, as Nengo).
 * State: `voltage` ~ Uniform(0, 1), `refractoryTime` = 0, `adaptation` = 0.
 */
export class AdaptiveLIF extends LIF {
  /** Adaptation time constant (s). */
  readonly tauN: number;
  /** Adaptation increment. */
  readonly incN: number;
  /** @param options `{ tauN = 1, incN = 0.01, tauRc, tauRef, minVoltage, amplitude, initialState }` */
  constructor(options: LIFOptions & AdaptiveOptions = {}) {
    super(options);
    this.tauN = options.tauN ?? 1;
    this.incN = options.incN ?? 0.01;
    checkPositive(this, "tauN", this.tauN);
    checkPositive(this, "incN", this.incN, true);
    this.validateInitialState();
  }
  /** `{ tauN, incN, tauRc, tauRef, minVoltage, amplitude }` */
  override get params(): Record<string, unknown> {
    return {
      tauN: this.tauN,
      incN: this.incN,
      tauRc: this.tauRc,
      tauRef: this.tauRef,
      minVoltage: this.minVoltage,
      amplitude: this.amplitude,
    };
  }
  /** `voltage: Uniform(0, 1), refractoryTime: 0, adaptation: 0` */
  protected override get defaultState(): Record<string, StateInit> {
    return { voltage: uniformVoltage(), refractoryTime: 0, adaptation: 0 };
  }
  /** One adaptive LIF step (state: voltage, refractoryTime, adaptation). */
  override step(dt: number, J: Float64Array, output: Float64Array, state: Record<string, Float64Array>): void {
    const n = state.adaptation;
    lifSpikingKernel(
      this.tauRc,
      this.tauRef,
      this.minVoltage,
      this.amplitude,
      dt,
      J,
      n,
      output,
      state.voltage,
      state.refractoryTime,
    );
    const k = dt / this.tauN;
    const inc = this.incN;
    for (let i = 0; i < J.length; i++) n[i] += k * (inc * output[i] - n[i]);
  }
}

/** Options of {@link SoftLIFRate}. */
export interface SoftLIFRateOptions extends LIFRateOptions {
  /** Amount of smoothing around the firing threshold (default 1). */
  sigma?: number;
}

/**
 * NengoDL's SoftLIFRate: LIF rate curve with the threshold smoothed by softplus,
 * `amplitude / (tauRef + tauRc * q)`, `z = sigma * softplus((J - 1) / sigma)`,
 * `q = log1p(1 / z)` (or `-js - log(sigma)` for `js = (J - 1) / sigma <= -20`).
 * `gainBias`/`maxRatesIntercepts` are LIFRate's.
 */
export class SoftLIFRate extends LIFRate {
  /** Smoothing amount. */
  readonly sigma: number;
  /** @param options `{ sigma = 1, tauRc = 0.02, tauRef = 0.002, amplitude = 1 }` */
  constructor(options: SoftLIFRateOptions = {}) {
    super(options);
    this.sigma = options.sigma ?? 1;
    checkPositive(this, "sigma", this.sigma);
    this.validateInitialState();
  }
  /** `{ sigma, tauRc, tauRef, amplitude }` */
  override get params(): Record<string, unknown> {
    return { sigma: this.sigma, tauRc: this.tauRc, tauRef: this.tauRef, amplitude: this.amplitude };
  }
  /** Soft LIF rate curve. */
  override ratesFromCurrent(J: Float64Array): Float64Array {
    const out = new Float64Array(J.length);
    this.step(1, J, out);
    return out;
  }
  /** `output = soft LIF rate of J`. */
  override step(dt: number, J: Float64Array, output: Float64Array): void {
    const sigma = this.sigma;
    const logSigma = Math.log(sigma);
    for (let i = 0; i < J.length; i++) {
      const js = (J[i] - 1) / sigma;
      let q: number;
      if (js > -20) {
        const z = (js > 30 ? js : Math.log1p(Math.exp(js))) * sigma;
        q = Math.log1p(1 / z);
      } else {
        q = -js - logSigma;
      }
      output[i] = this.amplitude / (this.tauRef + this.tauRc * q);
    }
  }
}
