/** sim.checkGradients (NengoDL 2.x check_gradients) and the finite-difference helper behind it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const U = (a: number, b: number): nengo.dists.Uniform => new nengo.dists.Uniform(a, b);

const varValues = (sim: nengoDL.Simulator): number[][] =>
  sim.trainableVariables.map((v) => Array.from(v.dataSync() as Float32Array));

/** LIF (trained through SoftLIFRate) with a recurrent connection into LIFRate; neurons kept above threshold. */
function lifNet(): { net: nengo.Network; probes: nengo.Probe[]; a: nengo.Ensemble } {
  const net = new nengo.Network({ seed: 1 });
  nengoDL.configureSettings(net, { lifSmoothing: 0.05 });
  const inp = net.node({ output: (t: number) => [0.5 * Math.sin(20 * t)], label: "inp" });
  const a = net.ensemble({ nNeurons: 8, dimensions: 1, intercepts: U(-1, -0.6), label: "a" });
  const b = net.ensemble({ nNeurons: 6, dimensions: 1, neuronType: new nengo.LIFRate(), intercepts: U(-1, -0.6) });
  net.connect(inp, a, { synapse: 0.005 });
  net.connect(a, a, { synapse: 0.01, transform: 0.2 });
  net.connect(a, b, { synapse: 0.005 });
  return { net, probes: [net.probe(b), net.probe(a.neurons, { synapse: 0.01 })], a };
}

/** Tanh and Sigmoid rate neurons (kept out of saturation), a recurrent 2-D transform and a neuron connection. */
function rateNet(): nengo.Network {
  const net = new nengo.Network({ seed: 2 });
  const inp = net.node({ output: (t: number) => [0.4 * Math.cos(15 * t), 0.3] });
  const a = net.ensemble({ nNeurons: 8, dimensions: 2, neuronType: new nengo.Tanh(), maxRates: U(150, 250) });
  const b = net.ensemble({ nNeurons: 4, dimensions: 1, neuronType: new nengo.Sigmoid(), maxRates: U(220, 300) });
  const out = net.node({ sizeIn: 2 });
  net.connect(inp, a, { synapse: 0.003 });
  net.connect(a, a, {
    synapse: 0.02,
    transform: [
      [0.3, 0.1],
      [-0.1, 0.3],
    ],
  });
  net.connect(a, out);
  net.connect(a.neurons, b.neurons, { transform: U(-0.01, 0.01) });
  net.probe(out);
  net.probe(b);
  return net;
}

test("checkGradients passes on LIF + lifSmoothing with a recurrent connection, and leaves the simulator as it was", async () => {
  const { net, probes, a } = lifNet();
  const opts = { backend: "wasm", progressBar: false, seed: 0, minibatchSize: 2 } as const;
  const sim = await nengoDL.Simulator.create(net, opts);
  const twin = await nengoDL.Simulator.create(net, opts);
  try {
    await sim.runSteps(5);
    await twin.runSteps(5);
    const vars0 = varValues(sim);
    const probe0 = sim.data.get(probes[0]);
    const report = await sim.checkGradients({ nSteps: 10 });
    assert.deepEqual(
      report.params.map((p) => p.key),
      [
        "Ensemble[0].encoders",
        "Ensemble[0].neurons.bias",
        "Ensemble[1].encoders",
        "Ensemble[1].neurons.bias",
        "Connection[0].weights",
        "Connection[1].weights",
        "Connection[2].weights",
      ],
    );
    assert.equal(report.params[0].obj, a);
    assert.equal(report.nSteps, 10);
    assert.deepEqual(report.outputs, probes);
    assert.equal(report.rtol, nengoDL.DEFAULT_RTOL);
    for (const p of report.params) {
      assert.equal(p.checked, p.size, p.key);
      assert.ok(p.worst <= 1 && p.worst >= 0, `${p.key}: worst ${p.worst}`);
      assert.ok(Number.isFinite(p.analytic) && p.analytic !== 0, `${p.key}: analytic ${p.analytic}`);
    }
    assert.ok(report.maxError >= Math.max(...report.params.map((p) => p.maxError)));
    // nothing changed: parameters, time, probe data, training step, and the state (the runs continue identically)
    assert.deepEqual(varValues(sim), vars0);
    assert.equal(sim.nSteps, 5);
    assert.equal(sim.trainingStep, 0);
    assert.deepEqual(sim.data.get(probes[0]), probe0);
    await sim.runSteps(5);
    await twin.runSteps(5);
    for (const p of probes) assert.deepEqual(sim.data.get(p), twin.data.get(p));
    // tolerances far below the float32 noise of the finite differences: the comparison is real and fails
    await assert.rejects(sim.checkGradients({ nSteps: 10, atol: 0, rtol: 1e-6 }), nengo.SimulationError);
    assert.deepEqual(varValues(sim), vars0);
  } finally {
    await sim.close();
    await twin.close();
  }
});

