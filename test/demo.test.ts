import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Command } from "commander";
import { demoOptionsFromCli, registerDemo } from "../src/cli/demo.js";
import {
  IMAGE_SIZE,
  loadMnist,
  oneHot,
  randomShift,
  setSize,
  subset,
  trainTestSplit,
  type DigitSet,
} from "../src/demo/mnist.js";
import { buildMnistNetwork } from "../src/demo/network.js";
import { DEMO_DEFAULTS, FULL_OPTIONS } from "../src/demo/options.js";
import { argmax, meanCrossEntropy } from "../src/demo/run.js";
import { LIF } from "../src/neurons/index.js";
import { RandomState } from "../src/rng/randomstate.js";

const run = promisify(execFile);
const main = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

let cached: DigitSet | undefined;
async function mnist(): Promise<DigitSet> {
  return (cached ??= await loadMnist());
}

test("loadMnist: the 10,000 bundled digits, grey levels in [0, 1]", async () => {
  const s = await mnist();
  assert.equal(setSize(s), 10000);
  assert.equal(s.images.length, 10000 * IMAGE_SIZE);
  const counts = new Array<number>(10).fill(0);
  for (const l of s.labels) counts[l]++;
  assert.deepEqual(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  let min = Infinity;
  let max = -Infinity;
  for (const v of s.images) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  // Digits are drawn in the middle: the border rows are (nearly) empty, the centre is not.
  const mean = (px: (i: number) => number): number => {
    let t = 0;
    for (let i = 0; i < 10000; i++) t += px(i);
    return t / 10000;
  };
  assert.ok(mean((i) => s.images[i * IMAGE_SIZE + 0]) < 0.01);
  assert.ok(mean((i) => s.images[i * IMAGE_SIZE + 14 * 28 + 14]) > 0.3);
});

test("loadMnist: a clear error for a missing or malformed folder", async () => {
  await assert.rejects(loadMnist("/nonexistent-mnist-dir"), /ENOENT|no such file/);
});

test("trainTestSplit: disjoint, stratified, exact sizes, deterministic", async () => {
  const s = await mnist();
  const a = trainTestSplit(s, { test: 2000, seed: 0 });
  assert.equal(setSize(a.test), 2000);
  assert.equal(setSize(a.train), 8000);
  const perClass = (d: DigitSet): number[] => {
    const c = new Array<number>(10).fill(0);
    for (const l of d.labels) c[l]++;
    return c;
  };
  const pc = perClass(a.test);
  [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978].forEach((n, d) => assert.ok(Math.abs(pc[d] - n / 5) <= 1));
  // Disjoint: no test image appears in the training set.
  const key = (d: DigitSet, i: number): string => d.images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE).join(",");
  const trainKeys = new Set(Array.from({ length: 8000 }, (_, i) => key(a.train, i)));
  let shared = 0;
  for (let i = 0; i < 2000; i++) if (trainKeys.has(key(a.test, i))) shared++;
  assert.ok(shared <= 2, `${shared} test images also in the training set`); // MNIST has a few exact duplicates
  const b = trainTestSplit(s, { test: 2000, seed: 0 });
  assert.deepEqual(b.test.labels, a.test.labels);
  const c = trainTestSplit(s, { test: 0.1, seed: 1, maxTrain: 500, maxTest: 300 });
  assert.equal(setSize(c.train), 500);
  assert.equal(setSize(c.test), 300);
  assert.notDeepEqual(c.test.labels, a.test.labels.subarray(0, 300));
  assert.throws(() => trainTestSplit(s, { test: 0 }), RangeError);
});

