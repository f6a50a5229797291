/**
 * tfjs versions of the neuron types: the inference (spiking) path as Nengo's step, and a differentiable
 * rate path with analytic gradients (tf.customGrad) used in training mode, as NengoDL 2.x.
 */
import { ValidationError } from "../errors.js";
import type { NeuronType } from "../neurons/base.js";
import { LIF, LIFRate, RectifiedLinear, Sigmoid, SoftLIFRate, SpikingRectifiedLinear, Tanh } from "../neurons/index.js";
import { log1p, tf } from "./backend.js";
import { customGrad1, relu } from "./tensorops.js";

/** One merged neuron update on tensors [minibatch, n]. */
export interface TfNeuron {
  /** State variable names (as the builder's neuron op states). */
  readonly stateKeys: readonly string[];
  /** Advance one step; in training mode spiking types output their rate and pass state through unchanged. */
  step(
    J: tf.Tensor2D,
    states: Record<string, tf.Tensor2D>,
    dt: number,
    training: boolean,
  ): { out: tf.Tensor2D; states: Record<string, tf.Tensor2D> };
}

/** LIF rate `amp / (tauRef + tauRc * log(1 + 1/(J-1)))` for J > 1, else 0, with an analytic gradient. */
export function lifRate(tauRc: number, tauRef: number, amp: number): (J: tf.Tensor) => tf.Tensor {
  return customGrad1((J: tf.Tensor, save: tf.GradSaveFunc) => {
    const j = tf.sub(J, 1);
    const pos = tf.greater(j, 0);
    const js = tf.maximum(j, 1e-15);
    const den = tf.add(tauRef, tf.mul(tauRc, log1p(tf.reciprocal(js))));
    const value = tf.where(pos, tf.div(amp, den), tf.zerosLike(j));
    save([js, den, pos]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [s, d, p] = saved;
        // d rate / dJ = amp * tauRc / (den^2 * j * (j + 1))
        const g = tf.div(amp * tauRc, tf.mul(tf.square(d), tf.mul(s, tf.add(s, 1))));
        return tf.mul(dy, tf.where(p as tf.Tensor, g, tf.zerosLike(g)));
      },
    };
  }) as (J: tf.Tensor) => tf.Tensor;
}

/** NengoDL's SoftLIFRate (smoothed LIF rate) with an analytic gradient. */
export function softLifRate(sigma: number, tauRc: number, tauRef: number, amp: number): (J: tf.Tensor) => tf.Tensor {
  const logSigma = Math.log(sigma);
  return customGrad1((J: tf.Tensor, save: tf.GradSaveFunc) => {
    const js = tf.div(tf.sub(J, 1), sigma);
    const valid = tf.greater(js, -20);
    const jsv = tf.where(valid, js, tf.zerosLike(js));
    const z = tf.mul(tf.softplus(jsv), sigma);
    const q = tf.where(valid, log1p(tf.reciprocal(z)), tf.sub(tf.neg(js), logSigma));
    const den = tf.add(tauRef, tf.mul(tauRc, q));
    save([jsv, z, den, valid]);
    return {
      value: tf.div(amp, den),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [jv, zz, d, v] = saved;
        const inner = tf.where(
          v as tf.Tensor,
          tf.div(tf.sigmoid(jv), tf.mul(zz, tf.add(zz, 1))),
          tf.fill(zz.shape, 1 / sigma),
        );
        return tf.mul(dy, tf.mul(tf.div(amp * tauRc, tf.square(d)), inner));
      },
    };
  }) as (J: tf.Tensor) => tf.Tensor;
}

const same = (states: Record<string, tf.Tensor2D>): Record<string, tf.Tensor2D> => states;

/**
 * The tfjs implementation of a neuron type. `lifSmoothing` (configureSettings) makes LIF train through
 * SoftLIFRate with that sigma instead of LIFRate. Unsupported types throw a ValidationError.
 */
