import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";
import { Glorot } from "../src/dists/dl.js";

const { tf } = nengoDL;
const BACKENDS = ["wasm", "cpu"] as const;

const linspace = (a: number, b: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

for (const backend of BACKENDS) {
  test(`[${backend}] XOR with Sigmoid(tauRef=1) neurons trains to atol 2e-3`, async () => {
    for (const neurons of [false, true]) {
      const net = new nengo.Network({ seed: 0 });
      net.config.configure(nengo.Ensemble, { gain: new nengo.dists.Choice([1]), bias: new nengo.dists.Choice([0]) });
      net.config.configure(nengo.Connection, { synapse: null });
      const inpA = net.node({ output: [0] });
      const inpB = net.node({ output: [0] });
      const inp = net.node({ sizeIn: 2 });
      net.connect(inpA, inp.slice([0]), { transform: 1 });
      net.connect(inpB, inp.slice([1]), { transform: 1 });
      const ens = net.ensemble({ nNeurons: 21, dimensions: 20, neuronType: new nengo.Sigmoid({ tauRef: 1 }) });
      const out = net.ensemble({ nNeurons: 1, dimensions: 1, neuronType: new nengo.Sigmoid({ tauRef: 1 }) });
      net.connect(inp, neurons ? ens.neurons : ens, { transform: new Glorot() });
      net.connect(neurons ? ens.neurons : ens, out.neurons, { transform: new Glorot() });
      const p = net.probe(out.neurons);
      const sim = await nengoDL.Simulator.create(net, { minibatchSize: 4, backend, progressBar: false, seed: 1 });
      try {
        const x = [[[0, 0]], [[0, 1]], [[1, 0]], [[1, 1]]];
        const y = [[[0.1]], [[0.9]], [[0.9]], [[0.1]]];
        const data = new Map<nengo.Node | nengo.Probe, unknown>([
          [inpA, x.map((r) => [[r[0][0]]])],
          [inpB, x.map((r) => [[r[0][1]]])],
          [p, y],
        ]);
        await sim.train({ data, optimizer: tf.train.adam(0.01), nEpochs: 500 });
        await sim.step({
          data: new Map([
            [inpA, x.map((r) => [[r[0][0]]])],
            [inpB, x.map((r) => [[r[0][1]]])],
          ]),
        });
        const got = sim.data.get(p).map((b) => b[0][0]);
        got.forEach((g, i) => assert.ok(Math.abs(g - y[i][0][0]) < 2e-3, `neurons=${neurons} item ${i}: ${g}`));
      } finally {
        sim.close();
      }
    }
  });

  test(`[${backend}] recurrent network trains with and without truncation`, async () => {
    for (const truncation of [undefined, 5]) {
      const net = new nengo.Network({ seed: 0 });
      const inp = net.node({ output: [0] });
      const ens = net.ensemble({
        nNeurons: 30,
        dimensions: 1,
        neuronType: new nengo.RectifiedLinear(),
        gain: Array(30).fill(1),
        bias: linspace(-1, 1, 30),
      });
      const out = net.node({ sizeIn: 1 });
      net.connect(inp, ens, { synapse: null });
      net.connect(ens, ens, { synapse: 0 });
      net.connect(ens, out, { synapse: null });
      const p = net.probe(out);
      const sim = await nengoDL.Simulator.create(net, { minibatchSize: 100, backend, progressBar: false, seed: 2 });
      try {
        const xs = linspace(0, 1, 100).map((v) => Array.from({ length: 10 }, () => [v]));
        const ys = linspace(0, 1, 100).map((v) => linspace(0, 1, 10).map((u) => [v * u]));
        const data = new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, xs],
          [p, ys],
        ]);
        await sim.train({ data, optimizer: tf.train.rmsprop(1e-3), nEpochs: 200, truncation });
        const l = await sim.loss({
          data: new Map<nengo.Node | nengo.Probe, unknown>([
            [inp, xs],
            [p, ys],
          ]),
        });
        const rmse = Math.sqrt(l);
        assert.ok(rmse < (truncation ? 0.1 : 0.05), `truncation ${truncation}: rmse ${rmse}`);
      } finally {
        sim.close();
      }
    }
  });

  test(`[${backend}] custom objectives on the last step`, async () => {
    const net = new nengo.Network({ seed: 0 });
    const inp = net.node({ output: [1] });
    const probes: nengo.Probe[] = [];
    for (let i = 0; i < 2; i++) {
      const e = net.ensemble({ nNeurons: 20, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
      net.connect(inp, e, { synapse: 0.01 });
      probes.push(net.probe(e));
    }
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false, seed: 0 });
    try {
      const obj = (o: nengoDL.tf.Tensor3D, t: nengoDL.tf.Tensor3D): nengoDL.tf.Tensor => {
        const last = (x: nengoDL.tf.Tensor3D): nengoDL.tf.Tensor => tf.slice(x, [0, x.shape[1] - 1, 0], [-1, 1, -1]);
        return tf.mean(tf.square(tf.sub(tf.sub(last(o), 0.5), last(t))));
      };
      const data = new Map<nengo.Node | nengo.Probe, unknown>([
        [probes[0], [Array.from({ length: 10 }, () => [0])]],
        [probes[1], [Array.from({ length: 10 }, () => [0.1])]],
      ]);
      await sim.train({
        data,
        optimizer: tf.train.momentum(1e-2, 0.9),
        nEpochs: 200,
        objective: new Map([
          [probes[0], obj],
          [probes[1], obj],
        ]),
      });
      await sim.runSteps(10);
      assert.ok(Math.abs(sim.data.get(probes[0])[0][9][0] - 0.5) < 1e-3, `${sim.data.get(probes[0])[0][9][0]}`);
      assert.ok(Math.abs(sim.data.get(probes[1])[0][9][0] - 0.6) < 1e-3, `${sim.data.get(probes[1])[0][9][0]}`);
    } finally {
      sim.close();
    }
  });

  test(`[${backend}] training without data, and errors`, async () => {
    const net = new nengo.Network({ seed: 0 });
    const inp = net.node({ output: [1] });
    const ens = net.ensemble({
      nNeurons: 1,
      dimensions: 1,
      neuronType: new nengo.RectifiedLinear(),
      gain: [1],
      bias: [1e-6],
    });
    net.connect(inp, ens.neurons, { synapse: null });
    const p = net.probe(ens.neurons);
    nengoDL.configureSettings(net, { trainable: null });
    net.config.get(ens.neurons).trainable = false;
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false });
    try {
      await sim.train({
        data: 5,
        optimizer: tf.train.sgd(0.1),
        objective: new Map([[p, (x: nengoDL.tf.Tensor3D) => tf.abs(tf.sub(2, x))]]),
        nEpochs: 10,
      });
      await sim.step();
      assert.ok(Math.abs(sim.data.get(p)[0][0][0] - 2) < 1e-5, `${sim.data.get(p)[0][0][0]}`);
      const opt = tf.train.sgd(0.1);
      await assert.rejects(sim.train({ data: 5, optimizer: opt }), /explicit objective/);
      await assert.rejects(
        sim.train({
          data: new Map([[inp, [[[1]]]]]),
          optimizer: opt,
          objective: new Map([[p, nengoDL.objectives.mse]]),
        }),
        /has no data/,
      );
      await assert.rejects(sim.train({ data: new Map([[inp, [[1]]]]), optimizer: opt }), /rank 3/);
      await assert.rejects(
        sim.train({
          data: new Map<nengo.Node | nengo.Probe, unknown>([
            [inp, [[[1], [1]]]],
            [p, [[[1]]]],
          ]),
          optimizer: opt,
        }),
        /different numbers of timesteps/,
      );
      await assert.rejects(
        sim.train({
          data: 5,
          optimizer: opt,
          objective: new Map([[p, ((a: unknown, b: unknown, c: unknown) => a ?? b ?? c) as never]]),
        }),
        /1 or 2 arguments/,
      );
      await assert.rejects(sim.train({ data: 5, optimizer: opt, objective: {} as never }), /Map/);
      sim.close();
      await assert.rejects(
        sim.train({ data: 5, optimizer: opt, objective: new Map([[p, (x: nengoDL.tf.Tensor3D) => x]]) }),
        nengo.SimulatorClosed,
      );
    } finally {
      sim.close();
    }
  });

  test(`[${backend}] loss equals mean(data**2) of a plain run; state is saved around train and loss`, async () => {
    const net = new nengo.Network({ seed: 0 });
    const inp = net.node({ output: [1] });
    const ens = net.ensemble({ nNeurons: 30, dimensions: 1 });
    net.connect(inp, ens);
    const p = net.probe(ens, { synapse: 0.1 });
    const sim = await nengoDL.Simulator.create(net, { minibatchSize: 4, backend, progressBar: false });
    try {
      const ones = Array.from({ length: 4 }, () => Array.from({ length: 20 }, () => [1]));
      const zeros = Array.from({ length: 4 }, () => Array.from({ length: 20 }, () => [0]));
      const l = await sim.loss({
        data: new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, ones],
          [p, zeros],
        ]),
      });
      await sim.runSteps(20, { data: new Map([[inp, ones]]) });
      const d = sim.data.get(p).flat(2);
      const want = d.reduce((a, v) => a + v * v, 0) / d.length;
      assert.ok(Math.abs(l - want) < 1e-5 * Math.max(1, want), `${l} vs ${want}`);
      const l2 = await sim.loss({
        data: new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, ones],
          [p, zeros],
        ]),
        objective: new Map([[p, (_x: nengoDL.tf.Tensor3D) => tf.scalar(2)]]),
      });
      assert.ok(Math.abs(l2 - 2) < 1e-6);
      // train_state_save: run 10, train with zero learning rate, loss, run 10 == run 20
      sim.reset();
      await sim.runSteps(10);
      await sim.train({
        data: new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, ones],
          [p, zeros],
        ]),
        optimizer: tf.train.sgd(0),
      });
      await sim.loss({
        data: new Map<nengo.Node | nengo.Probe, unknown>([
          [inp, ones],
          [p, zeros],
        ]),
      });
      await sim.runSteps(10);
      assert.equal(sim.nSteps, 20);
      const a = sim.data.get(p);
      sim.reset();
      await sim.runSteps(20);
      const b = sim.data.get(p);
      assert.deepEqual(a, b);
    } finally {
      sim.close();
    }
  });

  test(`[${backend}] multiple objectives and direct gradients`, async () => {
    const net = new nengo.Network({ seed: 0 });
    const a = net.node({ output: [1] });
    const b = net.ensemble({ nNeurons: 10, dimensions: 1, neuronType: new nengo.Sigmoid() });
    const c = net.ensemble({ nNeurons: 10, dimensions: 1, neuronType: new nengo.Sigmoid() });
    net.connect(a, b, { synapse: null });
    net.connect(a, c, { synapse: null });
    const pb = net.probe(b.neurons);
    const pc = net.probe(c.neurons);
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false });
    try {
      const one = (x: nengoDL.tf.Tensor3D): nengoDL.tf.Tensor => tf.div(tf.sum(x), tf.sum(x));
      const zero = (x: nengoDL.tf.Tensor3D): nengoDL.tf.Tensor => tf.mul(x, 0);
      const obj = new Map([
        [pb, one],
        [pc, zero],
      ]);
      const l = await sim.loss({ data: 1, objective: obj });
      assert.ok(Math.abs(l - 1) < 1e-3);
      const biasB = sim.trainableVariables.map((v) => Array.from(v.dataSync()));
      await sim.train({
        data: 1,
        optimizer: tf.train.sgd(1),
        nEpochs: 10,
        objective: new Map([
          [pb, (x: nengoDL.tf.Tensor3D) => tf.sum(x)],
          [pc, zero],
        ]),
      });
      const after = sim.trainableVariables.map((v) => Array.from(v.dataSync()));
      // c's parameters (bias of c) unchanged, b's changed
      const changed = after.map((v, i) => v.some((x, j) => x !== biasB[i][j]));
      assert.ok(changed.some((x) => x) && changed.some((x) => !x));
    } finally {
      sim.close();
    }

    // direct grads: 10 iterations of run + train with a null objective drive a node->node output to 2
    const net2 = new nengo.Network({ seed: 0 });
    const inp = net2.node({ output: [1] });
    const outn = net2.node({ sizeIn: 1 });
    net2.connect(inp, outn, { synapse: null, transform: 1 });
    const p = net2.probe(outn);
    const sim2 = await nengoDL.Simulator.create(net2, { backend, progressBar: false });
    try {
      for (let i = 0; i < 10; i++) {
        await sim2.runSteps(10);
        const data = sim2.data.get(p).map((r) => r.slice(-10).map((v) => [0.2 * (v[0] - 2)]));
        sim2.clearProbes();
        await sim2.train({
          data: new Map<nengo.Node | nengo.Probe, unknown>([
            [p, data],
            [inp, [Array.from({ length: 10 }, () => [1])]],
          ]),
          optimizer: tf.train.sgd(0.45),
          objective: new Map([[p, null]]),
        });
      }
      await sim2.step();
      const v = sim2.data.get(p)[0].at(-1)?.[0] as number;
      assert.ok(Math.abs(v - 2) < 1e-3, `${v}`);
    } finally {
      sim2.close();
    }
  });

  test(`[${backend}] gradients match finite differences of the reference simulator`, async () => {
    const net = new nengo.Network({ seed: 5 });
    const inp = net.node({ output: (t: number) => [Math.sin(20 * t)] });
    const a = net.ensemble({ nNeurons: 8, dimensions: 1, neuronType: new nengo.LIFRate() });
    const b = net.ensemble({ nNeurons: 6, dimensions: 1, neuronType: new nengo.Tanh() });
    const conn = net.connect(a, b, { synapse: 0.005 });
    net.connect(inp, a, { synapse: 0.005 });
    const p = net.probe(b, { synapse: 0.01 });
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false, seed: 7 });
    try {
      const T = 15;
      const target = [Array.from({ length: T }, (_, i) => [0.1 * i])];
      const data = new Map<nengo.Node | nengo.Probe, unknown>([[p, target]]);
      // the gradient, from one SGD update with a tiny learning rate
      const vars = sim.trainableVariables;
      const before = vars.map((v) => v.clone());
      const lr = 1e-6;
      await sim.train({ data, optimizer: tf.train.sgd(lr) });
      const grads = vars.map((v, i) => tf.div(tf.sub(before[i], v), lr));
      const norm = Math.sqrt(grads.reduce((acc, g) => acc + (tf.sum(tf.square(g)).dataSync()[0] as number), 0));
      // central difference of the loss along the gradient direction equals |grad|
      const eps = 1e-4;
      const at = async (h: number): Promise<number> => {
        vars.forEach((v, i) => v.assign(tf.add(before[i], tf.mul(grads[i], h / norm))));
        return sim.loss({ data });
      };
      const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
      assert.ok(norm > 0);
      assert.ok(Math.abs(fd - norm) < 0.03 * norm, `finite difference ${fd} vs gradient norm ${norm}`);
      tf.dispose([...before, ...grads]);
      void conn;
    } finally {
      sim.close();
    }
  });
}
