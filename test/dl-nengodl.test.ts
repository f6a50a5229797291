/**
 * NengoDL 2.2's remaining training tests (reference/nengodl-2x-semantics.md section 8) and the section 5
 * validation rules: test_non_differentiable, test_minibatch, test_spiking_swap, test_soft_lif,
 * test_regularize, test_regularize_train, test_train_sparse and the train/loss/runSteps errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";
import { gradientRecorder } from "./helpers/dl.js";
import { softLifRate } from "../src/dl/neurons.js";
import { Glorot } from "../src/dists/dl.js";
import { loadGolden } from "./helpers/golden.js";

const { tf } = nengoDL;
const BACKENDS = ["wasm", "cpu"] as const;
type DataMap = Map<nengo.Node | nengo.Probe, unknown>;

const varValues = (sim: nengoDL.Simulator): number[][] =>
  sim.trainableVariables.map((v) => Array.from(v.dataSync() as Float32Array));

/** A rank-3 array [batch][steps][size] from f(batch, step, k). */
const arr3 = (b: number, t: number, d: number, f: (i: number, j: number, k: number) => number): number[][][] =>
  Array.from({ length: b }, (_, i) =>
    Array.from({ length: t }, (_, j) => Array.from({ length: d }, (_, k) => f(i, j, k))),
  );