export function tfNeuron(nt: NeuronType, lifSmoothing: number | null): TfNeuron {
  // order matters: subclasses first
  if (nt instanceof SoftLIFRate) {
    const f = softLifRate(nt.sigma, nt.tauRc, nt.tauRef, nt.amplitude);
    return { stateKeys: [], step: (J, s) => ({ out: f(J) as tf.Tensor2D, states: same(s) }) };
  }
  if (nt instanceof LIF && nt.constructor === LIF) {
    const rate =
      lifSmoothing === null
        ? lifRate(nt.tauRc, nt.tauRef, nt.amplitude)
        : softLifRate(lifSmoothing, nt.tauRc, nt.tauRef, nt.amplitude);
    const { tauRc, tauRef, minVoltage, amplitude } = nt;
    return {
      stateKeys: ["voltage", "refractoryTime"],
      step: (J, s, dt, training) => {
        if (training) return { out: rate(J) as tf.Tensor2D, states: same(s) };
        const rt = tf.sub(s.refractoryTime, dt);
        const dtEff = tf.clipByValue(tf.sub(dt, rt), 0, dt);
        const v0 = s.voltage;
        const v = tf.sub(v0, tf.mul(tf.sub(J, v0), tf.expm1(tf.div(tf.neg(dtEff), tauRc))));
        const spiked = tf.greater(v, 1);
        const out = tf.mul(tf.cast(spiked, "float32"), amplitude / dt) as tf.Tensor2D;
        const tSpike = tf.add(dt, tf.mul(tauRc, log1p(tf.neg(tf.div(tf.sub(v, 1), tf.sub(J, 1))))));
        const voltage = tf.where(spiked, tf.zerosLike(v), tf.maximum(v, minVoltage)) as tf.Tensor2D;
        const refractoryTime = tf.where(spiked, tf.add(tauRef, tSpike), rt) as tf.Tensor2D;
        return { out, states: { voltage, refractoryTime } };
      },
    };
  }
  if (nt instanceof LIFRate && nt.constructor === LIFRate) {
    const f = lifRate(nt.tauRc, nt.tauRef, nt.amplitude);
    return { stateKeys: [], step: (J, s) => ({ out: f(J) as tf.Tensor2D, states: same(s) }) };
  }
  if (nt instanceof SpikingRectifiedLinear) {
    const amp = nt.amplitude;
    return {
      stateKeys: ["voltage"],
      step: (J, s, dt, training) => {
        if (training) return { out: tf.mul(relu(J), amp) as tf.Tensor2D, states: same(s) };
        const v = tf.add(s.voltage, tf.mul(tf.maximum(J, 0), dt));
        const n = tf.floor(v);
        return { out: tf.mul(n, amp / dt) as tf.Tensor2D, states: { voltage: tf.sub(v, n) as tf.Tensor2D } };
      },
    };
  }
  if (nt instanceof RectifiedLinear && nt.constructor === RectifiedLinear) {
    const amp = nt.amplitude;
    return {
      stateKeys: [],
      step: (J, s) => ({ out: (amp === 1 ? relu(J) : tf.mul(relu(J), amp)) as tf.Tensor2D, states: same(s) }),
    };
  }
  if (nt instanceof Sigmoid) {
    const inv = 1 / nt.tauRef;
    return { stateKeys: [], step: (J, s) => ({ out: tf.mul(tf.sigmoid(J), inv) as tf.Tensor2D, states: same(s) }) };
  }
  if (nt instanceof Tanh) {
    const inv = 1 / nt.tauRef;
    return { stateKeys: [], step: (J, s) => ({ out: tf.mul(tf.tanh(J), inv) as tf.Tensor2D, states: same(s) }) };
  }
  throw new ValidationError(
    `${String(nt)} is not supported by nengo-ts/dl (supported: LIF, LIFRate, SoftLIFRate, RectifiedLinear, SpikingRectifiedLinear, Sigmoid, Tanh)`,
    "neuronType",
    "nengo-ts/dl Simulator",
  );
}
