/**
 * tfjs versions of the neuron types: the inference (spiking) path as Nengo's step, and a differentiable
 * rate path with analytic gradients (tf.customGrad) used in training mode, as NengoDL 2.x.
 */
import { ValidationError } from "../errors.js";
import type { NeuronType } from "../neurons/base.js";
import { LIF, LIFRate, RectifiedLinear, Sigmoid, SoftLIFRate, SpikingRectifiedLinear, Tanh } from "../neurons/index.js";
import { log1p, tf } from "./backend.js";
import { customGrad1, relu } from "./tensorops.js";
import { wasmKernels, type WasmKernels } from "../kernels/index.js";

// ---- fused kernels: one pass over [mb, n] instead of ~10-25 elementwise ops (each a full pass and a
// dispatch). Registered for the backends whose data a JS kernel can read in place (wasm: the heap; cpu:
// typed arrays); other backends (tensorflow, webgl) use the tf-op versions below.

type KernelArgs = {
  inputs: Record<string, tf.TensorInfo>;
  attrs?: Record<string, unknown>;
  backend: unknown;
};

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  wasm?: { asm?: { memory?: WebAssembly.Memory } };
}

/** The SIMD kernels over the wasm backend's heap, or null. */
function heapKernels(b: HeapBackend): WasmKernels | null {
  const memory = b.wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? wasmKernels(memory) : null;
}