for (const backend of BACKENDS) {
  const simOpts = { backend, progressBar: false } as const;

  test(`[${backend}] a path through a JS function Node is not differentiated (test_non_differentiable)`, async () => {
    const net = new nengo.Network({ seed: 0 });
    const inp = net.node({ output: [0.5], label: "inp" });
    const ens = net.ensemble({ nNeurons: 10, dimensions: 1, label: "ens" });
    const fn = net.node({ output: (_t: number, x: Float64Array) => [x[0] * 2], sizeIn: 1, sizeOut: 1, label: "fn" });
    const out = net.node({ sizeIn: 1, label: "out" });
    const c0 = net.connect(inp, ens, { synapse: null });
    const c1 = net.connect(ens, fn, { synapse: 0.005 });
    const c2 = net.connect(fn, out, { synapse: null });
    const p = net.probe(out);
    const sim = await nengoDL.Simulator.create(net, { ...simOpts, seed: 1 });
    try {
      const upstream = [sim.parameterVariable(ens), sim.parameterVariable(ens.neurons), sim.parameterVariable(c0)];
      upstream.push(sim.parameterVariable(c1));
      const before = upstream.map((v) => Array.from((v as nengoDL.tf.Variable).dataSync()));
      const w2 = (sim.parameterVariable(c2) as nengoDL.tf.Variable).dataSync()[0];
      await sim.train({
        data: new Map<nengo.Node | nengo.Probe, unknown>([[p, arr3(1, 5, 1, () => 3)]]),
        optimizer: tf.train.sgd(100),
        nEpochs: 2,
      });
      upstream.forEach((v, i) =>
        assert.deepEqual(Array.from((v as nengoDL.tf.Variable).dataSync()), before[i], `upstream parameter ${i}`),
      );
      // the weight after the function node is differentiable, and did train
      assert.notEqual((sim.parameterVariable(c2) as nengoDL.tf.Variable).dataSync()[0], w2);
    } finally {
      await sim.close();
    }
  });

  test(`[${backend}] minibatch 5 equals 5 sequential minibatch-1 runs, spiking LIF (test_minibatch)`, async () => {
    const net = new nengo.Network({ seed: 3 });
    const inp = net.node({ output: [0, 0], label: "inp" });
    const a = net.ensemble({ nNeurons: 20, dimensions: 2, label: "a" });
    const b = net.ensemble({ nNeurons: 10, dimensions: 1, neuronType: new nengo.SpikingRectifiedLinear() });
    net.connect(inp, a);
    net.connect(a, b, { function: (x) => [x[0] * x[1]], synapse: 0.005 });
    const probes = [
      net.probe(a, { synapse: 0.01 }),
      net.probe(a.neurons),
      net.probe(a.neurons, { attr: "voltage" }),
      net.probe(b, { synapse: new nengo.Alpha(0.01) }),
    ];
    const T = 60;
    const x = arr3(5, T, 2, (i, t, k) => Math.sin((t + 1) * 0.05 * (i + 1) + k) * (0.3 + 0.15 * i));
    const big = await nengoDL.Simulator.create(net, { ...simOpts, seed: 2, minibatchSize: 5 });
    const one = await nengoDL.Simulator.create(net, { ...simOpts, seed: 2 });
    try {
      await big.runSteps(T, { data: new Map([[inp, x]]) });
      for (let i = 0; i < 5; i++) {
        one.reset();
        await one.runSteps(T, { data: new Map([[inp, [x[i]]]]) });
        for (const p of probes) {
          const want = one.data.get(p)[0].flat(3) as number[];
          const got = big.data.get(p)[i].flat(3) as number[];
          assert.equal(got.length, want.length);
          got.forEach((v, j) =>
            assert.ok(Math.abs(v - want[j]) <= 1e-6, `item ${i} ${String(p)}[${j}]: ${v} vs ${want[j]}`),
          );
        }
      }
      // the items really differ (so the comparison is not vacuous)
      const s = big.data.get(probes[1]);
      assert.notDeepEqual(s[0], s[4]);
    } finally {
      await big.close();
      await one.close();
    }
  });

  test(`[${backend}] spiking types have the gradients of their rate twins (test_spiking_swap)`, async () => {
    const pairs: [string, (amp: number) => nengo.NeuronType, (amp: number) => nengo.NeuronType, number?][] = [
      ["LIF/LIFRate", (amplitude) => new nengo.LIFRate({ amplitude }), (amplitude) => new nengo.LIF({ amplitude })],
      [
        "SpikingRectifiedLinear/RectifiedLinear",
        (amplitude) => new nengo.RectifiedLinear({ amplitude }),
        (amplitude) => new nengo.SpikingRectifiedLinear({ amplitude }),
      ],
      [
        "LIF(lifSmoothing 1)/SoftLIFRate",
        (amplitude) => new nengo.SoftLIFRate({ sigma: 1, amplitude }),
        (amplitude) => new nengo.LIF({ amplitude }),
        1,
      ],
    ];
    for (const [name, rate, spiking, smoothing] of pairs) {
      const grads: Float64Array[][] = [];
      const outs: number[][] = [];
      let rateSim: nengoDL.Simulator | null = null;
      for (const make of [rate, spiking]) {
        const net = new nengo.Network({ seed: 4 });
        if (make === spiking && smoothing !== undefined) nengoDL.configureSettings(net, { lifSmoothing: smoothing });
        const a = net.node({ output: [1] });
        const b = net.ensemble({ nNeurons: 8, dimensions: 1, neuronType: make(1) });
        const c = net.ensemble({ nNeurons: 8, dimensions: 1, neuronType: make(0.1) });
        net.connect(a, b, { synapse: null });
        net.connect(b, c, { synapse: null, solver: new nengo.solvers.LstsqL2({ weights: true }) });
        // decoded through a (trainable) connection, not a decoded probe: probe decoders are constants solved
        // from the type's rate curve, which differ between LIF and SoftLIFRate
        const out = net.node({ sizeIn: 1 });
        net.connect(c, out, { synapse: null });
        const p = net.probe(out);
        const pn = net.probe(c.neurons);
        const sim = await nengoDL.Simulator.create(net, { ...simOpts, seed: 5 });
        try {
          if (rateSim === null) rateSim = sim;
          else {
            // same parameters as the rate twin (SoftLIFRate's decoders differ from LIF's)
            const src = rateSim.trainableVariables;
            sim.trainableVariables.forEach((v, i) => v.assign(src[i]));
          }
          const { opt, grads: g } = gradientRecorder();
          await sim.train({ data: new Map([[p, arr3(1, 10, 1, (_i, t) => 0.05 * t)]]), optimizer: opt });
          grads.push(sim.trainableVariables.map((v) => g.get(v.name) as Float64Array));
          await sim.runSteps(10);
          outs.push(sim.data.get(pn)[0].flat());
        } finally {
          if (sim !== rateSim) await sim.close();
        }
      }
      await (rateSim as nengoDL.Simulator | null)?.close();
      assert.equal(grads[0].length, grads[1].length);
      grads[0].forEach((g0, i) => {
        const g1 = grads[1][i];
        g0.forEach((v, k) => {
          assert.ok(Number.isFinite(v), `${name} rate gradient ${i}[${k}]`);
          // np.allclose defaults
          assert.ok(Math.abs(g1[k] - v) <= 1e-8 + 1e-5 * Math.abs(v), `${name} var ${i}[${k}]: ${g1[k]} vs ${v}`);
        });
      });
      assert.ok(
        grads[0].some((g) => g.some((v) => v !== 0)),
        `${name}: all gradients zero`,
      );
      // while the forward pass of the spiking one is spiking: only 0 or a multiple of amplitude/dt
      assert.ok(
        outs[1].every((v) => Math.abs(v / 100 - Math.round(v / 100)) < 1e-3),
        `${name}: not spiking`,
      );
      assert.ok(
        outs[0].some((v) => Math.abs(v / 100 - Math.round(v / 100)) > 1e-3),
        `${name}: rate twin spiking`,
      );
    }
  });

  test(`[${backend}] SoftLIFRate matches LIFRate away from the threshold, Nengo's SoftLIFRate, and the golden LIFRate curves (test_soft_lif)`, async () => {
    await nengoDL.selectBackend(backend);
    const golden = loadGolden("neuron_rates.json") as {
      J: number[];
      types: { type: string; params: { tau_rc?: number; tau_ref?: number; amplitude?: number }; rates: number[][] }[];
    };
    const Jgrid = [...golden.J, 0.999, 0.99999, 1, 1.00001, 1.001, 1.5, 30, -1e4];
    const evalDl = (sigma: number, tauRc: number, tauRef: number, amp: number, J: number[]): Float32Array =>
      tf.tidy(() => softLifRate(sigma, tauRc, tauRef, amp)(tf.tensor1d(J)).dataSync() as Float32Array);
    // 1. the tfjs SoftLIFRate equals Nengo's SoftLIFRate (src/neurons, float64), threshold included
    for (const sigma of [1, 0.5, 0.02]) {
      const nt = new nengo.SoftLIFRate({ sigma, tauRc: 0.05, tauRef: 0.001, amplitude: 0.5 });
      const want = nt.ratesFromCurrent(Float64Array.from(Jgrid));
      const got = evalDl(sigma, 0.05, 0.001, 0.5, Jgrid);
      // float32: j = J - 1 carries an absolute error of ~1e-7 |J|, seen through d rate / dJ near the threshold
      want.forEach((w, i) =>
        assert.ok(Math.abs(got[i] - w) <= 1e-5 * w + 1e-6, `sigma ${sigma} J=${Jgrid[i]}: ${got[i]} vs ${w}`),
      );
    }
    // 2. small sigma: LIFRate (golden Nengo curves and src/neurons) away from the threshold
    for (const entry of golden.types.filter((e) => e.type === "LIFRate")) {
      const tauRc = entry.params.tau_rc ?? 0.02;
      const tauRef = entry.params.tau_ref ?? 0.002;
      const amp = entry.params.amplitude ?? 1;
      const lif = new nengo.LIFRate({ tauRc, tauRef, amplitude: amp }).ratesFromCurrent(Float64Array.from(golden.J));
      for (const sigma of [1e-3, 0.02]) {
        const got = evalDl(sigma, tauRc, tauRef, amp, golden.J);
        golden.J.forEach((J, i) => {
          const w = entry.rates[i][0];
          if (J >= 1.2) {
            assert.ok(Math.abs(got[i] - w) <= 1e-5 * w, `sigma ${sigma} J=${J}: ${got[i]} vs golden ${w}`);
            assert.ok(Math.abs(got[i] - lif[i]) <= 1e-5 * w, `sigma ${sigma} J=${J}: ${got[i]} vs LIFRate ${lif[i]}`);
          } else if (J <= 0.8) {
            // below: q >= |J-1|/sigma, so rate <= amp sigma / (tauRc |J-1|), while LIFRate is 0
            assert.equal(w, 0);
            const bound = (amp * sigma) / (tauRc * (1 - J));
            assert.ok(got[i] >= 0 && got[i] <= bound * (1 + 1e-5), `sigma ${sigma} J=${J}: ${got[i]} > ${bound}`);
          }
        });
      }
    }
    // 3. its analytic gradient equals the derivative of Nengo's float64 SoftLIFRate
    for (const sigma of [1, 0.05]) {
      const J = [-3, -0.5, 0.5, 0.9, 0.99, 1, 1.01, 1.1, 2, 5];
      const f = softLifRate(sigma, 0.02, 0.002, 1);
      const g = tf.tidy(
        () =>
          tf
            .grad((x: nengoDL.tf.Tensor) => f(x))(tf.tensor1d(J))
            .dataSync() as Float32Array,
      );
      const nt = new nengo.SoftLIFRate({ sigma });
      J.forEach((j, i) => {
        const h = 1e-6;
        const r = nt.ratesFromCurrent(Float64Array.from([j + h, j - h]));
        const fd = (r[0] - r[1]) / (2 * h);
        assert.ok(Math.abs(g[i] - fd) <= 1e-4 * Math.abs(fd) + 1e-6, `sigma ${sigma} J=${j}: d/dJ ${g[i]} vs ${fd}`);
      });
    }
    // 4. a SoftLIFRate ensemble in the dl simulator equals the reference simulator (as upstream)
    const net = new nengo.Network({ seed: 6 });
    const inp = net.node({ output: (t: number) => [Math.sin(30 * t)] });
    const ens = net.ensemble({ nNeurons: 10, dimensions: 1, neuronType: new nengo.SoftLIFRate({ sigma: 0.3 }) });
    net.connect(inp, ens);
    const p = net.probe(ens.neurons);
    const ref = new nengo.Simulator(net, { seed: 1, progressBar: false });
    ref.runSteps(30);
    const sim = await nengoDL.Simulator.create(net, { ...simOpts, seed: 1 });
    try {
      await sim.runSteps(30);
      const want = (ref.data.get(p) as number[][]).flat();
      const got = sim.data.get(p)[0].flat();
      want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-4 * Math.max(1, w), `${i}: ${got[i]} vs ${w}`));
    } finally {
      ref.close();
      await sim.close();
    }
  });

  test(`[${backend}] objectives.regularize formula (test_regularize)`, async () => {
    await nengoDL.selectBackend(backend);
    const rng = new nengo.RandomState(7);
    const x = Array.from(rng.standardNormal(2 * 3 * 4 * 5));
    const at = (i: number, j: number, k: number, l: number): number => x[((i * 3 + j) * 4 + k) * 5 + l];
    const cases: [number | null, number | null, 1 | 2 | "euclidean"][] = [
      [null, 0.6, 1],
      [null, 0.7, "euclidean"],
      [1, null, 2],
    ];
    for (const [axis, weight, order] of cases) {
      const got = tf.tidy(
        () =>
          nengoDL.objectives
            .regularize({ axis, weight, order })(tf.tensor4d(x, [2, 3, 4, 5]) as unknown as nengoDL.tf.Tensor3D)
            .dataSync()[0],
      );
      let want = 0;
      let n = 0;
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 3; j++) {
          if (axis === null) {
            // the non-batch, non-time axes flattened, one norm per (batch, step)
            let s = 0;
            for (let k = 0; k < 4; k++)
              for (let l = 0; l < 5; l++) s += order === 1 ? Math.abs(at(i, j, k, l)) : at(i, j, k, l) ** 2;
            want += order === 1 ? s : Math.sqrt(s);
            n++;
          } else {
            // axis 1 after (batch, step): the last axis
            for (let k = 0; k < 4; k++) {
              let s = 0;
              for (let l = 0; l < 5; l++) s += at(i, j, k, l) ** 2;
              want += Math.sqrt(s);
              n++;
            }
          }
        }
      want = (want / n) * (weight ?? 1);
      assert.ok(Math.abs(got - want) <= 1e-5 * want, `axis ${axis} weight ${weight} order ${order}: ${got} vs ${want}`);
    }
    assert.throws(() => nengoDL.objectives.regularize({ order: 3 as never }), nengo.ValidationError);
  });

  test(`[${backend}] training a regularize objective drives activities / weights to 0 (test_regularize_train)`, async () => {
    for (const mode of ["activity", "weights"] as const) {
      const net = new nengo.Network({ seed: 8 });
      const a = net.node({ output: (t: number) => [Math.sin(50 * t) + 0.5 * Math.cos(170 * t)] });
      const b = net.ensemble({
        nNeurons: 30,
        dimensions: 1,
        neuronType: new nengo.Sigmoid({ tauRef: 1 }),
        gain: new nengo.dists.Choice([1]),
        bias: new nengo.dists.Choice([0]),
      });
      const c = net.connect(a, b.neurons, { synapse: null, transform: new nengo.dists.Uniform(-0.1, 0.1) });
      const p = mode === "weights" ? net.probe(c, "weights") : net.probe(b.neurons);
      const sim = await nengoDL.Simulator.create(net, { ...simOpts, seed: 9 });
      try {
        await sim.train({
          data: 5,
          optimizer: tf.train.rmsprop(mode === "weights" ? 0.01 : 0.1),
          objective: new Map([[p, nengoDL.objectives.regularize()]]),
          nEpochs: 80,
        });
        await sim.step();
        const v = sim.data.get(p)[0].flat(3) as number[];
        assert.equal(v.length, 30);
        v.forEach((y, i) => assert.ok(Math.abs(y) < 1e-2, `${mode} [${i}]: ${y}`));
      } finally {
        await sim.close();
      }
    }
  });

  test(`[${backend}] sliced connections train (test_train_sparse)`, async () => {
    const net = new nengo.Network({ seed: 10 });
    net.config.configure(nengo.Ensemble, { gain: new nengo.dists.Choice([1]), bias: new nengo.dists.Choice([0]) });
    net.config.configure(nengo.Connection, { synapse: null });
    const inp = net.node({ output: [0, 0, 0, 0, 0] });
    const ens = net.ensemble({ nNeurons: 20, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
    const out = net.node({ sizeIn: 2 });
    net.connect(inp.slice([0, 2, 3]), ens.neurons, { transform: new Glorot() });
    net.connect(ens.neurons, out, { transform: new Glorot() });
    const p = net.probe(out);
    const sim = await nengoDL.Simulator.create(net, { ...simOpts, seed: 11, minibatchSize: 4 });
    try {
      // XOR of inputs 0 and 3, a constant 1 on input 2; inputs 1 and 4 are not connected (and noisy)
      const bits = [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ];
      const x = bits.map(([u, v], i) => [[u, 0.3 * i - 0.5, 1, v, 0.7 - 0.4 * i]]);
      const y = bits.map(([u, v]) => [u === v ? [1, 0] : [0, 1]]);
      await sim.train({
        data: new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, x],
          [p, y],
        ]),
        optimizer: tf.train.momentum(0.1, 0.9, true),
        nEpochs: 300,
      });
      await sim.step({ data: new Map([[inp, x]]) });
      const got = sim.data.get(p);
      got.forEach((r, i) =>
        r[0].forEach((v, k) => assert.ok(Math.abs(v - y[i][0][k]) < 1e-3, `item ${i}[${k}]: ${v} vs ${y[i][0][k]}`)),
      );
    } finally {
      await sim.close();
    }
  });

  test(`[${backend}] train/loss/runSteps validation errors name the object and change nothing`, async () => {
    const net = new nengo.Network({ seed: 12 });
    const inp = net.node({ output: [0.5], label: "inp" });
    const ens = net.ensemble({ nNeurons: 6, dimensions: 1, label: "ens" });
    const pass = net.node({ sizeIn: 1, label: "pass" });
    net.connect(inp, ens);
    net.connect(ens, pass);
    const p = net.probe(pass, { label: "p" });
    const p2 = net.probe(ens.neurons, { label: "p2" });
    const other = new nengo.Network();
    const foreignNode = other.node({ output: [0], label: "foreign_inp" });
    const foreignProbe = other.probe(foreignNode, { label: "foreign_p" });
    const sim = await nengoDL.Simulator.create(net, { ...simOpts, seed: 13, minibatchSize: 2 });
    try {
      await sim.runSteps(3);
      const params0 = varValues(sim);
      const probe0 = sim.data.get(p);
      const unchanged = (what: string): void => {
        assert.equal(sim.nSteps, 3, `${what}: nSteps`);
        assert.equal(sim.trainingStep, 0, `${what}: trainingStep`);
        assert.deepEqual(varValues(sim), params0, `${what}: parameters`);
        assert.deepEqual(sim.data.get(p), probe0, `${what}: probe data`);
      };
      const opt = tf.train.sgd(1);
      const xs = arr3(2, 4, 1, () => 1);
      const ys = arr3(2, 4, 1, () => 0);
      const rejects = async (
        what: string,
        run: () => Promise<unknown>,
        msg: RegExp,
        cls: typeof nengo.ValidationError | typeof nengo.SimulatorClosed = nengo.ValidationError,
      ): Promise<void> => {
        await assert.rejects(run, (e: unknown) => {
          assert.ok(e instanceof cls, `${what}: ${String(e)}`);
          assert.match((e as Error).message, msg, what);
          return true;
        });
        unchanged(what);
      };
      const both = async (
        what: string,
        data: DataMap,
        msg: RegExp,
        objective?: nengoDL.ObjectiveMap,
      ): Promise<void> => {
        await rejects(`train: ${what}`, () => sim.train({ data, optimizer: opt, objective }), msg);
        await rejects(`loss: ${what}`, () => sim.loss({ data, objective }), msg);
      };
      const esc = (o: unknown): string => String(o).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      // _check_data
      await both(
        "rank",
        new Map([[inp, [[1], [1]]]]),
        new RegExp(`${esc(inp)}.*should have rank 3 \\(batch_size, n_steps, dimensions\\), found rank 2`),
      );
      await both(
        "node with inputs",
        new Map<nengo.Node | nengo.Probe, unknown>([
          [pass, xs],
          [p, ys],
        ]),
        new RegExp(
          `${esc(pass)} is not an input Node \\(a nengo.Node with sizeIn==0\\), or is from a different network`,
        ),
      );
      await both(
        "node of another network",
        new Map<nengo.Node | nengo.Probe, unknown>([
          [foreignNode, xs],
          [p, ys],
        ]),
        new RegExp(`${esc(foreignNode)} is not an input Node.*or is from a different network`),
      );
      await both(
        "probe of another network",
        new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, xs],
          [foreignProbe, ys],
        ]),
        new RegExp(`${esc(foreignProbe)} is from a different network`),
        new Map([[p, (o: nengoDL.tf.Tensor3D) => tf.sum(o)]]),
      );
      await both(
        "other key type",
        new Map<unknown, unknown>([
          [ens, xs],
          [p, ys],
        ]) as DataMap,
        new RegExp(`Data objects must be Nodes or Probes, not ${esc(ens)}`),
      );
      await both(
        "different batch sizes",
        new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, xs],
          [p, arr3(4, 4, 1, () => 0)],
        ]),
        new RegExp(`Elements have different batch sizes: 2 and 4 \\(${esc(p)}\\)`),
      );
      await both(
        "different numbers of steps",
        new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, xs],
          [p, arr3(2, 5, 1, () => 0)],
        ]),
        new RegExp(`Elements have different numbers of timesteps: 4 and 5 \\(${esc(p)}\\)`),
      );
      await both(
        "batch smaller than the minibatch",
        new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, arr3(1, 4, 1, () => 1)],
          [p, arr3(1, 4, 1, () => 0)],
        ]),
        new RegExp(`Size of minibatch \\(1\\) for ${esc(inp)} data less than Simulation minibatchSize \\(2\\)`),
      );
      await both(
        "input dimensionality",
        new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, arr3(2, 4, 2, () => 1)],
          [p, ys],
        ]),
        new RegExp(`Dimensionality of data \\(2\\) does not match dimensionality of ${esc(inp)} \\(1\\)`),
      );
      await both(
        "target dimensionality",
        new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, xs],
          [p, arr3(2, 4, 3, () => 0)],
        ]),
        new RegExp(`Dimensionality of data \\(3\\) does not match dimensionality of ${esc(p)} \\(1\\)`),
      );
      // objectives
      await both(
        "objective probe without data",
        new Map([[inp, xs]]),
        new RegExp(`${esc(p2)} is used in the objective but has no data`),
        new Map([[p2, nengoDL.objectives.mse]]),
      );
      await both(
        "target probe not in the objective",
        new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, xs],
          [p, ys],
          [p2, arr3(2, 4, 6, () => 0)],
        ]),
        new RegExp(
          `${esc(p2)} is not a valid target; this is probably because it is not used in the objective function`,
        ),
        new Map([[p, nengoDL.objectives.mse]]),
      );
      const good: DataMap = new Map<nengo.Node | nengo.Probe, unknown>([
        [inp, xs],
        [p, ys],
      ]);
      // the optimizer: a plain object (NengoDL 1.x passed a dict here) or a Map
      for (const bad of [{ learningRate: 0.1 }, new Map([[p, ys]]), null]) {
        await rejects(
          `optimizer ${String(bad)}`,
          () => sim.train({ data: good, optimizer: bad as never }),
          /Simulator\.train\W*\.optimizer: must be a tfjs optimizer/,
        );
      }
      // runSteps
      await rejects(
        "runSteps batch",
        () => sim.runSteps(4, { data: new Map([[inp, arr3(3, 4, 1, () => 1)]]) }),
        /Input data must have batch size == sim.minibatchSize \(2\), got 3/,
      );
      await rejects(
        "runSteps steps",
        () => sim.runSteps(5, { data: new Map([[inp, xs]]) }),
        /Number of timesteps in input data \(4\) does not match requested number of steps \(5\)/,
      );
      await rejects(
        "runSteps node with inputs",
        () => sim.runSteps(4, { data: new Map([[pass, xs]]) }),
        new RegExp(`${esc(pass)} is not an input Node`),
      );
      await rejects(
        "runSteps probe data",
        () =>
          sim.runSteps(4, {
            data: new Map<nengo.Node | nengo.Probe, unknown>([
              [inp, xs],
              [p, ys],
            ]),
          }),
        new RegExp(`${esc(p)} is a Probe: runSteps takes data for input Nodes only`),
      );
      await rejects(
        "runSteps probe of another network",
        () => sim.runSteps(4, { data: new Map<nengo.Node | nengo.Probe, unknown>([[foreignProbe, xs]]) }),
        new RegExp(`${esc(foreignProbe)} is from a different network`),
      );
      await rejects(
        "runSteps rank",
        () => sim.runSteps(4, { data: new Map([[inp, [1, 2, 3, 4]]]) }),
        new RegExp(`${esc(inp)}.*should have rank 3 \\(batch_size, n_steps, dimensions\\), found rank 1`),
      );
      // still usable after all of that
      await sim.train({ data: good, optimizer: tf.train.sgd(0) });
      assert.equal(sim.trainingStep, 1);
      assert.equal(sim.nSteps, 3);
      // closed
      await sim.close();
      for (const [what, run] of [
        ["train", () => sim.train({ data: good, optimizer: opt })],
        ["loss", () => sim.loss({ data: good })],
        ["runSteps", () => sim.runSteps(1)],
        ["step", () => sim.step()],
      ] as const) {
        await assert.rejects(run, (e: unknown) => {
          assert.ok(e instanceof nengo.SimulatorClosed, `${what}: ${String(e)}`);
          assert.match((e as Error).message, /Simulator cannot run because it is closed/);
          return true;
        });
      }
      assert.throws(() => sim.reset(), nengo.SimulatorClosed);
    } finally {
      await sim.close();
    }
  });
}
