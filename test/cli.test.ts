import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { cconv, countNeurons, integrator, makeBenchmark, pes } from "../src/cli/benchmarks.js";
import { formatTable, runBenchmark } from "../src/cli/bench.js";
import { Ensemble } from "../src/model/ensemble.js";
import { LIF } from "../src/neurons/index.js";

const run = promisify(execFile);
const main = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

test("bench integrator --json prints a JSON last line and appends to --out", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nengo-ts-bench-"));
  try {
    const out = join(dir, "sub", "results.jsonl");
    const args = [
      "bench",
      "integrator",
      "--dimensions",
      "2",
      "--neurons-per-dim",
      "10",
      "--steps",
      "20",
      "--json",
      "--out",
      out,
    ];
    const { stdout } = await run(process.execPath, [main, ...args]);
    const lines = stdout.trim().split("\n");
    const r = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    assert.equal(r.benchmark, "integrator");
    assert.equal(r.simulator, "reference");
    assert.equal(r.dimensions, 2);
    assert.equal(r.neuronsPerDim, 10);
    assert.equal(r.steps, 20);
    assert.equal(r.repeats, 3);
    assert.equal(r.neurons, 20);
    for (const k of ["buildSeconds", "runSeconds"]) assert.ok(typeof r[k] === "number" && (r[k] as number) >= 0, k);
    assert.equal(typeof r.date, "string");
    assert.equal(r.node, process.version);
    assert.match(stdout, /benchmark\s+simulator/);
    const saved = readFileSync(out, "utf8").trim().split("\n");
    assert.equal(saved.length, 1);
    assert.equal((JSON.parse(saved[0]) as { benchmark: string }).benchmark, "integrator");
    // a second run appends
    await run(process.execPath, [main, ...args.slice(0, -3), "--repeats", "1", "--out", out]);
    assert.equal(readFileSync(out, "utf8").trim().split("\n").length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bench rejects unknown benchmarks and reference-only misuse with a message", async () => {
  await assert.rejects(
    run(process.execPath, [main, "bench", "nope", "--no-save"]),
    (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /unknown benchmark "nope"/);
      return true;
    },
  );
  await assert.rejects(run(process.execPath, [main, "bench", "pes", "--train", "--no-save"]), (e: { stderr: string }) =>
    /--simulator dl/.test(e.stderr),
  );
  await assert.rejects(
    run(process.execPath, [main, "bench", "pes", "--steps", "0", "--no-save"]),
    (e: { stderr: string }) => /positive integer/.test(e.stderr),
  );
});

test("bench --simulator dl either runs or says it is not available", async () => {
  try {
    const { stdout } = await run(process.execPath, [
      main,
      ...[
        "bench",
        "integrator",
        "--simulator",
        "dl",
        "-d",
        "2",
        "-n",
        "4",
        "-s",
        "5",
        "-r",
        "1",
        "--json",
        "--no-save",
      ],
    ]);
    const lines = stdout.trim().split("\n");
    const r = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    assert.equal(r.simulator, "dl");
    assert.equal(r.minibatchSize, 1);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? "";
    assert.match(stderr, /not available yet/);
  }
});

test("benchmark networks are configured as NengoDL's", () => {
  const i = integrator(4, 8, new LIF());
  assert.equal(i.net.seed, 0);
  assert.equal(i.net.label, "integrator");
  assert.equal(countNeurons(i.net), 32);
  const cfgGain = i.net.config.lookup(Ensemble, "gain");
  assert.ok(cfgGain !== undefined);
  assert.ok(
    i.net.allEnsembles.every((e) => e.gain !== undefined && e.bias !== undefined && e.neuronType instanceof LIF),
  );
  const rec = i.net.allConnections.find(
    (c) => c.synapse !== null && Math.abs((c.synapse as { tau?: number }).tau! - 0.01) < 1e-12,
  );
  assert.ok(rec, "recurrent 0.01 connection");
  const c = cconv(4, 8, new LIF());
  assert.equal(countNeurons(c.net), 4 * 3 * 8);
  assert.equal(c.inputs.length, 2);
  const p = pes(3, 5, new LIF());
  assert.equal(p.net.allEnsembles.length, 1);
  assert.equal(p.net.allEnsembles[0].nNeurons, 15);
  assert.ok(p.net.allConnections.some((x) => x.learningRule !== null));
  assert.throws(() => makeBenchmark("nope", 1, 1), /unknown benchmark/);
});

test("runBenchmark returns medians and formatTable aligns", async () => {
  const r = await runBenchmark({
    benchmark: "pes",
    simulator: "reference",
    dimensions: 2,
    neuronsPerDim: 5,
    neuronType: "LIF",
    steps: 10,
    repeats: 3,
  });
  assert.equal(r.buildSecondsAll.length, 3);
  const sorted = [...r.runSecondsAll].sort((a, b) => a - b);
  assert.equal(r.runSeconds, sorted[1]);
  const t = formatTable([r]).split("\n");
  assert.equal(t.length, 3);
  assert.match(t[2], /^pes\s+reference\s+2\s+5\s+10\s+10/);
});
