/**
 * The reference simulator runs merged operators with WebAssembly SIMD kernels where it can and with JS
 * loops otherwise: both must give exactly the same values, every signal, every step.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import { build } from "../src/builder/build.js";
import { makeBenchmark } from "../src/cli/benchmarks.js";
import { type Clock, SignalStore, compileModel } from "../src/simulator/compile.js";

/** Every operator kind and the shapes the kernels special-case (odd sizes for the vector tails). */
function mixedModel(probeWeights = false): nengo.Network {
  const net = new nengo.Network({ seed: 5 });
  const inp = net.node({ output: (t: number) => [Math.sin(20 * t), 0.7 * Math.cos(13 * t), 0.3], label: "inp" });
  const a = net.ensemble({ nNeurons: 37, dimensions: 3, label: "a" });
  const b = net.ensemble({ nNeurons: 23, dimensions: 2, neuronType: new nengo.AdaptiveLIF(), label: "b" });
  const c = net.ensemble({ nNeurons: 9, dimensions: 1, neuronType: new nengo.LIFRate(), label: "c" });
  const d = net.ensemble({ nNeurons: 11, dimensions: 2, label: "d" });
  const pass = net.node({ sizeIn: 3, label: "pass" });
  net.connect(inp, pass, { synapse: null });
  net.connect(pass, a, { synapse: 0.004 });
  net.connect(inp.slice([2, 0]), d, { transform: [0.5, -0.8], synapse: new nengo.Alpha(0.003) });
  net.connect(a, b, { function: (x) => [x[0] * x[1], x[2]], synapse: new nengo.Alpha(0.005) });
  net.connect(a.neurons, d.neurons, { transform: new nengo.dists.Uniform(-0.02, 0.02), synapse: 0.002 });
  net.connect(b, c, { function: (x) => x[0] + x[1] });
  net.connect(c, d.slice([1]), { transform: 2, synapse: 0.01 });
  const out = net.node({ sizeIn: 2, label: "out" });
  const learned = net.connect(a, out, { function: (x) => [x[0], 0], learningRuleType: new nengo.PES() });
  net.connect(out, learned.learningRule!, { synapse: null });
  net.connect(inp.slice([0, 1]), learned.learningRule!, { transform: -1 });
  net.connect(d, out, { transform: 0.1 });
  net.probe(out);
  net.probe(c.neurons, { synapse: 0.005 });
  // a probe on learned weights keeps them untransposed (the product then reads columns in place)
  if (probeWeights) net.probe(learned, { attr: "weights" });
  return net;
}

/** Steps the model on the SIMD and the JS path side by side, comparing the arenas after every step. */
function compare(net: nengo.Network, steps: number): void {
  const model = build(net, { dt: 0.001 });
  const run = (simd: boolean) => {
    const store = new SignalStore();
    const clock: Clock = { t: 0 };
    const compiled = compileModel(model, store, clock, { simd });
    return { store, clock, compiled };
  };
  const wasm = run(true);
  const js = run(false);
  assert.ok(wasm.store.memory, "the arena is a WebAssembly.Memory");
  assert.equal(js.store.memory, null);
  for (let s = 1; s <= steps; s++) {
    for (const r of [wasm, js]) {
      r.clock.t = s * 0.001;
      for (const f of s === 1 ? r.compiled.all : r.compiled.everyStep) f();
    }
    assert.deepEqual(wasm.store.arena, js.store.arena, `step ${s}`);
  }
}

test("reference simulator: SIMD kernels and JS loops give identical values (every operator kind)", () => {
  compare(mixedModel(), 300);
  compare(mixedModel(true), 300);
});

test("reference simulator: learned weights kept transposed give the same run as untransposed", () => {
  const run = (probeWeights: boolean) => {
    const sim = new nengo.Simulator(mixedModel(probeWeights), { progressBar: false });
    sim.runSteps(300);
    return sim.data.get(sim.network.allProbes[0]);
  };
  assert.deepEqual(run(true), run(false));
});

for (const name of ["integrator", "cconv", "pes"]) {
  test(`reference simulator: SIMD kernels and JS loops give identical values (${name} benchmark)`, () => {
    compare(makeBenchmark(name, 5, 24).net, 200);
  });
}
