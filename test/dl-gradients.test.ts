/**
 * Gradient checks of every merged operator kind (NengoDL 2.2 test_gradients / test_neuron_gradients): the
 * gradients `train` hands to the optimizer are compared with central finite differences of the same loss.
 *
 * The finite differences are taken on the *reference* simulator (float64) with the parameters frozen from
 * the dl simulator (`freezeParams`), so they carry no float32 rounding noise; spiking types in training
 * mode are compared with the finite differences of their rate twins (LIF -> LIFRate, LIF with lifSmoothing
 * -> SoftLIFRate, SpikingRectifiedLinear -> RectifiedLinear), which is what they train through.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";
import { gradientRecorder } from "./helpers/dl.js";

const { tf } = nengoDL;
const BACKENDS = ["wasm", "cpu"] as const;
type Targets = Map<nengo.Probe, number[][][]>;

/** d(sum of mse over the probes in `targets`)/d(every trainable variable), in training mode (one update, mb 1). */
async function dlGradients(sim: nengoDL.Simulator, targets: Targets): Promise<Map<nengoDL.tf.Variable, Float64Array>> {
  const { opt, grads } = gradientRecorder();
  await sim.train({ data: new Map<nengo.Node | nengo.Probe, unknown>(targets), optimizer: opt, shuffle: false });
  const out = new Map<nengoDL.tf.Variable, Float64Array>();
  for (const v of sim.trainableVariables) {
    const g = grads.get(v.name);
    assert.ok(g, `no gradient for ${v.name}`);
    out.set(v, g);
  }
  return out;
}

/** Every trainable parameter of `net` as (label, variable) pairs, in structural order. */
function paramVars(sim: nengoDL.Simulator, net: nengo.Network): { label: string; v: nengoDL.tf.Variable }[] {
  const out: { label: string; v: nengoDL.tf.Variable }[] = [];
  const add = (label: string, v: nengoDL.tf.Variable | null): void => void (v && out.push({ label, v }));
  net.allEnsembles.forEach((e, i) => {
    add(`Ensemble[${i}].encoders`, sim.parameterVariable(e));
    add(`Ensemble[${i}].neurons.bias`, sim.parameterVariable(e.neurons));
  });
  net.allConnections.forEach((c, i) => add(`Connection[${i}].weights (${String(c)})`, sim.parameterVariable(c)));
  return out;
}

/** The loss of `net` run for `steps` steps on the reference simulator (float64) with the dl parameters frozen in. */
function referenceLoss(sim: nengoDL.Simulator, net: nengo.Network, targets: Targets, steps: number): number {
  sim.freezeParams(net);
  const ref = new nengo.Simulator(net, { seed: 1, progressBar: false });
  try {
    ref.runSteps(steps);
    let loss = 0;
    for (const [p, y] of targets) {
      const d = ref.data.get(p) as number[][];
      let s = 0;
      let n = 0;
      for (let t = 0; t < steps; t++)
        for (let k = 0; k < d[t].length; k++) {
          s += (d[t][k] - y[0][t][k]) ** 2;
          n++;
        }
      loss += s / n;
    }
    return loss;
  } finally {
    ref.close();
  }
}

/**
 * Compare the dl gradients of `sim` (the model of `net`) with central finite differences of the reference
 * loss of `fdNet` (a structural twin, possibly with rate neurons) whose parameters are set from `sim`.
 *
 * Step: h = 1e-3 * max(|x|, 1e-2), rounded onto the float32 grid (we divide by the actual float32
 * difference x+ - x-, so the rounding does not bias the quotient). In float64 the truncation error of a
 * central difference is ~h^2/6 |f'''| (~1e-7 relative at a 1e-3 relative step) and the cancellation error
 * ~1e-16 |f| / h, both negligible. What remains is the float32 error of the dl gradient itself (rounding
 * through ~10 steps of matrix products and synapse recursions, ~1e-6..1e-5 relative), and the difference
 * between the float32 forward pass the gradient is taken at and the float64 one the differences see. The
 * tolerance, |g - fd| <= 2e-3 |fd| + 2e-4 max|fd| (max over the same parameter), is ~10x the largest
 * discrepancy measured over all models and both backends (see the assertion messages), and far below
 * what any wrong gradient term (a missing synapse state, slice or transpose) produces.
 */
