/** nengo-ts/dl stage 4: live parameters (sim.data), saveParams/loadParams, freezeParams, tensor hygiene. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const { tf } = nengoDL;
const BACKENDS = ["wasm", "cpu"] as const;
type DataMap = Map<nengo.Node | nengo.Probe, unknown>;

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), "nengo-dl-params-"));
}

function maxDiff(a: unknown, b: unknown): number {
  const fa = [a].flat(4) as number[];
  const fb = [b].flat(4) as number[];
  assert.equal(fa.length, fb.length, "sizes differ");
  let m = 0;
  fa.forEach((v, i) => (m = Math.max(m, Math.abs(v - fb[i]))));
  return m;
}

/** inp -> a (rate or spiking) -> b -> out, plus a.neurons -> b.neurons; deterministic structure. */
function makeNet(neuronType: nengo.NeuronType, nA = 20): { net: nengo.Network; inp: nengo.Node; p: nengo.Probe } {
  const net = new nengo.Network({ seed: 5 });
  const inp = net.node({ output: [0.3, -0.2], label: "inp" });
  const a = net.ensemble({ nNeurons: nA, dimensions: 2, neuronType, label: "a" });
  const b = net.ensemble({ nNeurons: 15, dimensions: 1, neuronType: new nengo.LIFRate(), label: "b" });
  const out = net.node({ sizeIn: 1, label: "out" });
  net.connect(inp, a, { synapse: null });
  net.connect(a, b, { function: (x) => [x[0] * x[1]], synapse: 0.005 });
  net.connect(a.neurons, b.neurons, { transform: new nengo.dists.Uniform(-1e-3, 1e-3) });
  net.connect(b, out, { synapse: null });
  const p = net.probe(out);
  return { net, inp, p };
}

function trainData(inp: nengo.Node, p: nengo.Probe, n = 4, steps = 5): DataMap {
  const xs = Array.from({ length: n }, (_, i) => Array.from({ length: steps }, () => [i / n - 0.5, 0.3]));
  const ys = xs.map((r) => r.map((x) => [x[0] * x[1] + 0.2]));
  return new Map<nengo.Node | nengo.Probe, unknown>([
    [inp, xs],
    [p, ys],
  ]);
}

const maxAbs = (a: unknown): number => Math.max(...([a].flat(4) as number[]).map(Math.abs));

const varValues = (sim: nengoDL.Simulator): number[][] =>
  sim.trainableVariables.map((v) => Array.from(v.dataSync() as Float32Array));

