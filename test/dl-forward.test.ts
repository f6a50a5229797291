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