async function checkGradients(
  sim: nengoDL.Simulator,
  net: nengo.Network,
  fd: { sim: nengoDL.Simulator; net: nengo.Network; targets: Targets },
  targets: Targets,
  steps: number,
  what: string,
): Promise<number> {
  const grads = await dlGradients(sim, targets);
  const mine = paramVars(sim, net);
  const theirs = paramVars(fd.sim, fd.net);
  assert.equal(mine.length, theirs.length, `${what}: parameter count`);
  assert.ok(mine.length > 0, `${what}: nothing trainable`);
  let worst = 0;
  for (let i = 0; i < mine.length; i++) {
    const { label, v } = mine[i];
    const fv = theirs[i].v;
    const g = grads.get(v) as Float64Array;
    for (let k = 0; k < g.length; k++) assert.ok(Number.isFinite(g[k]), `${what} ${label}[${k}]: gradient ${g[k]}`);
    const x0 = Float32Array.from(v.dataSync() as Float32Array);
    const setFd = (x: Float32Array): void => {
      const t = tf.tensor(x, fv.shape);
      fv.assign(t);
      t.dispose();
    };
    setFd(x0);
    const fdv = new Float64Array(g.length);
    for (let k = 0; k < x0.length; k++) {
      const h = 1e-3 * Math.max(Math.abs(x0[k]), 1e-2);
      const x = Float32Array.from(x0);
      x[k] = x0[k] + h;
      const xp = x[k];
      setFd(x);
      const lp = referenceLoss(fd.sim, fd.net, fd.targets, steps);
      x[k] = x0[k] - h;
      const xm = x[k];
      setFd(x);
      const lm = referenceLoss(fd.sim, fd.net, fd.targets, steps);
      fdv[k] = (lp - lm) / (xp - xm);
    }
    setFd(x0);
    const scale = Math.max(...Array.from(fdv, Math.abs));
    for (let k = 0; k < g.length; k++) {
      const err = Math.abs(g[k] - fdv[k]);
      worst = Math.max(worst, err / (Math.abs(fdv[k]) + 0.1 * scale + 1e-30));
      assert.ok(
        err <= 2e-3 * Math.abs(fdv[k]) + 2e-4 * scale,
        `${what} ${label}[${k}]: gradient ${g[k]} vs finite difference ${fdv[k]} (max ${scale})`,
      );
    }
  }
  return worst;
}

/** Targets: `f(t, k)` for every probe, shaped [1][steps][size]. */
function targetsFor(
  probes: nengo.Probe[],
  sizes: number[],
  steps: number,
  f: (t: number, k: number) => number,
): Targets {
  return new Map(
    probes.map((p, i) => [
      p,
      [Array.from({ length: steps }, (_, t) => Array.from({ length: sizes[i] }, (_, k) => f(t, k)))],
    ]),
  );
}