test("randomShift, subset and oneHot", async () => {
  const s = subset(await mnist(), [0, 1500, 9999]);
  assert.deepEqual([...s.labels], [0, 1, 9]);
  const shifted = randomShift(s, 2, new RandomState(0));
  assert.deepEqual(shifted.labels, s.labels);
  for (let i = 0; i < 3; i++) {
    const sum = (d: DigitSet): number =>
      d.images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE).reduce((x, y) => x + y, 0);
    assert.ok(Math.abs(sum(shifted) - sum(s)) < 1e-3, "a 2-pixel shift keeps the whole digit"); // border is empty
  }
  assert.notDeepEqual(shifted.images, s.images);
  assert.deepEqual([...randomShift(s, 0, new RandomState(0)).images], [...s.images]);
  assert.deepEqual([...oneHot(Uint8Array.from([2, 0]))], [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test("buildMnistNetwork: 784 -> LIF layers -> 10, two output probes, spike probes", () => {
  const m = buildMnistNetwork({ hidden: [64, 32], probedNeurons: 16 });
  assert.equal(m.inp.sizeOut, 784);
  assert.equal(m.out.sizeIn, 10);
  assert.deepEqual(
    m.layers.map((e) => e.nNeurons),
    [64, 32],
  );
  assert.ok(m.layers.every((e) => e.neuronType instanceof LIF));
  assert.equal(m.net.connections.length, 3);
  assert.equal(m.outP.synapse, null);
  assert.ok(m.outPFilt.synapse !== null);
  assert.equal(m.spikeP.length, 2);
});

test("argmax and meanCrossEntropy", () => {
  assert.equal(argmax([0, 3, 2, 3]), 1);
  assert.ok(Math.abs(meanCrossEntropy([[0, 0]], [1]) - Math.LN2) < 1e-12);
  assert.ok(meanCrossEntropy([[1000, 0]], [0]) < 1e-12);
});

test("demo CLI options: defaults, --full, explicit values win", () => {
  assert.deepEqual(demoOptionsFromCli({ out: "x" }), { ...DEMO_DEFAULTS, out: "x" });
  const full = demoOptionsFromCli({ out: "x", full: true, epochs: 3 });
  assert.deepEqual(full.hidden, FULL_OPTIONS.hidden);
  assert.equal(full.epochs, 3);
  const program = new Command().exitOverride();
  registerDemo(program);
  const demo = program.commands.find((c) => c.name() === "demo");
  assert.ok(demo);
  assert.ok(demo.options.some((o) => o.long === "--out"));
  assert.ok(demo.options.some((o) => o.long === "--full"));
});

test(
  "nengo-ts demo (tiny settings) trains, evaluates spiking and writes the report",
  { timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "nengo-ts-demo-"));
    try {
      const args = [
        "demo",
        "--out",
        dir,
        "--epochs",
        "2",
        "--n-train",
        "600",
        "--n-test",
        "200",
        "--hidden",
        "64",
        "--steps",
        "20",
        "--learning-rate",
        "0.003",
        "--no-progress",
      ];
      const { stdout } = await run(process.execPath, [main, ...args], { maxBuffer: 16 * 1024 * 1024 });
      const lines = stdout.trim().split("\n");
      const last = lines[lines.length - 1];
      assert.match(last, /^spiking test accuracy: \d{1,3}\.\d%$/);
      assert.ok(lines.some((l) => /^rate-mode test accuracy: \d{1,3}\.\d%$/.test(l)));
      assert.ok(lines.some((l) => /^training time: /.test(l)));
      const acc = Number(/([\d.]+)%/.exec(last)![1]);
      assert.ok(acc > 40, `even a tiny run beats chance (10%) by far (got ${acc}%)`);
      const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as {
        spikingAccuracy: number;
        nTest: number;
        epochs: unknown[];
        confusion: number[][];
        accuracyBySteps: number[];
        examples: { spikes: number[][] }[];
      };
      assert.equal(results.nTest, 200);
      assert.equal(results.epochs.length, 2);
      assert.equal(
        results.confusion.flat().reduce((a, b) => a + b, 0),
        200,
      );
      assert.equal(results.accuracyBySteps.length, 20);
      assert.equal(results.spikingAccuracy.toFixed(3), (acc / 100).toFixed(3));
      assert.ok(results.examples.length > 0);
      assert.ok(
        results.examples.some((e) => e.spikes.some((s) => s.length > 0)),
        "the rasters hold spikes",
      );
      const html = readFileSync(join(dir, "report.html"), "utf8");
      assert.match(html, /^<!DOCTYPE html>/);
      assert.ok(html.includes(`${acc.toFixed(1)}%`));
      // No temp files left behind by the atomic writes.
      assert.ok(!existsSync(join(dir, ".transfer")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test("nengo-ts demo rejects bad options with a clear message", async () => {
  await assert.rejects(run(process.execPath, [main, "demo", "--epochs", "0"]), (e: { stderr: string }) => {
    assert.match(e.stderr, /--epochs must be a positive integer/);
    return true;
  });
  await assert.rejects(run(process.execPath, [main, "demo", "--hidden", "12,x"]), (e: { stderr: string }) => {
    assert.match(e.stderr, /--hidden must be comma-separated positive integers/);
    return true;
  });
});
