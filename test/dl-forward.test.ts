import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const BACKENDS = ["wasm", "cpu"] as const;

function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  assert.equal(a.length, b.length, "steps");
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
  return m;
}

function maxAbs(a: number[][]): number {
  let m = 0;
  for (const r of a) for (const v of r) m = Math.max(m, Math.abs(v));
  return m;
}

/** Run both simulators for n steps and compare every probe. */
async function compare(
  net: nengo.Network,
  probes: nengo.Probe[],
  n: number,
  backend: string,
  rtol = 2e-4,
): Promise<void> {
  const ref = new nengo.Simulator(net, { seed: 3, progressBar: false });
  ref.runSteps(n);
  const sim = await nengoDL.Simulator.create(net, { seed: 3, backend, progressBar: false });
  try {
    await sim.runSteps(Math.floor(n / 2));
    await sim.runSteps(n - Math.floor(n / 2));
    for (const p of probes) {
      const want = ref.data.get(p) as number[][];
      const got = sim.data.get(p)[0];
      const scale = Math.max(1, maxAbs(want));
      const d = maxAbsDiff(got, want);
      assert.ok(d <= rtol * scale, `${String(p)}: max diff ${d} (scale ${scale})`);
    }
  } finally {
    sim.close();
  }
}

for (const backend of BACKENDS) {
  test(`[${backend}] rate neurons, node functions, slices and probe synapses match the reference`, async () => {
    const net = new nengo.Network({ seed: 1 });
    const inp = net.node({ output: (t: number) => [Math.sin(10 * t), Math.cos(7 * t)] });
    const a = net.ensemble({ nNeurons: 40, dimensions: 2, neuronType: new nengo.LIFRate() });
    const b = net.ensemble({ nNeurons: 30, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
    const c = net.ensemble({ nNeurons: 20, dimensions: 1, neuronType: new nengo.Sigmoid() });
    const f = net.node({ output: (_t: number, x: Float64Array) => [x[0] * 2], sizeIn: 1, sizeOut: 1 });
    net.connect(inp, a);
    net.connect(a.slice([1]), b, { function: (x) => [x[0] ** 2] });
    net.connect(b, c, { synapse: new nengo.Alpha(0.01) });
    net.connect(c, f, { synapse: null });
    net.connect(b.neurons, c.neurons, {
      transform: Array.from({ length: 20 }, (_, i) => Array.from({ length: 30 }, (_, j) => ((i + j) % 5) * 0.001)),
    });
    const probes = [
      net.probe(a, { synapse: 0.01 }),
      net.probe(b),
      net.probe(c.neurons),
      net.probe(f),
      net.probe(a.neurons, { synapse: 0.005 }),
    ];
    await compare(net, probes, 60, backend);
  });

  test(`[${backend}] spiking LIF and a recurrent connection match the reference`, async () => {
    const net = new nengo.Network({ seed: 2 });
    const inp = net.node({ output: [0.5] });
    const a = net.ensemble({ nNeurons: 30, dimensions: 1 });
    const r = net.ensemble({ nNeurons: 25, dimensions: 1, neuronType: new nengo.SpikingRectifiedLinear() });
    net.connect(inp, a);
    net.connect(a, r, { synapse: 0.01 });
    net.connect(r, r, { synapse: 0.05 });
    const probes = [
      net.probe(a, { synapse: 0.02 }),
      net.probe(r, { synapse: 0.02 }),
      net.probe(a.neurons, { attr: "voltage" }),
    ];
    // spike timing in float32 drifts slowly from float64; compare a short run
    await compare(net, probes, 40, backend, 2e-3);
  });

  test(`[${backend}] minibatch input data and node passthrough`, async () => {
    const net = new nengo.Network({ seed: 4 });
    const inp = net.node({ output: [0, 0] });
    const pass = net.node({ sizeIn: 2 });
    const a = net.ensemble({ nNeurons: 20, dimensions: 2, neuronType: new nengo.Tanh() });
    net.connect(inp, pass, { synapse: null });
    net.connect(pass, a, {
      transform: [
        [1, 0],
        [0.5, -1],
      ],
    });
    const p = net.probe(a, { synapse: 0.01 });
    const pp = net.probe(pass);
    const sim = await nengoDL.Simulator.create(net, { minibatchSize: 3, backend, progressBar: false });
    const data = Array.from({ length: 3 }, (_, b) => Array.from({ length: 10 }, (_, t) => [b * 0.3, t * 0.01]));
    await sim.runSteps(10, { data: new Map([[inp, data]]) });
    const out = sim.data.get(pp);
    assert.deepEqual([out.length, out[0].length, out[0][0].length], [3, 10, 2]);
    assert.ok(Math.abs(out[2][9][1] - 0.09) < 1e-6 && Math.abs(out[2][9][0] - 0.6) < 1e-6);
    assert.equal(sim.data.get(p)[0].length, 10);
    await assert.rejects(sim.runSteps(5, { data: new Map([[inp, data]]) }), nengo.ValidationError);
    await assert.rejects(sim.runSteps(10, { data: new Map([[pass, data]]) }), /not an input Node/);
    sim.close();
    await assert.rejects(sim.runSteps(1), nengo.SimulatorClosed);
  });
}

/**
 * An EnsembleArray of one-dimensional ensembles with a recurrent connection (the integrator benchmark's
 * structure); `extra` adds a long one-dimensional ensemble fed from the array's input, so that its encoders
 * and the array's are two products of one stage.
 */
function ensembleArrayModel(
  input: number[] | ((t: number) => number[]),
  extra: boolean,
): { net: nengo.Network; inp: nengo.Node; probes: nengo.Probe[] } {
  const D = 12;
  const net = new nengo.Network({ seed: 5 });
  const inp = net.node({ output: input, label: "inp" });
  const ea = nengo.networks.EnsembleArray(net, { nNeurons: 6, nEnsembles: D, neuronType: new nengo.LIFRate() });
  net.connect(inp, ea.input, { transform: 0.5 });
  net.connect(ea.output, ea.input, { synapse: 0.02, transform: 0.8 });
  const probes = [net.probe(ea.output, { synapse: 0.005 }), net.probe(ea.eaEnsembles[3].neurons)];
  if (extra) {
    const big = net.ensemble({ nNeurons: 300, dimensions: 1, neuronType: new nengo.LIFRate(), label: "big" });
    net.connect(ea.input.slice([0]), big, { synapse: null });
    probes.push(net.probe(big, { synapse: 0.005 }), net.probe(big.neurons));
  }
  return { net, inp, probes };
}

for (const backend of BACKENDS) {
  test(`[${backend}] many one-dimensional ensembles match the reference for every minibatch item`, async () => {
    // encoders (+ biases) of 1-D ensembles as a convolution, alone in their stage (extra = false, biases
    // fused) and beside a block long enough for the broadcast product (extra = true)
    const mb = 3;
    const steps = 40;
    const dt = 0.001;
    const data = Array.from({ length: mb }, (_, b) =>
      Array.from({ length: steps }, (_, t) => Array.from({ length: 12 }, (_, k) => Math.sin(0.3 * t + k + 2 * b))),
    );
    for (const extra of [false, true]) {
      const m = ensembleArrayModel(Array<number>(12).fill(0), extra);
      const sim = await nengoDL.Simulator.create(m.net, { minibatchSize: mb, backend, seed: 3, progressBar: false });
      try {
        await sim.runSteps(steps, { data: new Map([[m.inp, data]]) });
        for (let b = 0; b < mb; b++) {
          const r = ensembleArrayModel((t) => data[b][Math.max(0, Math.round(t / dt) - 1)], extra);
          const ref = new nengo.Simulator(r.net, { seed: 3, progressBar: false });
          ref.runSteps(steps);
          r.probes.forEach((p, i) => {
            const want = ref.data.get(p) as number[][];
            const got = sim.data.get(m.probes[i])[b];
            const scale = Math.max(1, maxAbs(want));
            const d = maxAbsDiff(got, want);
            assert.ok(d <= 2e-4 * scale, `extra=${extra} item ${b} ${String(p)}: max diff ${d} (scale ${scale})`);
          });
          ref.close();
        }
      } finally {
        sim.close();
      }
    }
  });
}

test("node functions see the simulation time across segments and runs", async () => {
  const net = new nengo.Network({ seed: 6 });
  const clock = net.node({ output: (t: number) => [t, 2 * t] });
  const p = net.probe(clock);
  const sim = await nengoDL.Simulator.create(net, { minibatchSize: 2, progressBar: false });
  try {
    // 250 steps span three 100-step segments; the second run continues the clock
    await sim.runSteps(250);
    await sim.runSteps(30);
    const got = sim.data.get(p);
    assert.equal(got[1].length, 280);
    for (let k = 0; k < 280; k++) {
      const t = (k + 1) * 0.001;
      assert.ok(Math.abs(got[1][k][0] - t) < 1e-6 && Math.abs(got[1][k][1] - 2 * t) < 1e-6, `step ${k}: ${got[1][k]}`);
    }
  } finally {
    sim.close();
  }
});
