/** Ensemble builder: eval points, encoders, gain/bias, neurons, as Nengo's build_ensemble. */
import { BuildError } from "../errors.js";
import type { Mat } from "../linalg/mat.js";
import type { Ensemble } from "../model/ensemble.js";
import { Direct } from "../neurons/index.js";
import { RandomState } from "../rng/randomstate.js";
import { rowNorms } from "../rng/npmath.js";
import { Distribution } from "../dists/base.js";
import type { BuiltEnsemble, Model } from "./model.js";
import { genEvalPoints, getSamples, type DistOrArray as SampleSpec } from "./samples.js";
import { toNDArray } from "../arrays.js";
import type { DistOrArray } from "../model/ensemble.js";
import { Signal } from "./signal.js";

/** Build an ensemble into the model (signals, ops, built parameters). */
export function buildEnsemble(model: Model, ens: Ensemble): void {
  const seed = model.seeds.get(ens) as number;
  const rng = new RandomState(seed);
  const n = ens.nNeurons;
  const d = ens.dimensions;
  const evalData = genEvalPoints(
    spec(ens.evalPoints, `${String(ens)}.evalPoints`),
    ens.nEvalPoints,
    n,
    d,
    ens.radius,
    rng,
  );
  const evalPoints: Mat = { rows: evalData.length / d, cols: d, data: evalData };

  const sig = model.sigOf(ens);
  sig.in = new Signal(`${String(ens)}.signal`, d);
  model.addOp({ type: "reset", dst: sig.in, value: 0 });

  if (ens.noise !== null) {
    throw new BuildError(`${String(ens)}: noise processes are not supported yet; set noise to null`);
  }
  const direct = ens.neuronType instanceof Direct;
  let encoders: Float64Array;
  if (direct) {
    encoders = new Float64Array(d * d);
    for (let i = 0; i < d; i++) encoders[i * d + i] = 1;
  } else {
    encoders = getSamples(spec(ens.encoders, `${String(ens)}.encoders`), n, d, rng, `${String(ens)}.encoders`);
  }
  if (ens.normalizeEncoders && !direct) {
    const norms = rowNorms(encoders, n, d); // numpy's summation order, for bit-parity with Nengo
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) encoders[i * d + j] /= norms[i];
  }
  if (encoders.some((v) => Number.isNaN(v))) {
    throw new BuildError(
      `NaNs detected in ${String(ens)} encoders: zero-length encoders were normalized. Give non-zero encoders or set normalizeEncoders: false.`,
    );
  }

  const gb = direct ? null : getGainBias(ens, rng);
  const nsig = model.sigOf(ens.neurons);
  if (direct) {
    nsig.in = new Signal(`${String(ens)}.neuron_in`, d);
    nsig.out = nsig.in;
    model.addOp({ type: "reset", dst: nsig.in, value: 0 });
  } else {
    const { bias } = gb as { bias: Float64Array };
    nsig.in = new Signal(`${String(ens)}.neuron_in`, n);
    nsig.out = new Signal(`${String(ens)}.neuron_out`, n);
    nsig.bias = new Signal(`${String(ens)}.bias`, Float64Array.from(bias), { readonly: true });
    model.addOp({ type: "copy", src: nsig.bias, dst: nsig.in, srcIdx: null, dstIdx: null, inc: false });
    buildNeurons(model, ens, seed);
  }
  const rows = direct ? d : n;
  const scaled = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    const g = direct ? 1 : (gb as { gain: Float64Array }).gain[i] / ens.radius;
    for (let j = 0; j < d; j++) scaled[i * d + j] = encoders[i * d + j] * g;
  }
  sig.encoders = new Signal(`${String(ens)}.scaled_encoders`, scaled, { shape: [rows, d], readonly: true });
  model.addOp({ type: "dotInc", A: sig.encoders, X: sig.in, Y: nsig.in });
  sig.out = nsig.out;

  const built: BuiltEnsemble = {
    evalPoints,
    encoders: { rows, cols: d, data: encoders },
    scaledEncoders: { rows, cols: d, data: Float64Array.from(scaled) },
    gain: gb?.gain ?? null,
    bias: gb?.bias ?? null,
    maxRates: gb?.maxRates ?? null,
    intercepts: gb?.intercepts ?? null,
  };
  model.params.set(ens, built);
}

/** Neuron op and state signals; initial states are sampled with RandomState(ensemble seed + 1) as Nengo 4. */
function buildNeurons(model: Model, ens: Ensemble, seed: number): void {
  const nsig = model.sigOf(ens.neurons);
  const rng = new RandomState((seed + 1) % 2 ** 32);
  const states: Record<string, Signal> = {};
  for (const [key, init] of Object.entries(ens.neuronType.state)) {
    const values =
      init instanceof Distribution
        ? init.sample(ens.nNeurons, undefined, rng)
        : new Float64Array(ens.nNeurons).fill(init);
    states[key] = new Signal(`${String(ens.neurons)}.${key}`, values);
    nsig[key] = states[key];
  }
  model.addOp({
    type: "neurons",
    neuronType: ens.neuronType,
    J: nsig.in,
    output: nsig.out,
    states,
    seed: (seed + 1) % 2 ** 32,
  });
}

/** Nengo's get_gain_bias: explicit gain/bias, or from max rates and intercepts. */
function getGainBias(
  ens: Ensemble,
  rng: RandomState,
): { gain: Float64Array; bias: Float64Array; maxRates: Float64Array; intercepts: Float64Array } {
  const n = ens.nNeurons;
  const nt = ens.neuronType;
  if (ens.gain !== undefined && ens.bias !== undefined) {
    const gain = getSamples(spec(ens.gain, `${String(ens)}.gain`), n, undefined, rng, `${String(ens)}.gain`);
    const bias = getSamples(spec(ens.bias, `${String(ens)}.bias`), n, undefined, rng, `${String(ens)}.bias`);
    const { maxRates, intercepts } = nt.maxRatesIntercepts(gain, bias);
    return { gain, bias, maxRates, intercepts };
  }
  const maxRates = getSamples(
    spec(ens.maxRates, `${String(ens)}.maxRates`),
    n,
    undefined,
    rng,
    `${String(ens)}.maxRates`,
  );
  const intercepts = getSamples(
    spec(ens.intercepts, `${String(ens)}.intercepts`),
    n,
    undefined,
    rng,
    `${String(ens)}.intercepts`,
  );
  const { gain, bias } = nt.gainBias(maxRates, intercepts);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(gain[i]) || gain[i] <= 0) {
      throw new BuildError(
        `The specified intercepts for ${String(ens)} lead to neurons with negative or non-finite gain (neuron ${i}: max rate ${maxRates[i]}, intercept ${intercepts[i]}). Change the intercepts or max rates.`,
      );
    }
  }
  return { gain, bias, maxRates, intercepts };
}

/** A distribution as is, or explicit values as flat float64 (for getSamples' shape checks). */
export function spec(x: DistOrArray, what: string): SampleSpec {
  return x instanceof Distribution ? x : toNDArray(x, what).data;
}