/** A model with every linear operator kind, slices, node passthrough, Lowpass/Alpha/LinearFilter and probe synapses. */
function linearModel(): { net: nengo.Network; probes: nengo.Probe[]; sizes: number[] } {
  const net = new nengo.Network({ seed: 11 });
  const inp = net.node({ output: (t: number) => [0.6 * Math.sin(40 * t), 0.5 * Math.cos(25 * t)], label: "inp" });
  const pass = net.node({ sizeIn: 3, label: "pass" });
  // copies with slices (pre and post), scalar and elementwise (diagonal) transforms
  net.connect(inp.slice([1, 0]), pass.slice([0, 2]), { synapse: null });
  net.connect(inp.slice([0]), pass.slice([1]), { transform: 0.5, synapse: new nengo.Lowpass(0.005) });
  net.connect(inp, pass.slice([2, 1]), { transform: [0.3, -0.7], synapse: new nengo.Alpha(0.004) });
  // ReLU kept above threshold (J = e.x + bias with |x| < 1.5, bias >= 2): no kink for the differences to straddle
  const a = net.ensemble({
    nNeurons: 5,
    dimensions: 3,
    neuronType: new nengo.RectifiedLinear(),
    gain: Array(5).fill(1),
    bias: [2, 2.3, 2.6, 2.9, 3.2],
    label: "a",
  });
  net.connect(pass, a, {
    transform: [
      [0.5, 0.2, 0],
      [-0.3, 0.4, 0.1],
      [0.2, 0, -0.6],
    ],
    synapse: new nengo.LinearFilter([1], [2e-5, 0.01, 1]),
  });
  // max rates well below 1/tauRef = 400 (and above half of it, Nengo's Sigmoid gainBias needs that): a saturated
  // sigmoid's slope s(J) (1 - s(J)) is not resolved in float32
  const b = net.ensemble({
    nNeurons: 4,
    dimensions: 1,
    neuronType: new nengo.Sigmoid(),
    maxRates: new nengo.dists.Uniform(220, 300),
    label: "b",
  });
  const c = net.ensemble({
    nNeurons: 4,
    dimensions: 1,
    neuronType: new nengo.Tanh(),
    maxRates: new nengo.dists.Uniform(150, 250),
    label: "c",
  });
  net.connect(a, b, { function: (x) => [x[0] * x[1] + 0.5 * x[2]], synapse: new nengo.Alpha(0.005) });
  net.connect(a.neurons, c.neurons, { transform: new nengo.dists.Uniform(-0.05, 0.05), synapse: 0.003 });
  const out = net.node({ sizeIn: 2, label: "out" });
  net.connect(b, out.slice([0]), { synapse: null });
  net.connect(c, out.slice([1]), { transform: 2, synapse: 0.002 });
  const probes = [net.probe(out, { synapse: 0.01 }), net.probe(c.neurons, { synapse: 0.005 }), net.probe(pass)];
  return { net, probes, sizes: [2, 4, 3] };
}

/** Node -> ens (one neuron type) -> out node, probed on the output and (filtered) on the neurons. */
function neuronModel(
  neuronType: nengo.NeuronType,
  lifSmoothing?: number,
  maxRates?: nengo.dists.Uniform,
): ReturnType<typeof linearModel> {
  const net = new nengo.Network({ seed: 12 });
  if (lifSmoothing !== undefined) nengoDL.configureSettings(net, { lifSmoothing });
  const inp = net.node({ output: (t: number) => [0.5 * Math.sin(30 * t)], label: "inp" });
  // intercepts below -0.6 and |x| <= 0.5: every neuron stays above threshold (no kink for the differences)
  const ens = net.ensemble({
    nNeurons: 5,
    dimensions: 1,
    neuronType,
    intercepts: new nengo.dists.Uniform(-1, -0.6),
    ...(maxRates ? { maxRates } : {}),
    label: "ens",
  });
  const out = net.node({ sizeIn: 1, label: "out" });
  net.connect(inp, ens, { synapse: 0.003 });
  net.connect(ens, out, { synapse: 0.005 });
  const probes = [net.probe(out), net.probe(ens.neurons, { synapse: 0.01 })];
  return { net, probes, sizes: [1, 5] };
}

/**
 * An EnsembleArray of three one-dimensional ensembles (their encoders and biases: one product, the stage's
 * only one); `extra` adds a two-dimensional ensemble fed from the array's input, a second product there.
 */
