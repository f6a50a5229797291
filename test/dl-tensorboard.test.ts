/** Watching training: TensorBoard summaries, profiles and the training step (NengoDL's test_tensorboard). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";
import { readEvents, type Event } from "./helpers/tfevents.js";

const { tf } = nengoDL;
const BACKENDS = ["wasm", "cpu"] as const;

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), "nengo-dl-tb-"));
}

async function eventsOf(runDir: string): Promise<Event[]> {
  const files = (await readdir(runDir)).filter((f) => f.startsWith("events.out.tfevents."));
  assert.equal(files.length, 1, `one event file in ${runDir}`);
  return readEvents(join(runDir, files[0]));
}

const sum = (a: unknown): number => ([a].flat(4) as number[]).reduce((x, y) => x + y, 0);

for (const backend of BACKENDS) {
  test(`[${backend}] tensorboard: run_N directories, one event per update, NengoDL's tags, _1 on a second call`, async () => {
    const dir = join(await tmp(), "logs");
    try {
      const net = new nengo.Network({ seed: 0 });
      const a = net.node({ output: [0] });
      const b = net.ensemble({ nNeurons: 10, dimensions: 1, neuronType: new nengo.LIFRate() });
      const c = net.node({ sizeIn: 1 });
      net.connect(a, b);
      const conn = net.connect(b, c);
      const p = net.probe(c);
      const p2 = net.probe(c);
      const sims: nengoDL.Simulator[] = [];
      for (let i = 0; i < 3; i++) sims.push(await nengoDL.Simulator.create(net, { backend, tensorboard: dir }));
      assert.deepEqual((await readdir(dir)).sort(), ["run_0", "run_1", "run_2"]);
      assert.equal(sims[2].tensorboardDir, join(dir, "run_2"));
      await sims[0].close();
      await sims[1].close();
      const sim = sims[2];
      const data = new Map<nengo.Node | nengo.Probe, unknown>([
        [a, [[[0.5], [0.5]]]],
        [p, [[[0.2], [0.1]]]],
        [p2, [[[0.3], [0.4]]]],
      ]);
      const summaries: nengoDL.SummaryItem[] = [
        "loss",
        b,
        b.neurons,
        conn,
        () => ({ step_var: tf.scalar(sim.trainingStep) }),
      ];
      try {
        await sim.train({ data, optimizer: tf.train.sgd(0.05), nEpochs: 3, summaries });
        assert.equal(sim.trainingStep, 3);
        const enc = sim.data.get(b).scaledEncoders;
        const bias = sim.data.get(b).bias;
        const w = sim.data.get(conn).weights;
        await sim.train({ data, optimizer: tf.train.sgd(0.05), nEpochs: 3, summaries });
        await sim.close();
        const ev = await eventsOf(join(dir, "run_2"));
        assert.equal(ev[0].fileVersion, "brain.Event:2");
        assert.deepEqual(
          ev.slice(1).map((e) => e.step),
          [1, 2, 3, 4, 5, 6],
        );
        const tags = ["loss/loss", "loss/Probe_None_loss", "loss/Probe_None_loss"];
        tags.push("Ensemble_None_encoders", "Ensemble.neurons_None_bias", "Connection_None_weights", "step_var");
        for (let i = 1; i <= 3; i++)
          assert.deepEqual(
            ev[i].values!.map((v) => v.tag),
            tags,
          );
        for (let i = 4; i <= 6; i++)
          assert.deepEqual(
            ev[i].values!.map((v) => v.tag),
            tags.map((t) => `${t}_1`),
          );
        for (let i = 1; i <= 6; i++) {
          const v = ev[i].values!;
          // total loss = sum of the per-probe losses; step_var = the training step
          assert.ok(
            Math.abs(v[0].simpleValue! - v[1].simpleValue! - v[2].simpleValue!) < 1e-5 * v[0].simpleValue!,
            `${v[0].simpleValue} ${v[1].simpleValue} ${v[2].simpleValue}`,
          );
          assert.ok(v[0].simpleValue! > 0);
          assert.equal(v[6].simpleValue, i);
          for (const h of v.slice(3, 6).map((x) => x.histo!)) {
            assert.equal(h.num, 10);
            assert.equal(
              h.bucket.reduce((x, y) => x + y, 0),
              10,
            );
            assert.equal(h.bucket.length, h.bucketLimit.length);
            assert.ok(h.min <= h.max);
          }
        }
        // the histograms at step 3 hold the values after the third update
        const v3 = ev[3].values!;
        assert.ok(Math.abs(v3[3].histo!.sum - sum(enc)) < 1e-5);
        assert.ok(Math.abs(v3[4].histo!.sum - sum(bias)) < 1e-4);
        assert.ok(Math.abs(v3[5].histo!.sum - sum(w)) < 1e-5);
        // a new simulator in the same directory gets run_3
        const sim4 = await nengoDL.Simulator.create(net, { backend, tensorboard: dir, progressBar: false });
        await sim4.close();
        assert.deepEqual((await readdir(dir)).sort(), ["run_0", "run_1", "run_2", "run_3"]);
      } finally {
        await sim.close();
      }
    } finally {
      await rm(join(dir, ".."), { recursive: true, force: true });
    }
  });

  test(`[${backend}] summaries without tensorboard warn once; unknown summary objects fail before training`, async () => {
    const net = new nengo.Network({ seed: 0 });
    const a = net.node({ output: [1] });
    const b = net.node({ sizeIn: 1 });
    const conn = net.connect(a, b, { synapse: null });
    const p = net.probe(b);
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false });
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const data = new Map<nengo.Node | nengo.Probe, unknown>([
        [a, [[[1]]]],
        [p, [[[2]]]],
      ]);
      await assert.rejects(
        sim.train({ data, optimizer: tf.train.sgd(0.1), summaries: [conn, p as never] }),
        (e: Error) => e instanceof nengo.ValidationError && /Unknown summary object/.test(e.message),
      );
      await assert.rejects(
        sim.train({
          data,
          optimizer: tf.train.sgd(0.1),
          summaries: [new nengo.Network().ensemble({ nNeurons: 1, dimensions: 1 })],
        }),
        nengo.ValidationError,
      );
      assert.equal(sim.trainingStep, 0);
      assert.deepEqual(sim.data.get(conn).weights, 1);
      await sim.train({ data, optimizer: tf.train.sgd(0.1), summaries: ["loss", conn] });
      await sim.train({ data, optimizer: tf.train.sgd(0.1), summaries: ["loss", conn] });
      await new Promise((r) => setImmediate(r));
      assert.equal(warnings.filter((m) => /tensorboard/.test(m)).length, 1);
      assert.equal(sim.trainingStep, 2);
    } finally {
      process.off("warning", onWarning);
      await sim.close();
    }
  });

  test(`[${backend}] learning-rate schedules see the global training step`, async () => {
    const net = new nengo.Network({ seed: 0 });
    const a = net.node({ output: [1] });
    const b = net.node({ sizeIn: 1 });
    const conn = net.connect(a, b, { synapse: null });
    const p = net.probe(b);
    const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false });
    try {
      const data = new Map<nengo.Node | nengo.Probe, unknown>([
        [a, [[[1]]]],
        [p, [[[2]]]],
      ]);
      const seen: number[] = [];
      const schedule = (step: number): number => (seen.push(step), step < 2 ? 0.1 : 0);
      for (const opt of [tf.train.sgd(1), tf.train.adam(1)]) {
        sim.reset();
        seen.length = 0;
        const before = sim.trainingStep;
        await sim.train({ data, optimizer: opt, nEpochs: 5, learningRateSchedule: (s) => schedule(s - before) });
        const w = sim.data.get(conn).weights as number;
        await sim.train({ data, optimizer: opt, nEpochs: 5, learningRateSchedule: (s) => schedule(s - before) });
        assert.equal(sim.trainingStep, before + 10);
        assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert.equal(sim.data.get(conn).weights, w, "no change once the rate is 0");
        assert.notEqual(w, 1);
      }
      // plain SGD: two updates of 0.1 from w = 1 towards 2
      sim.reset();
      const s0 = sim.trainingStep;
      await sim.train({ data, optimizer: tf.train.sgd(1), nEpochs: 5, learningRateSchedule: (s) => schedule(s - s0) });
      assert.ok(Math.abs((sim.data.get(conn).weights as number) - 1.36) < 1e-6);
    } finally {
      await sim.close();
    }
  });

  test(`[${backend}] profile: a Chrome trace of build, steps, operator groups, forward/backward/optimizer`, async () => {
    const dir = await tmp();
    const cwd = process.cwd();
    try {
      const net = new nengo.Network({ seed: 0 });
      const a = net.node({ output: [0.5] });
      const b = net.ensemble({ nNeurons: 10, dimensions: 1, neuronType: new nengo.LIFRate() });
      const c = net.node({ sizeIn: 1 });
      net.connect(a, b);
      net.connect(b, c);
      const p = net.probe(c);
      const sim = await nengoDL.Simulator.create(net, { backend, progressBar: false });
      try {
        const file = join(dir, "train_profile.json");
        await sim.train({
          data: new Map<nengo.Node | nengo.Probe, unknown>([
            [a, [[[0.5], [0.5], [0.5]]]],
            [p, [[[0.2], [0.2], [0.2]]]],
          ]),
          optimizer: tf.train.sgd(0.01),
          nEpochs: 2,
          profile: file,
        });
        const doc = JSON.parse(await readFile(file, "utf8")) as {
          traceEvents: { name: string; cat: string; ph: string; ts: number; dur?: number }[];
          displayTimeUnit: string;
        };
        assert.equal(doc.displayTimeUnit, "ms");
        const spans = doc.traceEvents.filter((e) => e.ph === "X");
        for (const e of spans) assert.ok(Number.isFinite(e.ts) && Number.isFinite(e.dur!) && e.dur! >= 0);
        const names = new Set(spans.map((e) => e.name));
        for (const n of ["build", "compile", "train", "epoch", "minibatch", "update", "forward", "objective"])
          assert.ok(names.has(n), n);
        for (const n of ["backward", "optimizer", "step", "probes"]) assert.ok(names.has(n), n);
        assert.equal(spans.filter((e) => e.name === "optimizer").length, 2);
        assert.ok(spans.some((e) => e.cat === "op" && e.name.startsWith("neurons LIFRate")));
        assert.ok(spans.some((e) => e.cat === "op" && e.name.startsWith("linear L")));
        // nesting: every optimizer span lies inside an update span
        const updates = spans.filter((e) => e.name === "update");
        for (const o of spans.filter((e) => e.name === "optimizer"))
          assert.ok(updates.some((u) => u.ts <= o.ts && o.ts + o.dur! <= u.ts + u.dur! + 1e-3));

        process.chdir(dir);
        await sim.runSteps(5, { profile: true });
        const run = JSON.parse(await readFile(join(dir, nengoDL.DEFAULT_PROFILE_FILE), "utf8")) as typeof doc;
        const runNames = run.traceEvents.filter((e) => e.ph === "X").map((e) => e.name);
        assert.equal(runNames.filter((n) => n === "step").length, 5);
        assert.ok(runNames.includes("run") && runNames.includes("build"));
        await assert.rejects(sim.runSteps(2, { profile: 3 as never }), nengo.ValidationError);
        await assert.rejects(sim.runSteps(2, { profile: join(dir, "no", "such", "dir.json") }), nengo.ValidationError);
        assert.equal(sim.nSteps, 5, "a bad profile path is rejected before running");
      } finally {
        await sim.close();
      }
    } finally {
      process.chdir(cwd);
      await rm(dir, { recursive: true, force: true });
    }
  });
}