for (const backend of BACKENDS) {
  test(`[${backend}] sim.data.get(ens | conn) gives live parameters derived as NengoDL (test_simulation_data)`, async () => {
    const net = new nengo.Network({ seed: 1 });
    const inp = net.node({ output: [0.5, -0.4] });
    const a = net.ensemble({ nNeurons: 12, dimensions: 2, radius: 3, label: "a" });
    const b = net.ensemble({ nNeurons: 8, dimensions: 2, neuronType: new nengo.RectifiedLinear() });
    const d = net.ensemble({ nNeurons: 1, dimensions: 2, neuronType: new nengo.Direct() });
    const c1 = net.connect(inp, a);
    const c2 = net.connect(a, b);
    net.connect(b, d);
    const ref = new nengo.Simulator(net, { seed: 3, progressBar: false });
    const sim = await nengoDL.Simulator.create(net, { seed: 3, backend, progressBar: false, minibatchSize: 3 });
    try {
      // before training: the build values (float32)
      for (const ens of [a, b]) {
        const got = sim.data.get(ens);
        const want = ref.data.get(ens);
        for (const k of ["encoders", "scaledEncoders", "gain", "bias", "maxRates", "intercepts"] as const)
          assert.ok(maxDiff(got[k], want[k]) < 1e-3 * Math.max(1, maxAbs(want[k])), `${String(ens)}.${k}`);
      }
      assert.ok(sim.data.get(a) instanceof nengo.EnsembleData);
      assert.ok(sim.data.get(c2) instanceof nengo.ConnectionData);
      assert.deepEqual(
        [(sim.data.get(c2).weights as number[][]).length, (sim.data.get(c2).weights as number[][])[0].length],
        [2, 12],
      );
      assert.ok(maxDiff(sim.data.get(c2).weights, ref.data.get(c2).weights) < 1e-6);
      assert.ok(maxDiff(sim.data.get(c1).weights, ref.data.get(c1).weights) === 0);
      // Direct: gain = bias = null, encoders = scaled encoders
      const dd = sim.data.get(d);
      assert.equal(dd.gain, null);
      assert.equal(dd.bias, null);
      assert.deepEqual(dd.encoders, dd.scaledEncoders);

      // set the scaled encoders to 1: gain = sqrt(2) * radius, encoders = 1/sqrt(2)
      const v = sim.parameterVariable(a) as nengoDL.tf.Variable;
      v.assign(tf.onesLike(v));
      const da = sim.data.get(a);
      for (const g of da.gain as number[]) assert.ok(Math.abs(g - Math.SQRT2 * 3) < 1e-5);
      for (const row of da.encoders) for (const e of row) assert.ok(Math.abs(e - Math.SQRT1_2) < 1e-6);
      assert.deepEqual(
        da.scaledEncoders,
        Array.from({ length: 12 }, () => [1, 1]),
      );
      const mi = a.neuronType.maxRatesIntercepts(Float64Array.from(da.gain!), Float64Array.from(da.bias!));
      assert.ok(maxDiff(da.maxRates, Array.from(mi.maxRates)) < 1e-9);
      assert.ok(maxDiff(da.intercepts, Array.from(mi.intercepts)) < 1e-9);
      // live bias and weights
      const bv = sim.parameterVariable(a.neurons) as nengoDL.tf.Variable;
      bv.assign(tf.fill(bv.shape, 0.25));
      assert.deepEqual(sim.data.get(a).bias, Array(12).fill(0.25));
      const wv = sim.parameterVariable(c2) as nengoDL.tf.Variable;
      wv.assign(tf.fill(wv.shape, -0.5));
      assert.deepEqual(sim.data.get(c2).weights, [Array(12).fill(-0.5), Array(12).fill(-0.5)]);
      // util.inspect shows shapes
      const { inspect } = await import("node:util");
      assert.match(inspect(sim.data.get(a)), /scaledEncoders: \[12 x 2\]/);
      assert.throws(() => sim.data.get(new nengo.Network().ensemble({ nNeurons: 1, dimensions: 1 })), /not in/);
    } finally {
      await sim.close();
      ref.close();
    }
    // after close: build values with a warning
    assert.ok(maxDiff(sim.data.get(a).scaledEncoders, ref.data.get(a).scaledEncoders) < 1e-12);
  });

  test(`[${backend}] saveParams -> loadParams: same net, fresh net, rate -> spiking; errors change nothing`, async () => {
    const dir = await tmp();
    try {
      const { net, inp, p } = makeNet(new nengo.LIFRate());
      const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false, minibatchSize: 2, seed: 0 });
      let trained: number[][];
      let outTrained: number[][][];
      try {
        await sim.train({ data: trainData(inp, p), optimizer: tf.train.adam(0.01), nEpochs: 3 });
        trained = varValues(sim);
        await sim.runSteps(10);
        outTrained = sim.data.get(p);
        await sim.saveParams(join(dir, "saved"));
      } finally {
        await sim.close();
      }
      assert.deepEqual((await readdir(join(dir, "saved"))).sort(), ["params.bin", "params.json"]);
      const manifest = JSON.parse(await readFile(join(dir, "saved", "params.json"), "utf8")) as nengoDL.ParamsManifest;
      assert.equal(manifest.format, nengoDL.PARAMS_FORMAT);
      assert.equal(manifest.version, 2);
      assert.deepEqual(
        manifest.params.map((e) => e.key),
        [
          "Ensemble[0].encoders",
          "Ensemble[0].neurons.bias",
          "Ensemble[1].encoders",
          "Ensemble[1].neurons.bias",
          "Connection[0].weights",
          "Connection[1].weights",
          "Connection[2].weights",
          "Connection[3].weights",
        ],
      );
      assert.equal(manifest.trainingStep, 6);

      // the same network in a new simulator: identical outputs
      const sim2 = await nengoDL.Simulator.create(net, { backend, progressBar: false, minibatchSize: 2, seed: 0 });
      try {
        assert.notDeepEqual(varValues(sim2), trained);
        await sim2.loadParams(join(dir, "saved"));
        assert.deepEqual(varValues(sim2), trained);
        await sim2.runSteps(10);
        assert.deepEqual(sim2.data.get(p), outTrained);
      } finally {
        await sim2.close();
      }

      // a freshly built network of the same structure, spiking: the parameters load
      const spiking = makeNet(new nengo.LIF());
      const sim3 = await nengoDL.Simulator.create(spiking.net, { backend, progressBar: false, minibatchSize: 2 });
      try {
        await sim3.loadParams(join(dir, "saved"));
        assert.deepEqual(varValues(sim3), trained);
      } finally {
        await sim3.close();
      }

      // a different structure: clear error naming the object, nothing changes
      const other = makeNet(new nengo.LIFRate(), 21);
      const sim4 = await nengoDL.Simulator.create(other.net, { backend, progressBar: false });
      try {
        const before = varValues(sim4);
        await assert.rejects(
          sim4.loadParams(join(dir, "saved")),
          (e: Error) =>
            e instanceof nengo.ValidationError &&
            /Ensemble\[0\]\.encoders/.test(e.message) &&
            /Ensemble "a"/.test(e.message) &&
            /\[21, 2\]/.test(e.message),
        );
        // corrupt / missing / wrong version files
        const bad = join(dir, "bad");
        await mkdir(bad);
        await assert.rejects(sim4.loadParams(bad), /cannot read params.json/);
        await writeFile(join(bad, "params.json"), "{not json");
        await assert.rejects(sim4.loadParams(bad), /not valid JSON/);
        await writeFile(join(bad, "params.json"), JSON.stringify({ ...manifest, version: 99 }));
        await assert.rejects(sim4.loadParams(bad), /version 99/);
        await writeFile(join(bad, "params.json"), JSON.stringify({ ...manifest, params: manifest.params.slice(0, 7) }));
        await assert.rejects(sim4.loadParams(bad), nengo.ValidationError);
        assert.deepEqual(varValues(sim4), before);
      } finally {
        await sim4.close();
      }
      // same structure, bad data file
      const sim5 = await nengoDL.Simulator.create(makeNet(new nengo.LIFRate()).net, { backend, progressBar: false });
      try {
        const before = varValues(sim5);
        const bad = join(dir, "bad2");
        await mkdir(bad);
        await writeFile(join(bad, "params.json"), JSON.stringify(manifest));
        await assert.rejects(sim5.loadParams(bad), /cannot read params.bin/);
        const bin = await readFile(join(dir, "saved", "params.bin"));
        await writeFile(join(bad, "params.bin"), bin.subarray(0, bin.length - 4));
        await assert.rejects(sim5.loadParams(bad), /bytes, expected/);
        const flipped = Buffer.from(bin);
        flipped[5] ^= 0xff;
        await writeFile(join(bad, "params.bin"), flipped);
        await assert.rejects(sim5.loadParams(bad), /checksum/);
        assert.deepEqual(varValues(sim5), before);

        // unwritable paths: an error and no partial files
        const file = join(dir, "a-file");
        await writeFile(file, "x");
        await assert.rejects(sim5.saveParams(join(file, "sub")), nengo.ValidationError);
        const blocked = join(dir, "blocked");
        await mkdir(join(blocked, "params.json"), { recursive: true });
        await assert.rejects(sim5.saveParams(blocked), nengo.ValidationError);
        assert.deepEqual(await readdir(blocked), ["params.json"]);
        assert.deepEqual((await readdir(dir)).sort(), ["a-file", "bad", "bad2", "blocked", "saved"]);

        await sim5.close();
        await assert.rejects(sim5.saveParams(join(dir, "x")), nengo.SimulatorClosed);
        await assert.rejects(sim5.loadParams(join(dir, "saved")), nengo.SimulatorClosed);
      } finally {
        await sim5.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`[${backend}] includeGlobal / includeLocal: trainable vs non-trainable parameters and state (test_save_load_params)`, async () => {
    const dir = await tmp();
    /** NengoDL's test network: inp -> ens (not trainable) -> out. */
    const make = (
      seed: number,
    ): { net: nengo.Network; ens: nengo.Ensemble; conn: nengo.Connection; p: nengo.Probe } => {
      const net = new nengo.Network({ seed });
      const inp = net.node({ output: [0.5] });
      const out = net.node({ sizeIn: 1 });
      const ens = net.ensemble({ nNeurons: 10, dimensions: 1, label: "ens" });
      net.connect(inp, ens);
      const conn = net.connect(ens, out);
      nengoDL.configureSettings(net, { trainable: null });
      net.config.get(ens).trainable = false;
      return { net, ens, conn, p: net.probe(out) };
    };
    const opts = { backend, progressBar: false } as const;
    const enc = (sim: nengoDL.Simulator, e: nengo.Ensemble): number[][] => sim.data.get(e).scaledEncoders;
    const close = (a: unknown, b: unknown): boolean => maxDiff(a, b) <= 1e-6 * Math.max(1, maxAbs(b)); // float32
    try {
      const m0 = make(0);
      const sim0 = await nengoDL.Simulator.create(m0.net, opts);
      let weights0: unknown;
      let enc0: number[][];
      let cont0: number[][][];
      try {
        assert.equal(sim0.parameterVariable(m0.ens), null, "encoders are not trainable");
        await sim0.runSteps(20);
        weights0 = sim0.data.get(m0.conn).weights;
        enc0 = enc(sim0, m0.ens);
        await sim0.saveParams(join(dir, "train"));
        await sim0.saveParams(join(dir, "local"), { includeLocal: true });
        await sim0.saveParams(join(dir, "onlylocal"), { includeGlobal: false, includeLocal: true });
        await assert.rejects(
          sim0.saveParams(join(dir, "none"), { includeGlobal: false }),
          (e: Error) => e instanceof nengo.ValidationError && /nothing to save or load/.test(e.message),
        );
        await assert.rejects(sim0.saveParams(join(dir, "bad"), { includeLocal: 1 as never }), /must be true or false/);
        // the continuation after the saved state
        sim0.clearProbes();
        await sim0.runSteps(10);
        cont0 = sim0.data.get(m0.p);
      } finally {
        await sim0.close();
      }
      await assert.rejects(sim0.saveParams(join(dir, "x")), nengo.SimulatorClosed);
      await assert.rejects(sim0.loadParams(join(dir, "train")), nengo.SimulatorClosed);
      const manifest = JSON.parse(await readFile(join(dir, "local", "params.json"), "utf8")) as nengoDL.ParamsManifest;
      assert.equal(manifest.includeLocal, true);
      assert.deepEqual(
        manifest.params.map((e) => e.key),
        ["Connection[0].weights", "Connection[1].weights"],
      );
      assert.deepEqual(
        manifest.localParams.map((e) => e.key),
        ["Ensemble[0].encoders", "Ensemble[0].neurons.bias"],
      );
      assert.deepEqual(
        manifest.state.map((e) => [e.key, e.shape]),
        [
          ["Synapse[0].output", [1, 1]],
          ["Synapse[0].state", [1, 1, 1]],
          ["Synapse[1].output", [1, 1]],
          ["Synapse[1].state", [1, 1, 1]],
          ["Ensemble[0].neurons.voltage", [1, 10]],
          ["Ensemble[0].neurons.refractoryTime", [1, 10]],
        ],
      );

      const m1 = make(1);
      const sim1 = await nengoDL.Simulator.create(m1.net, opts);
      try {
        const weights1 = sim1.data.get(m1.conn).weights;
        const enc1 = enc(sim1, m1.ens);
        assert.ok(!close(weights0, weights1) && !close(enc0, enc1));
        // a local load from a directory saved without the local part: an error, nothing changes
        await assert.rejects(
          sim1.loadParams(join(dir, "train"), { includeLocal: true }),
          (e: Error) => e instanceof nengo.ValidationError && /saved without the local part/.test(e.message),
        );
        await assert.rejects(sim1.loadParams(join(dir, "onlylocal")), /saved without the global part/);
        assert.deepEqual(sim1.data.get(m1.conn).weights, weights1);
        assert.deepEqual(enc(sim1, m1.ens), enc1);

        await sim1.loadParams(join(dir, "train"));
        assert.ok(close(sim1.data.get(m1.conn).weights, weights0), "weights match");
        assert.ok(!close(enc(sim1, m1.ens), enc0), "encoders (local) do not");

        await sim1.loadParams(join(dir, "local"), { includeLocal: true });
        assert.ok(close(sim1.data.get(m1.conn).weights, weights0));
        assert.ok(close(enc(sim1, m1.ens), enc0), "encoders match after a local load");
        assert.equal(sim1.nSteps, 0, "time is not part of the state");
        // the loaded parameters and state are used: the run continues as the saved simulator's did
        await sim1.runSteps(10);
        assert.ok(
          maxDiff(sim1.data.get(m1.p), cont0) < 1e-5,
          `continuation differs by ${maxDiff(sim1.data.get(m1.p), cont0)}`,
        );

        // reset reverts loaded parameters, trainable or not (NengoDL re-initialises every variable)
        sim1.reset();
        assert.deepEqual(sim1.data.get(m1.conn).weights, weights1);
        assert.deepEqual(enc(sim1, m1.ens), enc1);
        // only the local part
        await sim1.loadParams(join(dir, "onlylocal"), { includeGlobal: false, includeLocal: true });
        assert.deepEqual(sim1.data.get(m1.conn).weights, weights1);
        assert.ok(close(enc(sim1, m1.ens), enc0));
      } finally {
        await sim1.close();
      }

      // a different minibatch size: the state does not match, named in the error; nothing changes
      const m2 = make(1);
      const sim2 = await nengoDL.Simulator.create(m2.net, { ...opts, minibatchSize: 2 });
      try {
        const weights2 = sim2.data.get(m2.conn).weights;
        await assert.rejects(
          sim2.loadParams(join(dir, "local"), { includeLocal: true }),
          (e: Error) =>
            e instanceof nengo.ValidationError &&
            /state entry 0 is Synapse\[0\]\.output with shape \[1, 1\]/.test(e.message) &&
            /\[2, 1\]/.test(e.message),
        );
        assert.deepEqual(sim2.data.get(m2.conn).weights, weights2);
        await sim2.loadParams(join(dir, "local")); // the global part alone loads
        assert.ok(close(sim2.data.get(m2.conn).weights, weights0));
      } finally {
        await sim2.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`[${backend}] trainingStep: advances per update, saved and loaded with the global part, reset to 0 by reset()`, async () => {
    const dir = await tmp();
    try {
      // NengoDL's test_learning_rate_schedule: each train(nEpochs 5) with batch 1 advances the step by 5
      const net = new nengo.Network({ seed: 0 });
      const a = net.node({ output: [0] });
      const b = net.ensemble({ nNeurons: 10, dimensions: 1, neuronType: new nengo.LIFRate() });
      net.connect(a, b);
      const p = net.probe(b);
      const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false });
      const vals = [1.0, 0.1, 0.001];
      const seen: number[] = [];
      const schedule = (step: number): number => (seen.push(step), step < 4 ? vals[0] : step < 9 ? vals[1] : vals[2]);
      const data = new Map<nengo.Node | nengo.Probe, unknown>([
        [a, [Array(10).fill([0])]],
        [p, [Array(10).fill([0])]],
      ]);
      try {
        const trained0 = varValues(sim);
        for (let i = 0; i < 3; i++) {
          assert.equal(schedule(sim.trainingStep), vals[i]);
          await sim.train({ data, optimizer: tf.train.sgd(0.1), nEpochs: 5, learningRateSchedule: schedule });
          assert.equal(sim.trainingStep, 5 * (i + 1));
        }
        await sim.saveParams(join(dir, "p"));
        const trained = varValues(sim);
        sim.reset();
        assert.equal(sim.trainingStep, 0);
        assert.deepEqual(varValues(sim), trained0, "reset reverts training");
        await sim.loadParams(join(dir, "p"));
        assert.equal(sim.trainingStep, 15);
        assert.deepEqual(varValues(sim), trained);
        await sim.loadParams(join(dir, "p"), { includeGlobal: true, includeLocal: false });
        assert.equal(sim.trainingStep, 15);
        // a version-1 manifest (trainable parameters only) still loads
        const m = JSON.parse(await readFile(join(dir, "p", "params.json"), "utf8")) as Record<string, unknown>;
        for (const k of ["includeGlobal", "includeLocal", "localParams", "state"]) delete m[k];
        await writeFile(join(dir, "p", "params.json"), JSON.stringify({ ...m, version: 1, trainingStep: 7 }));
        sim.reset();
        await sim.loadParams(join(dir, "p"));
        assert.equal(sim.trainingStep, 7);
        assert.deepEqual(varValues(sim), trained);
        await assert.rejects(sim.loadParams(join(dir, "p"), { includeLocal: true }), /saved without the local part/);
      } finally {
        await sim.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`[${backend}] freezeParams: Node -> Node trains to 2 and the reference simulator reproduces it`, async () => {
    const net = new nengo.Network({ seed: 0 });
    const a = net.node({ output: [1] });
    const b = net.node({ sizeIn: 1 });
    net.connect(a, b, { synapse: null, transform: 1 });
    const p = net.probe(b);
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false });
    try {
      await sim.train({
        data: new Map<nengo.Node | nengo.Probe, unknown>([
          [a, [[[1]]]],
          [p, [[[2]]]],
        ]),
        optimizer: tf.train.sgd(0.5),
        nEpochs: 10,
      });
      sim.freezeParams(net);
      await sim.step();
      assert.ok(Math.abs(sim.data.get(p)[0][0][0] - 2) < 1e-5);
    } finally {
      await sim.close();
    }
    const ref = new nengo.Simulator(net, { progressBar: false });
    ref.step();
    assert.ok(Math.abs((ref.data.get(p) as number[][])[0][0] - 2) < 1e-5, `${String(ref.data.get(p))}`);
    ref.close();
  });

  test(`[${backend}] freezeParams on an ensemble network: the reference simulator reproduces the trained model`, async () => {
    const { net, inp, p } = makeNet(new nengo.LIFRate());
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false, seed: 7 });
    let out: number[][];
    try {
      await sim.train({ data: trainData(inp, p), optimizer: tf.train.adam(0.02), nEpochs: 5 });
      await sim.runSteps(30);
      out = sim.data.get(p)[0];
      const pNeurons = (): void => sim.freezeParams(new nengo.Network().node({ output: [1] }) as never);
      assert.throws(pNeurons, /must be a Network, Ensemble or Connection/);
      assert.throws(() => sim.freezeParams(new nengo.Network()), /not in this simulator's model/);
      assert.throws(
        () => sim.freezeParams(new nengo.Network().ensemble({ nNeurons: 2, dimensions: 1 })),
        nengo.ValidationError,
      );
      sim.freezeParams([net]);
      // freezing twice is harmless
      sim.freezeParams(net.ensembles[0]);
    } finally {
      await sim.close();
    }
    assert.equal(net.ensembles[0].normalizeEncoders, false);
    const ref = new nengo.Simulator(net, { seed: 7, progressBar: false });
    ref.runSteps(30);
    const d = maxDiff(ref.data.get(p), out);
    assert.ok(d < 1e-4, `reference vs trained dl: ${d}`);
    ref.close();
    // a new dl simulator of the frozen network gives the trained outputs too
    const sim2 = await nengoDL.Simulator.create(net, { backend, progressBar: false, seed: 7 });
    try {
      await sim2.runSteps(30);
      assert.ok(maxDiff(sim2.data.get(p)[0], out) < 1e-4);
      await sim2.close();
      assert.throws(() => sim2.freezeParams(net), nengo.SimulatorClosed);
    } finally {
      await sim2.close();
    }
  });

  test(`[${backend}] freezeParams with sliced pre/post, neuron connections and a subnetwork`, async () => {
    const net = new nengo.Network({ seed: 3 });
    const inp = net.node({ output: [0.4, -0.3] });
    const a = net.ensemble({ nNeurons: 16, dimensions: 2, neuronType: new nengo.RectifiedLinear() });
    const sub = net.network({ label: "sub" });
    const b = sub.ensemble({ nNeurons: 12, dimensions: 3, neuronType: new nengo.Sigmoid() });
    const out = sub.node({ sizeIn: 2 });
    net.connect(inp, a, { synapse: null });
    net.connect(a.slice([1]), b.slice([0, 2]), { function: (x) => [x[0] ** 2, -x[0]], synapse: 0.01 });
    net.connect(a.neurons, b.neurons.slice([0, 1, 2]), {
      transform: Array.from({ length: 3 }, (_, i) => Array.from({ length: 16 }, (_, j) => ((i + j) % 3) * 0.01)),
    });
    sub.connect(b, out, { function: (x) => [x[0] + x[1], x[2]], synapse: null });
    const p = net.probe(out);
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false, seed: 2 });
    let want: number[][];
    try {
      const xs = Array.from({ length: 2 }, (_, i) => Array.from({ length: 4 }, () => [0.5 * i, -0.2]));
      const data = new Map<nengo.Node | nengo.Probe, unknown>([
        [inp, xs],
        [p, xs.map((r) => r.map(() => [0.1, 0.2]))],
      ]);
      await sim.train({ data, optimizer: tf.train.adam(0.05), nEpochs: 4 });
      await sim.runSteps(20);
      want = sim.data.get(p)[0];
      const untrained = new nengo.Simulator(net, { seed: 2, progressBar: false });
      untrained.runSteps(20);
      assert.ok(maxDiff(untrained.data.get(p), want) > 1e-2, "training changed the outputs");
      untrained.close();
      sim.freezeParams([a, ...net.connections, sub]);
    } finally {
      await sim.close();
    }
    const ref = new nengo.Simulator(net, { seed: 2, progressBar: false });
    ref.runSteps(20);
    const d = maxDiff(ref.data.get(p), want);
    assert.ok(d < 1e-4, `reference vs trained dl: ${d}`);
    ref.close();
  });

  test(`[${backend}] runSteps uses the variables' current values (assigned ones, reset ones)`, async () => {
    const { net, p } = makeNet(new nengo.LIFRate());
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false });
    try {
      const run = async (): Promise<number[][]> => {
        sim.reset();
        await sim.runSteps(10);
        return sim.data.get(p)[0];
      };
      const first = await run();
      // reset() puts the build values back, so assign after it, then run without resetting
      sim.reset();
      const bias = sim.parameterVariable(net.ensembles[1].neurons) as nengoDL.tf.Variable;
      const b0 = Float32Array.from(bias.dataSync() as Float32Array);
      const t = tf.tensor(b0.map((x) => x + 0.5));
      bias.assign(t);
      t.dispose();
      await sim.runSteps(10);
      const shifted = sim.data.get(p)[0];
      assert.ok(maxDiff(shifted, first) > 1e-3, "the assigned bias changes the output");
      assert.deepEqual(await run(), first);
    } finally {
      await sim.close();
    }
  });

  test(`[${backend}] close() disposes every tensor the simulator created`, async () => {
    const dir = await tmp();
    try {
      const { net, inp, p } = makeNet(new nengo.LIF());
      const n0 = tf.memory().numTensors;
      const opt = tf.train.adam(0.01);
      const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false, tensorboard: dir });
      await sim.runSteps(20);
      await sim.train({
        data: trainData(inp, p, 2, 4),
        optimizer: opt,
        nEpochs: 2,
        truncation: 2,
        summaries: ["loss", net.ensembles[0], net.connections[1]],
        profile: join(dir, "prof.json"),
      });
      await sim.loss({ data: trainData(inp, p, 2, 4) });
      await sim.saveParams(join(dir, "p"));
      await sim.loadParams(join(dir, "p"));
      sim.data.get(net.ensembles[0]);
      sim.reset();
      await sim.runSteps(3);
      await assert.rejects(sim.loadParams(join(dir, "missing")), nengo.ValidationError);
      await sim.close();
      opt.dispose(); // the optimizer's own slot variables belong to the user
      assert.equal(tf.memory().numTensors, n0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