function oneDimModel(extra: boolean): ReturnType<typeof linearModel> {
  const net = new nengo.Network({ seed: 13 });
  const inp = net.node({
    output: (t: number) => [0.4 * Math.sin(30 * t), 0.3 * Math.cos(20 * t), 0.4 * Math.sin(50 * t + 1)],
    label: "inp",
  });
  // intercepts below -0.6 and |x| <= 0.5: every neuron stays above threshold (no kink for the differences)
  const ens = { neuronType: new nengo.LIFRate(), intercepts: new nengo.dists.Uniform(-1, -0.6) };
  const ea = nengo.networks.EnsembleArray(net, { nNeurons: 4, nEnsembles: 3, ...ens });
  net.connect(inp, ea.input, { synapse: 0.003 });
  const probes = [net.probe(ea.output, { synapse: 0.005 }), net.probe(ea.eaEnsembles[1].neurons, { synapse: 0.01 })];
  const sizes = [3, 4];
  if (extra) {
    const f = net.ensemble({ nNeurons: 3, dimensions: 2, ...ens, label: "f" });
    net.connect(ea.input.slice([0, 1]), f, { synapse: null });
    // probed through a node: a probe on f itself would decode with weights re-solved for every difference
    const out = net.node({ sizeIn: 1, label: "out" });
    net.connect(f, out, { function: (x) => [x[0] - x[1]], synapse: 0.005 });
    probes.push(net.probe(out));
    sizes.push(1);
  }
  return { net, probes, sizes };
}