for (const backend of ["wasm", "cpu"] as const) {
  test(`[${backend}] checkGradients passes on rate neurons (Tanh, Sigmoid) with a recurrent transform`, async () => {
    const sim = await nengoDL.Simulator.create(rateNet(), { backend, progressBar: false, seed: 1 });
    try {
      const report = await sim.checkGradients({ nSteps: 8, samples: 6 });
      assert.equal(report.params.length, 8);
      for (const p of report.params) assert.equal(p.checked, Math.min(6, p.size), p.key);
      assert.ok(report.params.every((p) => p.worst <= 1));
    } finally {
      await sim.close();
    }
  });
}

test("checkGradients fails when the analytic gradient is wrong: a Node function (no gradient) in the path", async () => {
  // Nodes with inputs run as JS without gradient (NengoDL's py_func): the trained gradient of everything
  // upstream of `f` is zero although the output depends on it, so the check must throw
  const net = new nengo.Network({ seed: 3 });
  const inp = net.node({ output: [0.3] });
  const a = net.ensemble({ nNeurons: 6, dimensions: 1, neuronType: new nengo.Tanh(), maxRates: U(150, 250) });
  const f = net.node({ sizeIn: 1, output: (_t: number, x: Float64Array) => [2 * x[0]], label: "f" });
  net.connect(inp, a, { synapse: null });
  net.connect(a, f, { synapse: 0.005 });
  const p = net.probe(f);
  const sim = await nengoDL.Simulator.create(net, { backend: "wasm", progressBar: false, seed: 0 });
  try {
    const vars0 = varValues(sim);
    await assert.rejects(
      sim.checkGradients({ nSteps: 6 }),
      (e: Error) =>
        e instanceof nengo.SimulationError &&
        /gradient check failed for Ensemble\[0\]\.encoders of <Ensemble/.test(e.message) &&
        /the analytic gradient is 0 and the numeric one/.test(e.message) &&
        /max \|difference\|/.test(e.message),
    );
    assert.deepEqual(varValues(sim), vars0, "parameters restored after a failure");
    assert.equal(sim.nSteps, 0);
    // the same network with the function as a connection function on the ensemble is differentiable
    const net2 = new nengo.Network({ seed: 3 });
    const inp2 = net2.node({ output: [0.3] });
    const a2 = net2.ensemble({ nNeurons: 6, dimensions: 1, neuronType: new nengo.Tanh(), maxRates: U(150, 250) });
    const out2 = net2.node({ sizeIn: 1 });
    net2.connect(inp2, a2, { synapse: null });
    net2.connect(a2, out2, { synapse: 0.005, function: (x) => [2 * x[0]] });
    net2.probe(out2);
    const sim2 = await nengoDL.Simulator.create(net2, { backend: "wasm", progressBar: false, seed: 0 });
    try {
      assert.ok((await sim2.checkGradients({ nSteps: 6 })).params.every((q) => q.worst <= 1));
    } finally {
      await sim2.close();
    }
    void p;
  } finally {
    await sim.close();
  }
});

