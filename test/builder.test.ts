/** Builder, scheduling and operator merging on small hand-checked cases. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import { scheduleOps } from "../src/builder/order.js";
import { planOps } from "../src/builder/plan.js";
import { Signal } from "../src/builder/signal.js";
import type { Op } from "../src/builder/ops.js";

test("scheduleOps orders sets < incs < reads < updates per signal, keeping insertion order otherwise", () => {
  const a = new Signal("a", 1);
  const b = new Signal("b", 1);
  const w = new Signal("w", 1);
  const read: Op = { type: "copy", src: a, dst: b, srcIdx: null, dstIdx: null, inc: false }; // reads a, sets b
  const inc: Op = { type: "elementwiseInc", A: w, X: w, Y: a }; // incs a
  const set: Op = { type: "reset", dst: a, value: 0 }; // sets a
  const upd: Op = { type: "synapse", synapse: new nengo.Lowpass(0.1), input: b, output: w, state: new Signal("s", 1) };
  const order = scheduleOps([upd, read, inc, set]);
  assert.deepEqual(
    order.map((o) => o.type),
    ["reset", "elementwiseInc", "copy", "synapse"],
  );
});

test("scheduleOps reports an algebraic loop as a BuildError", () => {
  const net = new nengo.Network();
  const a = net.node({ sizeIn: 1 });
  const b = net.node({ sizeIn: 1 });
  net.connect(a, b, { synapse: null });
  net.connect(b, a, { synapse: null });
  assert.throws(
    () => new nengo.Simulator(net),
    (e: Error) => e instanceof nengo.BuildError && /algebraic loop/.test(e.message),
  );
});

test("planOps merges neuron ops of the same type and keeps other types apart", () => {
  const net = new nengo.Network({ seed: 0 });
  const x = net.node({ output: [0.3] });
  const ens = [0, 1, 2].map(() => net.ensemble({ nNeurons: 10, dimensions: 1 }));
  const other = net.ensemble({ nNeurons: 10, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
  for (const e of [...ens, other]) net.connect(x, e);
  const model = nengo.build(net);
  const groups = planOps(model.ops, (op) => (op.type === "neurons" ? op.neuronType.mergeKey : null));
  const neuronGroups = groups.filter((g) => g[0].type === "neurons");
  assert.deepEqual(neuronGroups.map((g) => g.length).sort(), [1, 3]);
  assert.equal(groups.flat().length, model.ops.length);
});

test("node -> node with transform and no synapse is immediate; Lowpass gives the closed-form response", () => {
  const net = new nengo.Network();
  const c = net.node({ output: [1.5, -2] });
  const direct = net.node({ sizeIn: 2 });
  const filtered = net.node({ sizeIn: 2 });
  net.connect(c, direct, { transform: 2, synapse: null });
  const tau = 0.01;
  net.connect(c, filtered, {
    transform: [
      [0, 1],
      [1, 0],
    ],
    synapse: tau,
  });
  const pd = net.probe(direct);
  const pf = net.probe(filtered);
  const sim = new nengo.Simulator(net);
  sim.runSteps(5);
  assert.deepEqual(sim.data.get(pd)[0], [3, -4]);
  const a = Math.exp(-0.001 / tau);
  sim.data.get(pf).forEach((row, k) => {
    // the synapse output is an update: at step k+1 the node reads the filter after k inputs
    const y = 1 - a ** k;
    assert.ok(Math.abs(row[0] - -2 * y) < 1e-12 && Math.abs(row[1] - 1.5 * y) < 1e-12, `step ${k}`);
  });
  assert.deepEqual(
    sim.trange(),
    [0.001, 0.002, 0.003, 0.004, 0.005].map((t, i) => (i + 1) * 0.001),
  );
});

test("an ensemble decodes a constant input and a function of it", () => {
  const net = new nengo.Network({ seed: 3 });
  const x = net.node({ output: [0.5] });
  const ens = net.ensemble({ nNeurons: 100, dimensions: 1, neuronType: new nengo.LIFRate() });
  net.connect(x, ens);
  const p = net.probe(ens, { synapse: 0.01 });
  const sq = net.node({ sizeIn: 1 });
  net.connect(ens, sq, { function: (v) => [v[0] * v[0]] });
  const ps = net.probe(sq, { synapse: 0.01 });
  const sim = new nengo.Simulator(net);
  sim.run(0.3);
  const last = sim.data.get(p).at(-1) as number[];
  assert.ok(Math.abs(last[0] - 0.5) < 0.03, `decoded ${last[0]}`);
  const lastSq = sim.data.get(ps).at(-1) as number[];
  assert.ok(Math.abs(lastSq[0] - 0.25) < 0.03, `decoded square ${lastSq[0]}`);
  const d = sim.data.get(ens);
  assert.equal(d.encoders.length, 100);
  assert.equal(d.gain?.length, 100);
  d.encoders.forEach((row) => assert.ok(Math.abs(Math.abs(row[0]) - 1) < 1e-12));
  assert.equal((sim.data.get(net.connections[1]).weights as number[][]).length, 1);
});

test("slices select dimensions on both sides of a connection", () => {
  const net = new nengo.Network();
  const a = net.node({ output: [1, 2, 3] });
  const b = net.node({ sizeIn: 4 });
  net.connect(a.slice([2, 0]), b.slice({ start: 1, stop: 3 }), { synapse: null });
  const p = net.probe(b);
  const sim = new nengo.Simulator(net);
  sim.step();
  assert.deepEqual(sim.data.get(p)[0], [0, 3, 1, 0]);
});

test("reset restores the initial state and clears probe data; closed simulators refuse to run", () => {
  const net = new nengo.Network({ seed: 1 });
  const x = net.node({ output: (t: number) => [Math.sin(10 * t)] });
  const ens = net.ensemble({ nNeurons: 20, dimensions: 1 });
  net.connect(x, ens);
  const p = net.probe(ens, { synapse: 0.005 });
  const sim = new nengo.Simulator(net);
  sim.runSteps(50);
  const first = sim.data.get(p);
  sim.reset();
  assert.equal(sim.data.get(p).length, 0);
  sim.runSteps(50);
  assert.deepEqual(sim.data.get(p), first);
  sim.close();
  assert.throws(() => sim.step(), nengo.SimulatorClosed);
});

test("bad input raises clear errors before anything is built", () => {
  const net = new nengo.Network({ label: "net" });
  assert.throws(() => net.ensemble({ nNeurons: -5, dimensions: 1, label: "bad" }), /nNeurons.*integer >= 1, got -5/);
  const a = net.node({ output: [1, 2], label: "a" });
  const b = net.node({ sizeIn: 3, label: "b" });
  assert.throws(
    () => net.connect(a, b),
    (e: Error) => e instanceof nengo.ValidationError && /transform/.test(e.message),
  );
  assert.throws(
    () => net.connect(a, b, { transform: [[1, 2]] }),
    /shape \[1, 2\] does not match \[post size 3, pre size 2\]/,
  );
  const other = new nengo.Network({ label: "other" });
  const c = other.node({ sizeIn: 2 });
  assert.throws(() => net.connect(a, c), /belongs to another network/);
  assert.throws(() => net.probe(a, { attr: "voltage" }), /"voltage" is not probeable/);
  assert.throws(() => net.node({ output: null }), /passthrough node.*sizeIn/);
  assert.equal(net.connections.length, 0);
});

test("network config defaults apply to objects created in it and its subnetworks", () => {
  const net = new nengo.Network();
  net.config.configure(nengo.Ensemble, { neuronType: new nengo.LIFRate(), radius: 2 });
  const sub = net.network({ label: "sub" });
  const e = sub.ensemble({ nNeurons: 5, dimensions: 1 });
  assert.ok(e.neuronType instanceof nengo.LIFRate);
  assert.equal(e.radius, 2);
  sub.config.configure(nengo.Ensemble, { radius: 3 });
  assert.equal(sub.ensemble({ nNeurons: 5, dimensions: 1 }).radius, 3);
  assert.equal(net.ensemble({ nNeurons: 5, dimensions: 1, radius: 4 }).radius, 4);
});

test("constant paths (computed once after each reset) keep their values across steps and resets", () => {
  const net = new nengo.Network({ seed: 2 });
  const c = net.node({ output: [0.5, -1] });
  const mid = net.node({ sizeIn: 2 });
  net.connect(c, mid, {
    transform: [
      [2, 0],
      [1, 1],
    ],
    synapse: null,
  });
  const ens = net.ensemble({ nNeurons: 30, dimensions: 2, neuronType: new nengo.LIFRate() });
  net.connect(mid, ens, { synapse: null });
  const pm = net.probe(mid);
  const pe = net.probe(ens.neurons);
  const sim = new nengo.Simulator(net);
  sim.runSteps(3);
  const first = sim.data.get(pm);
  assert.deepEqual(first, [
    [1, -0.5],
    [1, -0.5],
    [1, -0.5],
  ]);
  const rates = sim.data.get(pe);
  assert.deepEqual(rates[2], rates[0]);
  assert.ok(rates[0].some((r) => r > 0));
  sim.reset();
  sim.runSteps(3);
  assert.deepEqual(sim.data.get(pm), first);
  assert.deepEqual(sim.data.get(pe), rates);
});