for (const backend of BACKENDS) {
  const opts = { backend, progressBar: false, seed: 3 } as const;

  test(`[${backend}] gradients through many one-dimensional ensembles (encoders as a convolution), minibatch 3`, async () => {
    const steps = 10;
    const mb = 3;
    for (const extra of [false, true]) {
      const { net, probes, sizes } = oneDimModel(extra);
      const sim = await nengoDL.Simulator.create(net, { ...opts, minibatchSize: mb });
      try {
        const targets = targetsFor(probes, sizes, steps, (t, k) => 0.05 * t - 0.1 * k);
        // the same input and targets for every item: the gradient (a mean over the items) is one item's
        const mbTargets: Targets = new Map([...targets].map(([p, y]) => [p, Array.from({ length: mb }, () => y[0])]));
        const what = `1-D ensembles (extra ${extra})`;
        const worst = await checkGradients(sim, net, { sim, net, targets }, mbTargets, steps, what);
        assert.ok(worst < 0.1, `${what}: worst relative error ${worst}`);
      } finally {
        await sim.close();
      }
    }
  });

  test(`[${backend}] gradients of copies, slices, elementwise/dot increments, synapses, passthrough, ReLU/Sigmoid/Tanh`, async () => {
    const { net, probes, sizes } = linearModel();
    const steps = 12;
    const sim = await nengoDL.Simulator.create(net, opts);
    try {
      const targets = targetsFor(probes, sizes, steps, (t, k) => 0.05 * t - 0.1 * k);
      const worst = await checkGradients(sim, net, { sim, net, targets }, targets, steps, "linear model");
      assert.ok(worst < 0.1, `worst relative error ${worst}`);
    } finally {
      await sim.close();
    }
  });

  test(`[${backend}] gradients of every differentiable neuron type (spiking types in training mode)`, async () => {
    const cases: [string, () => nengo.NeuronType, () => nengo.NeuronType, number | undefined, nengo.dists.Uniform?][] =
      [
        ["LIFRate", () => new nengo.LIFRate(), () => new nengo.LIFRate(), undefined],
        ["LIF", () => new nengo.LIF(), () => new nengo.LIFRate(), undefined],
        ["LIF + lifSmoothing 0.5", () => new nengo.LIF(), () => new nengo.SoftLIFRate({ sigma: 0.5 }), 0.5],
        [
          "SoftLIFRate",
          () => new nengo.SoftLIFRate({ sigma: 1, amplitude: 0.5 }),
          () => new nengo.SoftLIFRate({ sigma: 1, amplitude: 0.5 }),
          undefined,
        ],
        [
          "SpikingRectifiedLinear",
          () => new nengo.SpikingRectifiedLinear(),
          () => new nengo.RectifiedLinear(),
          undefined,
        ],
        [
          "RectifiedLinear",
          () => new nengo.RectifiedLinear({ amplitude: 0.3 }),
          () => new nengo.RectifiedLinear({ amplitude: 0.3 }),
          undefined,
        ],
        [
          "Sigmoid",
          () => new nengo.Sigmoid({ tauRef: 0.01 }),
          () => new nengo.Sigmoid({ tauRef: 0.01 }),
          undefined,
          new nengo.dists.Uniform(55, 75),
        ],
        ["Tanh", () => new nengo.Tanh(), () => new nengo.Tanh(), undefined, new nengo.dists.Uniform(150, 250)],
      ];
    const steps = 8;
    for (const [name, make, twin, smoothing, maxRates] of cases) {
      // (sigmoid and tanh kept away from saturation: their slope 1 - s(J)^2 is not resolved in float32 there)
      const m = neuronModel(make(), smoothing, maxRates);
      const t = neuronModel(twin(), undefined, maxRates);
      const sim = await nengoDL.Simulator.create(m.net, opts);
      const tsim = await nengoDL.Simulator.create(t.net, opts);
      try {
        const targets = targetsFor(m.probes, m.sizes, steps, (i, k) => 0.1 * i + 20 * k);
        // the same targets, keyed by the twin's probes
        const tTargets: Targets = new Map(t.probes.map((p, i) => [p, targets.get(m.probes[i]) as number[][][]]));
        const worst = await checkGradients(
          sim,
          m.net,
          { sim: tsim, net: t.net, targets: tTargets },
          targets,
          steps,
          name,
        );
        assert.ok(worst < 0.1, `${name}: worst relative error ${worst}`);
      } finally {
        await sim.close();
        await tsim.close();
      }
    }
  });

  test(`[${backend}] no NaN or infinite gradients at the LIF threshold (J = 1) and far below it`, async () => {
    const types: [string, nengo.NeuronType, number | undefined][] = [
      ["LIF", new nengo.LIF(), undefined],
      ["LIFRate", new nengo.LIFRate(), undefined],
      ["LIF + lifSmoothing", new nengo.LIF(), 0.05],
      ["SoftLIFRate", new nengo.SoftLIFRate({ sigma: 0.05 }), undefined],
    ];
    for (const [name, nt, smoothing] of types) {
      const net = new nengo.Network({ seed: 1 });
      if (smoothing !== undefined) nengoDL.configureSettings(net, { lifSmoothing: smoothing });
      const inp = net.node({ output: [0], label: "zero" });
      // J = bias exactly: at the threshold, just above/below it, and far below it (the soft types' js < -20 branch)
      const bias = [1, 1, 1 + 1e-7, 1 - 1e-7, -50, -1e4];
      const ens = net.ensemble({
        nNeurons: bias.length,
        dimensions: 1,
        neuronType: nt,
        gain: Array(bias.length).fill(1),
        bias,
      });
      const out = net.node({ sizeIn: 1 });
      net.connect(inp, ens, { synapse: null });
      net.connect(ens, out, { synapse: 0.005 });
      const probes = [net.probe(ens.neurons), net.probe(out)];
      const sim = await nengoDL.Simulator.create(net, opts);
      try {
        const grads = await dlGradients(
          sim,
          targetsFor(probes, [bias.length, 1], 3, () => 1),
        );
        for (const [v, g] of grads)
          g.forEach((x, k) => assert.ok(Number.isFinite(x), `${name} ${v.name}[${k}]: gradient ${x}`));
        const gb = grads.get(sim.parameterVariable(ens.neurons) as nengoDL.tf.Variable) as Float64Array;
        if (smoothing === undefined && !(nt instanceof nengo.SoftLIFRate)) {
          // hard LIF rates: zero gradient at and below the threshold
          for (const k of [0, 1, 3, 4, 5]) assert.ok(gb[k] === 0, `${name} bias[${k}] = ${gb[k]}`);
        } else {
          // soft rates: positive, finite slope everywhere (exp(-1e4/0.05) underflows to 0 far below)
          for (const k of [0, 1, 2, 3, 4]) assert.ok(gb[k] < 0 || gb[k] > 0, `${name} bias[${k}] = ${gb[k]}`);
        }
      } finally {
        await sim.close();
      }
    }
  });
}