test("checkGradient helper: passes a correct gradient, throws on a wrong one", () => {
  const x0 = Float32Array.from([0.5, -1.5, 2, 0]);
  const f = (x: Float32Array): number => x.reduce((s, v, i) => s + (i + 1) * v ** 3, 0);
  const grad = Array.from(x0, (v, i) => 3 * (i + 1) * v * v);
  const ok = nengoDL.checkGradient("f", f, x0, grad);
  assert.equal(ok.checked, 4);
  assert.ok(ok.worst <= 1 && ok.maxError < 1e-3, `worst ${ok.worst}, maxError ${ok.maxError}`);
  // a 5 % error in one element, a sign error, a missing term
  const wrong = [...grad];
  wrong[2] *= 1.05;
  assert.throws(
    () => nengoDL.checkGradient("f", f, x0, wrong),
    (e: Error) => e instanceof nengo.SimulationError && /f: at element 2/.test(e.message),
  );
  assert.throws(
    () =>
      nengoDL.checkGradient(
        "f",
        f,
        x0,
        grad.map((g, i) => (i === 1 ? -g : g)),
      ),
    /element 1/,
  );
  assert.throws(() => nengoDL.checkGradient("f", f, x0, [0, grad[1], grad[2], grad[3]]), /element 0/);
  // only the elements asked for are checked
  assert.equal(nengoDL.checkGradient("f", f, x0, wrong, { indices: [0, 1, 3] }).checked, 3);
  assert.throws(() => nengoDL.checkGradient("f", f, x0, [1, 2]), nengo.ValidationError);
  assert.throws(() => nengoDL.checkGradient("f", f, x0, grad, { delta: 0 }), nengo.ValidationError);
  assert.throws(() => nengoDL.checkGradient("f", f, x0, grad, { indices: [4] }), nengo.ValidationError);
  assert.throws(() => nengoDL.checkGradient("f", () => NaN, x0, grad), /non-finite/);
});

test("checkGradients errors: bad options, no trainable parameters, closed simulator", async () => {
  const { net } = lifNet();
  const other = new nengo.Network();
  const foreign = other.probe(other.node({ output: [0] }));
  const sim = await nengoDL.Simulator.create(net, { backend: "wasm", progressBar: false, minibatchSize: 2 });
  try {
    const inp = net.nodes[0];
    const bad: [nengoDL.CheckGradientsOptions, RegExp][] = [
      [{ outputs: [foreign] }, /is not a Probe of this simulator's network/],
      [{ outputs: [] }, /non-empty array of Probes/],
      [{ nSteps: 0 }, /positive integer/],
      [{ samples: 1.5 }, /positive integer/],
      [{ atol: -1 }, /non-negative number/],
      [{ delta: 0 }, /positive number/],
      [{ data: new Map([[inp, [[[0]]]]]) }, /less than Simulation minibatchSize \(2\)/],
      [{ data: new Map([[inp, [[[0]], [[0]], [[0]]]]]) }, /batch size == sim.minibatchSize \(2\)/],
      [{ data: new Map([[inp, [[[0]], [[0]]]]]), nSteps: 3 }, /does not match nSteps \(3\)/],
    ];
    for (const [o, msg] of bad)
      await assert.rejects(
        sim.checkGradients(o),
        (e: Error) => e instanceof nengo.ValidationError && msg.test(e.message),
        String(msg),
      );
    // data sets the number of steps
    const r = await sim.checkGradients({
      data: new Map([
        [
          inp,
          [
            [[0.1], [0.2]],
            [[0.3], [0.4]],
          ],
        ],
      ]),
      samples: 1,
    });
    assert.equal(r.nSteps, 2);
  } finally {
    await sim.close();
  }
  await assert.rejects(sim.checkGradients(), nengo.SimulatorClosed);

  const frozen = lifNet().net;
  nengoDL.configureSettings(frozen, { trainable: false });
  const sim2 = await nengoDL.Simulator.create(frozen, { backend: "wasm", progressBar: false });
  try {
    await assert.rejects(sim2.checkGradients(), /no trainable parameters/);
  } finally {
    await sim2.close();
  }
});