/** A fused kernel body: reads `ins`, writes `outs`; `simd` is set when the arrays live in its memory. */
type FusedBody = (
  ins: Float32Array[],
  outs: Float32Array[],
  attrs: Record<string, number>,
  simd: WasmKernels | null,
) => void;
interface CpuBackend {
  data: { get(id: unknown): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** Run `body` over the inputs (as Float32Arrays) writing `nOut` outputs of the first input's shape. */
function fusedKernelFunc(
  backendName: string,
  names: readonly string[],
  nOut: number,
  body: FusedBody,
): (args: KernelArgs) => tf.TensorInfo[] {
  if (backendName === "wasm") {
    return ({ inputs, attrs, backend }) => {
      const b = backend as HeapBackend;
      const shape = inputs[names[0]].shape;
      // outputs first: allocating may grow the heap and detach earlier views
      const outInfos = Array.from({ length: nOut }, () => b.makeOutput(shape, "float32"));
      const ins = names.map((n) => b.typedArrayFromHeap(inputs[n]));
      const outs = outInfos.map((o) => b.typedArrayFromHeap(o));
      body(ins, outs, (attrs ?? {}) as Record<string, number>, heapKernels(b));
      return outInfos;
    };
  }
  return ({ inputs, attrs, backend }) => {
    const b = backend as CpuBackend;
    const shape = inputs[names[0]].shape;
    const ins = names.map((n) => b.data.get(inputs[n].dataId).values as Float32Array);
    const size = ins[0].length;
    const outs = Array.from({ length: nOut }, () => new Float32Array(size));
    body(ins, outs, (attrs ?? {}) as Record<string, number>, null);
    return outs.map((o) => b.makeTensorInfo(shape, "float32", o));
  };
}

const FUSED_BACKENDS = ["wasm", "cpu"];
const LIF_STEP = "NengoTsLIFStep";
const LIF_RATE = "NengoTsLIFRate";
const SOFT_LIF_RATE = "NengoTsSoftLIFRate";

/** Nengo's LIF step (in float64 per element): inputs J, voltage, refractoryTime; outputs out, voltage, refractoryTime. */
function lifStepBody(
  ins: Float32Array[],
  outs: Float32Array[],
  a: Record<string, number>,
  simd: WasmKernels | null,
): void {
  const [J, V, RT] = ins;
  const [O, V2, RT2] = outs;
  const { dt, tauRc, tauRef, minVoltage, amplitude } = a;
  const spike = amplitude / dt;
  const fullFactor = Math.expm1(-dt / tauRc);
  const tSpike0 = tauRef + dt;
  const n = J.length;
  if (simd) {
    // the same arithmetic in f64x2 lanes (bit-identical), ~10x faster than this loop
    const [pJ, pV, pRT, pO, pV2, pRT2] = [J, V, RT, O, V2, RT2].map((x) => x.byteOffset);
    simd.lifStepF32(pJ, pV, pRT, pO, pV2, pRT2, n, dt, tauRc, fullFactor, minVoltage, spike, tSpike0);
    return;
  }
  for (let i = 0; i < n; i++) {
    const rt = RT[i] - dt;
    const j = J[i];
    let v = V[i];
    // delta_t = clip(dt - rt, 0, dt): rt <= 0 is a full step; rt >= dt still refractory (v unchanged)
    if (rt <= 0) v -= (j - v) * fullFactor;
    else if (rt < dt) v -= (j - v) * Math.expm1((rt - dt) / tauRc);
    if (v > 1) {
      O[i] = spike;
      V2[i] = 0;
      RT2[i] = tSpike0 + tauRc * Math.log1p((1 - v) / (j - 1));
    } else {
      O[i] = 0;
      V2[i] = v < minVoltage ? minVoltage : v;
      RT2[i] = rt;
    }
  }
}

/** LIF rate and its derivative dRate/dJ (0 below threshold). */
function lifRateBody(
  ins: Float32Array[],
  outs: Float32Array[],
  a: Record<string, number>,
  simd: WasmKernels | null,
): void {
  const [J] = ins;
  const [R, G] = outs;
  const { tauRc, tauRef, amplitude } = a;
  if (simd) {
    // float64 lanes with a vector log (within an ulp of Math.log1p): the same float32 values but rounding ties
    simd.lifRateF32(J.byteOffset, R.byteOffset, G.byteOffset, J.length, tauRc, tauRef, amplitude);
    return;
  }
  for (let i = 0; i < J.length; i++) {
    const j = J[i] - 1;
    if (j > 0) {
      const den = tauRef + tauRc * Math.log1p(1 / j);
      R[i] = amplitude / den;
      G[i] = (amplitude * tauRc) / (den * den * j * (j + 1));
    } else {
      R[i] = 0;
      G[i] = 0;
    }
  }
}

/** NengoDL's SoftLIFRate and its derivative. */
function softLifRateBody(ins: Float32Array[], outs: Float32Array[], a: Record<string, number>): void {
  const [J] = ins;
  const [R, G] = outs;
  const { sigma, tauRc, tauRef, amplitude } = a;
  const logSigma = Math.log(sigma);
  for (let i = 0; i < J.length; i++) {
    const js = (J[i] - 1) / sigma;
    let q: number;
    let inner: number;
    if (js > -20) {
      const sp = js > 0 ? js + Math.log1p(Math.exp(-js)) : Math.log1p(Math.exp(js));
      const z = sp * sigma;
      q = Math.log1p(1 / z);
      inner = 1 / (1 + Math.exp(-js)) / (z * (z + 1));
    } else {
      q = -js - logSigma;
      inner = 1 / sigma;
    }
    const den = tauRef + tauRc * q;
    R[i] = amplitude / den;
    G[i] = ((amplitude * tauRc) / (den * den)) * inner;
  }
}

let kernelsRegistered = false;

/** Register the fused kernels (idempotent). */
function registerFusedKernels(): void {
  if (kernelsRegistered) return;
  kernelsRegistered = true;
  const defs: [string, readonly string[], number, FusedBody][] = [
    [LIF_STEP, ["J", "voltage", "refractoryTime"], 3, lifStepBody],
    [LIF_RATE, ["J"], 2, lifRateBody],
    [SOFT_LIF_RATE, ["J"], 2, softLifRateBody],
  ];
  for (const backendName of FUSED_BACKENDS) {
    for (const [kernelName, names, nOut, body] of defs) {
      if (tf.getKernel(kernelName, backendName) !== undefined) continue;
      tf.registerKernel({
        kernelName,
        backendName,
        kernelFunc: fusedKernelFunc(backendName, names, nOut, body) as unknown as tf.KernelFunc,
      });
    }
  }
}

/** True when the active backend has the fused kernels. */
function fused(): boolean {
  registerFusedKernels();
  return FUSED_BACKENDS.includes(tf.getBackend());
}

// ---- a variadic JS kernel: `body` reads the inputs (in order, as Float32Arrays) and writes the output.
// Used by the compiler for whole linear stages (src/dl/compile.ts): one pass instead of a gather, a
// broadcast product, a reduction and a placement per group.

const JS_KERNEL = "NengoTsJsKernel";

/** Body of {@link runJsKernel}: inputs in order, the output (uninitialised) to write. */
export type JsKernelBody = (ins: Float32Array[], out: Float32Array) => void;

interface JsKernelAttrs {
  shape: number[];
  nIn: number;
  body: JsKernelBody;
}

function jsKernelFunc(backendName: string): (args: KernelArgs) => tf.TensorInfo {
  if (backendName === "wasm") {
    return ({ inputs, attrs, backend }) => {
      const b = backend as HeapBackend;
      const a = attrs as unknown as JsKernelAttrs;
      const out = b.makeOutput(a.shape, "float32"); // first: allocating may grow the heap
      const ins: Float32Array[] = [];
      for (let i = 0; i < a.nIn; i++) ins.push(b.typedArrayFromHeap(inputs[i]));
      a.body(ins, b.typedArrayFromHeap(out));
      return out;
    };
  }
  return ({ inputs, attrs, backend }) => {
    const b = backend as CpuBackend;
    const a = attrs as unknown as JsKernelAttrs;
    const ins: Float32Array[] = [];
    for (let i = 0; i < a.nIn; i++) ins.push(b.data.get(inputs[i].dataId).values as Float32Array);
    const out = new Float32Array(a.shape.reduce((x, y) => x * y, 1));
    a.body(ins, out);
    return b.makeTensorInfo(a.shape, "float32", out);
  };
}

let jsKernelRegistered = false;

/** True when the active backend runs {@link runJsKernel} (wasm, cpu). */
export function hasJsKernels(): boolean {
  if (!jsKernelRegistered) {
    jsKernelRegistered = true;
    for (const backendName of FUSED_BACKENDS) {
      if (tf.getKernel(JS_KERNEL, backendName) !== undefined) continue;
      tf.registerKernel({
        kernelName: JS_KERNEL,
        backendName,
        kernelFunc: jsKernelFunc(backendName) as unknown as tf.KernelFunc,
      });
    }
  }
  return FUSED_BACKENDS.includes(tf.getBackend());
}

/**
 * A float32 tensor of `shape` written by `body` from `inputs` (float32, non-empty), in one kernel call on
 * the backends of {@link hasJsKernels}. No gradient: use it for values (inference, or inside a
 * `tf.customGrad` forward function).
 */
export function runJsKernel(inputs: tf.Tensor[], shape: number[], body: JsKernelBody): tf.Tensor {
  const named: Record<string, tf.Tensor> = {};
  inputs.forEach((t, i) => (named[i] = t.dtype === "float32" ? t : tf.cast(t, "float32")));
  const attrs: JsKernelAttrs = { shape, nIn: inputs.length, body };
  const r = tf.engine().runKernel(JS_KERNEL, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(r) ? r[0] : r;
}

function runFused(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number>): tf.Tensor[] {
  const f32 = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, v.dtype === "float32" ? v : tf.cast(v, "float32")]),
  );
  return tf.engine().runKernel(name, f32, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
}

/** A rate function whose fused kernel returns [rate, dRate/dJ]; the gradient is `dy * dRate/dJ`. */
function fusedRate(name: string, attrs: Record<string, number>): (J: tf.Tensor) => tf.Tensor {
  return customGrad1((J: tf.Tensor, save: tf.GradSaveFunc) => {
    const [value, g] = runFused(name, { J }, attrs);
    save([g]);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]) };
  });
}

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
  const f = fusedRate(LIF_RATE, { tauRc, tauRef, amplitude: amp });
  const g = lifRateOps(tauRc, tauRef, amp);
  return (J) => (fused() ? f(J) : g(J));
}

/** {@link lifRate} with tfjs ops (backends without the fused kernel). */
function lifRateOps(tauRc: number, tauRef: number, amp: number): (J: tf.Tensor) => tf.Tensor {
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
  const f = fusedRate(SOFT_LIF_RATE, { sigma, tauRc, tauRef, amplitude: amp });
  const g = softLifRateOps(sigma, tauRc, tauRef, amp);
  return (J) => (fused() ? f(J) : g(J));
}

/** {@link softLifRate} with tfjs ops (backends without the fused kernel). */
function softLifRateOps(sigma: number, tauRc: number, tauRef: number, amp: number): (J: tf.Tensor) => tf.Tensor {
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
        if (fused()) {
          const [out, voltage, refractoryTime] = runFused(
            LIF_STEP,
            { J, voltage: s.voltage, refractoryTime: s.refractoryTime },
            { dt, tauRc, tauRef, minVoltage, amplitude },
          ) as tf.Tensor2D[];
          return { out, states: { voltage, refractoryTime } };
        }
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
