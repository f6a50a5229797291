import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as freeze from "../examples/freeze.js";
import * as integrator from "../examples/integrator.js";
import * as nonlinear from "../examples/nonlinear-function.js";
import * as objectives from "../examples/objectives.js";
import * as quickstart from "../examples/readme-quickstart.js";
import * as saveLoad from "../examples/save-load.js";
import * as summaries from "../examples/summaries.js";
import * as truncation from "../examples/truncation.js";

// Each example runs with small sizes; the checks are what the example claims to show.
const quiet = (): void => undefined;
const tmp = (): string => mkdtempSync(join(tmpdir(), "nengo-ts-example-"));

test("examples/readme-quickstart: the README example learns x^2", { timeout: 120_000 }, async () => {
  const r = await quickstart.main({ nEpochs: 20 });
  assert.ok(r.after < r.before / 20, `${r.before} -> ${r.after}`);
});

test("examples/nonlinear-function: training learns sin(pi x)", { timeout: 120_000 }, async () => {
  const r = await nonlinear.main({ nNeurons: 50, nTrain: 256, nEpochs: 10, log: quiet });
  assert.ok(r.after < r.before / 5, `${r.before} -> ${r.after}`);
});

test(
  "examples/objectives: two inputs, a product objective and an activity regulariser",
  { timeout: 120_000 },
  async () => {
    const r = await objectives.main({ nNeurons: 100, nTrain: 256, nEpochs: 5, log: quiet });
    assert.ok(r.mseAfter < r.mseBefore / 5, `product mse ${r.mseBefore} -> ${r.mseAfter}`);
    assert.ok(Number.isFinite(r.rateAfter) && r.rateAfter > 0);
  },
);

test("examples/truncation: truncated BPTT over long sequences reduces the error", { timeout: 180_000 }, async () => {
  const r = await truncation.main({ nNeurons: 50, nSteps: 120, truncation: 30, nTrain: 32, nEpochs: 3, log: quiet });
  assert.ok(r.after < r.before / 2, `${r.before} -> ${r.after}`);
});

test("examples/integrator: trained to remember a pulse", { timeout: 180_000 }, async () => {
  const r = await integrator.main({ nNeurons: 50, nSteps: 100, nTrain: 64, nEpochs: 5, log: quiet });
  assert.ok(r.after < r.before / 2, `${r.before} -> ${r.after}`);
});

test("examples/summaries: writes a TensorBoard event file with the requested tags", { timeout: 120_000 }, async () => {
  const dir = tmp();
  try {
    const r = await summaries.main({ dir, nNeurons: 20, nTrain: 64, nEpochs: 2, log: quiet });
    assert.equal(r.files.length, 1);
    assert.match(r.files[0], /^run_0[/\\]events\.out\.tfevents\./);
    const bytes = readFileSync(join(dir, r.files[0]));
    for (const tag of ["loss", "Ensemble_ens_encoders", "Connection_decoders_weights"]) {
      assert.ok(bytes.includes(Buffer.from(tag)), `tag ${tag} in the event file`);
    }
    const again = await summaries.main({ dir, nNeurons: 20, nTrain: 64, nEpochs: 1, log: quiet });
    assert.equal(again.files.length, 2, "a second run adds run_1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("examples/save-load: loaded parameters reproduce the trained network", { timeout: 120_000 }, async () => {
  const dir = join(tmp(), "params");
  try {
    const r = await saveLoad.main({ dir, nNeurons: 30, nTrain: 128, nEpochs: 3, log: quiet });
    assert.ok(statSync(dir).isDirectory());
    assert.ok(r.trained < r.fresh / 2, `training helped: ${r.fresh} -> ${r.trained}`);
    assert.ok(Math.abs(r.loaded - r.trained) <= 1e-6 * Math.max(1, r.trained), `${r.loaded} vs ${r.trained}`);
  } finally {
    rmSync(join(dir, ".."), { recursive: true, force: true });
  }
});

test("examples/freeze: the reference simulator runs the trained network", { timeout: 120_000 }, async () => {
  const r = await freeze.main({ nNeurons: 50, nTrain: 256, nEpochs: 5, log: quiet });
  assert.ok(r.after < r.before / 10, `${r.before} -> ${r.after}`);
});
