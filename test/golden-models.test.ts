/** The reference simulator against real Nengo on the explicit-parameter golden models. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import { loadGolden } from "./helpers/golden.js";

interface GoldenModel {
  dt: number;
  steps: number;
  neuron_type: { type: string; params: Record<string, number> };
  ensemble: { n_neurons: number; dimensions: number; encoders: number[][]; gain: number[]; bias: number[] };
  input: number[][];
  neuron_output_connection: { transform: number[][]; synapse_tau: number };
  recurrent: null | { transform_scale: number; synapse_tau: number };
  probes: { out: number[][]; "out_filtered_0.01": number[][]; neuron_output_sum: number[] };
  spike_count_total: number;
}

/** Rebuild a golden model: input node -> ensemble (synapse null); neurons -> output node. */
function buildGoldenModel(g: GoldenModel, neuronType: nengo.NeuronType) {
  const net = new nengo.Network({ seed: 1 });
  const input = net.node({ output: (t: number) => g.input[Math.round(t / g.dt) - 1] ?? g.input[0] });
  const ens = net.ensemble({
    nNeurons: g.ensemble.n_neurons,
    dimensions: g.ensemble.dimensions,
    encoders: g.ensemble.encoders,
    gain: g.ensemble.gain,
    bias: g.ensemble.bias,
    neuronType,
  });
  net.connect(input, ens, { synapse: null });
  const out = net.node({ sizeIn: g.neuron_output_connection.transform.length });
  net.connect(ens.neurons, out, {
    transform: g.neuron_output_connection.transform,
    synapse: g.neuron_output_connection.synapse_tau,
  });
  if (g.recurrent) {
    const scale = g.recurrent.transform_scale;
    const t = g.neuron_output_connection.transform.map((row) => row.map((v) => v * scale));
    net.connect(ens.neurons, ens, { transform: t, synapse: g.recurrent.synapse_tau });
  }
  const pOut = net.probe(out);
  const pFilt = net.probe(out, { synapse: 0.01 });
  const pNeurons = net.probe(ens.neurons);
  return { net, pOut, pFilt, pNeurons };
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

function rms(a: number[][]): number {
  let s = 0;
  let n = 0;
  a.forEach((row) => row.forEach((v) => ((s += v * v), n++)));
  return Math.sqrt(s / n);
}

test("relu_1d_recurrent (rate neurons, recurrence) matches Nengo to 1e-9", () => {
  const g = loadGolden("model_relu_1d_recurrent") as GoldenModel;
  const { net, pOut, pFilt, pNeurons } = buildGoldenModel(g, new nengo.RectifiedLinear());
  const sim = new nengo.Simulator(net, { dt: g.dt });
  sim.runSteps(g.steps);
  const out = sim.data.get(pOut);
  assert.equal(out.length, g.steps);
  const scale = rms(g.probes.out);
  assert.ok(
    maxAbsDiff(out, g.probes.out) <= 1e-9 * Math.max(1, scale),
    `out differs by ${maxAbsDiff(out, g.probes.out)}`,
  );
  assert.ok(maxAbsDiff(sim.data.get(pFilt), g.probes["out_filtered_0.01"]) <= 1e-9 * Math.max(1, scale));
  const sums = sim.data.get(pNeurons).map((row) => row.reduce((a, b) => a + b, 0));
  sums.forEach((s, i) =>
    assert.ok(Math.abs(s - g.probes.neuron_output_sum[i]) <= 1e-7 * Math.max(1, Math.abs(s)), `step ${i}`),
  );
});

test("lif_2d (spiking) matches Nengo within spike-timing tolerance", () => {
  const g = loadGolden("model_lif_2d") as GoldenModel;
  const { net, pOut, pFilt, pNeurons } = buildGoldenModel(g, new nengo.LIF());
  const sim = new nengo.Simulator(net, { dt: g.dt });
  sim.runSteps(g.steps);
  // LIF initial voltages are random (Uniform(0, 1), seeded per model), so individual spikes shift by a
  // few steps against Nengo's run; total spike counts differ by at most ~1 per neuron.
  const spikes = sim.data
    .get(pNeurons)
    .flat()
    .filter((v) => v > 0).length;
  assert.ok(
    Math.abs(spikes - g.spike_count_total) <= g.ensemble.n_neurons,
    `spike count ${spikes} vs Nengo ${g.spike_count_total}`,
  );
  // The 0.01-filtered output: the error is bounded by a few misplaced spikes per neuron, so compare the
  // RMS error to the RMS signal after the initial transient (first 100 ms).
  const filt = sim.data.get(pFilt).slice(100);
  const ref = g.probes["out_filtered_0.01"].slice(100);
  const err = rms(filt.map((row, i) => row.map((v, j) => v - ref[i][j])));
  assert.ok(err < 0.15 * rms(ref), `filtered output RMS error ${err} vs signal RMS ${rms(ref)}`);
  assert.equal(sim.data.get(pOut).length, g.steps);
});

test("PES learning from zero weights matches Nengo", () => {
  const g = loadGolden("model_pes");
  const e = g.ensemble;
  const net = new nengo.Network({ seed: 1 });
  const input = net.node({ output: (t: number) => [Math.sin(2 * Math.PI * t)] });
  const pre = net.ensemble({
    nNeurons: e.n_neurons,
    dimensions: e.dimensions,
    encoders: e.encoders,
    gain: e.gain,
    bias: e.bias,
    neuronType: new nengo.LIFRate(),
  });
  net.connect(input, pre, { synapse: null });
  const post = net.node({ sizeIn: 1 });
  const conn = net.connect(pre.neurons, post, {
    transform: [new Array(e.n_neurons).fill(0)],
    learningRuleType: new nengo.PES({ learningRate: 1e-4 }),
  });
  const error = net.node({ sizeIn: 1 });
  net.connect(post, error, { synapse: null });
  net.connect(input, error, { synapse: null, transform: -1 });
  net.connect(error, conn.learningRule as nengo.LearningRule, { synapse: null });
  const pPost = net.probe(post);
  const pW = net.probe(conn, "weights", { sampleEvery: 0.1 });
  const sim = new nengo.Simulator(net);
  sim.runSteps(g.steps);
  const got = sim.data.get(pPost);
  // float64 throughout, same operator order (the PES pre filter is a "set"-mode process, as in Nengo 4)
  const diff = maxAbsDiff(got, g.probes.post);
  assert.ok(diff < 1e-12, `post differs from Nengo by ${diff}`);
  const w = sim.data.get(pW) as unknown as number[][][];
  assert.equal(w.length, g.probes["weights_every_0.1s"].length);
  w.forEach((m, k) => assert.ok(maxAbsDiff(m, g.probes["weights_every_0.1s"][k]) < 1e-13, `weights sample ${k}`));
});

test("synapse impulse and step responses through a probe match Nengo to 1e-9", () => {
  const g = loadGolden("synapses");
  for (const f of g.filters) {
    const make = (): nengo.LinearFilter =>
      f.type === "Lowpass"
        ? new nengo.Lowpass(f.params.tau)
        : f.type === "Alpha"
          ? new nengo.Alpha(f.params.tau)
          : new nengo.LinearFilter(f.params.num, f.params.den);
    for (const kind of ["impulse", "step"] as const) {
      const net = new nengo.Network();
      const u = net.node({
        output: (t: number) => (kind === "step" ? [1] : Math.round(t / g.dt) === 1 ? [1 / g.dt] : [0]),
      });
      const p = net.probe(u, { synapse: make() });
      const sim = new nengo.Simulator(net, { dt: g.dt });
      sim.runSteps(g.steps);
      const got = sim.data.get(p).map((r) => r[0]);
      const want: number[] = f[kind];
      const scale = Math.max(...want.map(Math.abs));
      got.forEach((v, i) =>
        assert.ok(Math.abs(v - want[i]) <= 1e-9 * scale, `${f.type} ${kind} step ${i}: ${v} vs ${want[i]}`),
      );
    }
  }
});
