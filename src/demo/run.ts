/**
 * The spiking MNIST demo (NengoDL's flagship example, with dense layers): train a network of LIF neurons in
 * rate mode (LIF trained through a smoothed LIF rate), then run it with spikes for `nSteps` steps with each
 * test digit held at the input, classify by the last step of the filtered output, and write TensorBoard logs,
 * the trained parameters and a self-contained `report.html` into the output folder.
 */
import { mkdir, readdir } from "node:fs/promises";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import * as dl from "../dl/index.js";
import { LIFRate } from "../neurons/index.js";
import { RandomState } from "../rng/randomstate.js";
import { writeFileAtomic } from "../utils/atomic.js";
import {
  IMAGE_SIZE,
  N_CLASSES,
  loadMnist,
  oneHot,
  randomShift,
  subset,
  trainTestSplit,
  type DigitSet,
} from "./mnist.js";
import { buildMnistNetwork, type MnistNetwork } from "./network.js";
import { DEMO_DEFAULTS, pct, type DemoOptions } from "./options.js";
import { loadChartJs, renderReport, type DemoResults, type EpochRecord, type ExampleRecord } from "./report.js";

export { DEMO_DEFAULTS, FULL_OPTIONS, pct, type DemoOptions } from "./options.js";

const tf = dl.tf;

/** What {@link runDemo} returns: the report's results plus where files went. */
export interface DemoSummary {
  results: DemoResults;
  reportPath: string;
  resultsPath: string;
  /** Folder of the saved parameters (`sim.saveParams`). */
  paramsPath: string;
  /** TensorBoard log folder, or null when no event files were written. */
  tensorboardPath: string | null;
}

/** Thrown when the installed nengo-ts/dl cannot train (so the demo never prints made-up numbers). */
export class TrainingUnavailableError extends Error {
  constructor(what: string) {
    super(`training not available yet: nengo-ts/dl has no ${what}`);
    this.name = "TrainingUnavailableError";
  }
}

/** Softmax cross-entropy on the output logits (one-hot targets): the demo's training objective. */
export function crossEntropy(outputs: dl.tf.Tensor3D, targets: dl.tf.Tensor3D): dl.tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(outputs)), -1))) as dl.tf.Scalar);
}

/** Index of the largest value. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Mean softmax cross-entropy (float64) of logit rows against labels. */
export function meanCrossEntropy(logits: number[][], labels: ArrayLike<number>): number {
  let sum = 0;
  logits.forEach((row, i) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    sum += lse - row[labels[i]];
  });
  return sum / logits.length;
}

/** `[n][steps][784]` input data holding each image constant for `steps` steps (rows padded to `nPad`). */
function heldInput(s: DigitSet, steps: number, nPad: number): { shape: [number, number, number]; data: Float32Array } {
  const n = s.labels.length;
  const data = new Float32Array(nPad * steps * IMAGE_SIZE);
  for (let i = 0; i < n; i++) {
    const img = s.images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE);
    for (let k = 0; k < steps; k++) data.set(img, (i * steps + k) * IMAGE_SIZE);
  }
  return { shape: [nPad, steps, IMAGE_SIZE], data };
}

/** Copy the trained parameters of `from` into `to` (same network structure) through `saveParams`/`loadParams`. */
async function copyParams(from: dl.Simulator, to: dl.Simulator, dir: string): Promise<void> {
  await from.saveParams(dir);
  await to.loadParams(dir);
}

/** Rate-mode logits of a set (1 step per digit, chunked by the simulator's minibatch size). */
async function rateLogits(sim: dl.Simulator, m: MnistNetwork, s: DigitSet): Promise<number[][]> {
  const mb = sim.minibatchSize;
  const n = s.labels.length;
  const out: number[][] = [];
  for (let a = 0; a < n; a += mb) {
    const idx = Array.from({ length: Math.min(mb, n - a) }, (_, i) => a + i);
    await sim.runSteps(1, { data: new Map([[m.inp, heldInput(subset(s, idx), 1, mb)]]) });
    const d = sim.data.get(m.outP);
    for (let i = 0; i < idx.length; i++) out.push(d[i][d[i].length - 1]);
    sim.clearProbes();
  }
  return out;
}

/** Run the demo; returns the results and output paths. Throws {@link TrainingUnavailableError} if it cannot train. */
export async function runDemo(options: Partial<DemoOptions> = {}): Promise<DemoSummary> {
  const o: DemoOptions = { ...DEMO_DEFAULTS, ...options };
  const log = o.log ?? ((line: string) => console.log(line));
  if (typeof dl.Simulator?.prototype?.train !== "function") throw new TrainingUnavailableError("Simulator.train");
  const t0 = performance.now();
  const secs = (since: number): number => (performance.now() - since) / 1000;
  const out = resolve(o.out);
  if (!(o.nExamples >= 0) || !(o.epochs >= 1) || !(o.nSteps >= 1))
    throw new RangeError("epochs and nSteps must be >= 1");
  await mkdir(out, { recursive: true });

  // Data.
  const all = await loadMnist();
  const split = trainTestSplit(all, { test: o.nTest, seed: o.seed, maxTrain: o.nTrain });
  const { train, test } = split;
  const nTrain = train.labels.length;
  const nTest = test.labels.length;
  const nTrainUsed = nTrain - (nTrain % o.minibatchSize);
  if (nTrainUsed === 0) throw new RangeError(`need at least minibatchSize (${o.minibatchSize}) training digits`);
  log(`MNIST: ${nTrain} training and ${nTest} test digits (bundled in the "mnist" package)`);

  // Networks: the spiking one we train and evaluate, and a rate twin for rate-mode evaluation.
  const netOpts = { hidden: o.hidden, maxRate: o.maxRate, synapse: o.synapse, seed: o.seed };
  const m = buildMnistNetwork(netOpts);
  dl.configureSettings(m.net, { lifSmoothing: o.lifSmoothing });
  const rateNet = buildMnistNetwork(netOpts);
  for (const ens of rateNet.layers) ens.neuronType = new LIFRate({ amplitude: 1 / o.maxRate });
  log(
    `network: 784 -> ${o.hidden.map((n) => `${n} LIF`).join(" -> ")} -> 10; trained in rate mode (lifSmoothing ${o.lifSmoothing})`,
  );

  const tbDir = join(out, "tensorboard");
  const paramsPath = join(out, "params");
  const sim = await dl.Simulator.create(m.net, {
    minibatchSize: o.minibatchSize,
    seed: o.seed,
    progressBar: o.progressBar,
    tensorboard: tbDir,
    ...(o.backend ? { backend: o.backend } : {}),
  });
  const evalMb = Math.min(1000, nTest);
  const rateSim = await dl.Simulator.create(rateNet.net, { minibatchSize: evalMb, seed: o.seed, progressBar: false });
  const epochs: EpochRecord[] = [];
  let trainSeconds = 0;
  let rateAccuracy = 0;
  let spiking: SpikingEval;
  try {
    const rng = new RandomState(o.seed + 1);
    const optimizer = tf.train.adam(o.learningRate);
    // Training digits whose rate-mode loss is plotted per epoch.
    const trainEval = subset(
      train,
      Array.from({ length: Math.min(1000, nTrain) }, (_, i) => i),
    );
    const totalSteps = o.epochs * (nTrainUsed / o.minibatchSize);
    for (let e = 1; e <= o.epochs; e++) {
      const t = o.shift > 0 ? randomShift(train, o.shift, rng) : train;
      const data: dl.DataMap = new Map<Parameters<dl.DataMap["set"]>[0], unknown>([
        [m.inp, { shape: [nTrainUsed, 1, IMAGE_SIZE], data: t.images.subarray(0, nTrainUsed * IMAGE_SIZE) }],
        [m.outP, { shape: [nTrainUsed, 1, N_CLASSES], data: oneHot(t.labels.subarray(0, nTrainUsed)) }],
      ]);
      const tTrain = performance.now();
      await sim.train({
        data,
        optimizer,
        nEpochs: 1,
        objective: new Map([[m.outP, crossEntropy]]),
        summaries: ["loss"], // the loss of every update, in TensorBoard
        learningRateSchedule: (step) =>
          o.learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps))),
      });
      trainSeconds += secs(tTrain);
      // Rate-mode evaluation after each epoch (not counted as training time).
      await copyParams(sim, rateSim, paramsPath);
      const testLogits = await rateLogits(rateSim, rateNet, test);
      const trainLogits = await rateLogits(rateSim, rateNet, trainEval);
      rateAccuracy = testLogits.filter((l, i) => argmax(l) === test.labels[i]).length / nTest;
      const rec: EpochRecord = {
        epoch: e,
        trainLoss: meanCrossEntropy(trainLogits, trainEval.labels),
        testLoss: meanCrossEntropy(testLogits, test.labels),
        testAccuracy: rateAccuracy,
        seconds: trainSeconds,
      };
      epochs.push(rec);
      log(
        `epoch ${e}/${o.epochs}: train loss ${rec.trainLoss.toFixed(4)}, test loss ${rec.testLoss.toFixed(4)}, ` +
          `rate accuracy ${pct(rateAccuracy)} (training ${trainSeconds.toFixed(1)} s)`,
      );
    }
    log(`spiking evaluation: ${nTest} test digits, ${o.nSteps} steps each, synapse ${o.synapse} s on the output`);
    spiking = await evaluateSpiking(o, m, test, paramsPath);
  } finally {
    await sim.close();
    await rateSim.close();
  }

  const results: DemoResults = {
    config: {
      network: `784 -> ${o.hidden.map((n) => `${n} LIF`).join(" -> ")} -> 10 (dense, Glorot init)`,
      "LIF max rate / amplitude": `${o.maxRate} Hz / ${(1 / o.maxRate).toPrecision(3)}`,
      "training digits": nTrainUsed,
      "test digits": nTest,
      epochs: o.epochs,
      "minibatch size": o.minibatchSize,
      optimizer: `Adam, learning rate ${o.learningRate} with cosine decay`,
      objective: "softmax cross-entropy on the output node",
      "lifSmoothing (training)": o.lifSmoothing,
      augmentation: o.shift > 0 ? `random shifts up to ${o.shift} px, redrawn every epoch` : "none",
      "spiking steps": `${o.nSteps} (dt ${1000 * sim.dt} ms)`,
      "output synapse": `Lowpass(${o.synapse})`,
      seed: o.seed,
    },
    dt: sim.dt,
    nSteps: o.nSteps,
    rateAccuracy,
    spikingAccuracy: spiking.accuracy,
    accuracyBySteps: spiking.accuracyBySteps,
    epochs,
    trainSeconds,
    totalSeconds: 0,
    nTrain: nTrainUsed,
    nTest,
    confusion: spiking.confusion,
    meanRate: spiking.meanRate,
    examples: spiking.examples,
    environment: {
      date: new Date().toISOString(),
      node: process.version,
      "tfjs backend": sim.backend,
      cpu: `${cpus()[0]?.model ?? "unknown"} x ${cpus().length}`,
      "spiking evaluation": `${spiking.seconds.toFixed(1)} s`,
    },
  };
  const tensorboardPath = (await hasFiles(tbDir)) ? tbDir : null;
  const reportPath = join(out, "report.html");
  const resultsPath = join(out, "results.json");
  results.totalSeconds = secs(t0);
  await writeFileAtomic(resultsPath, JSON.stringify(results, null, 1) + "\n");
  await writeFileAtomic(reportPath, renderReport(results, await loadChartJs()));
  return { results, reportPath, resultsPath, paramsPath, tensorboardPath };
}

/** Whether `dir` exists and holds at least one file (at any depth). */
async function hasFiles(dir: string): Promise<boolean> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.some((e) => e.isFile());
  } catch {
    return false;
  }
}

/** What the spiking evaluation measures. */
interface SpikingEval {
  accuracy: number;
  accuracyBySteps: number[];
  confusion: number[][];
  meanRate: number;
  examples: ExampleRecord[];
  seconds: number;
}

/**
 * Run the trained network with spiking LIF neurons: each test digit is held at the input for `nSteps` steps
 * from a fresh state, and classified by the filtered output at the last step.
 */
async function evaluateSpiking(
  o: DemoOptions,
  m: MnistNetwork,
  test: DigitSet,
  paramsDir: string,
): Promise<SpikingEval> {
  const t0 = performance.now();
  const n = test.labels.length;
  const mb = Math.min(1000, n);
  const steps = o.nSteps;
  const sim = await dl.Simulator.create(m.net, { minibatchSize: mb, seed: o.seed, progressBar: false });
  const correctAt = new Float64Array(steps);
  const confusion = Array.from({ length: N_CLASSES }, () => new Array<number>(N_CLASSES).fill(0));
  const preds = new Int32Array(n);
  let spikeCount = 0;
  let probed = 0;
  const wanted = new Map<number, ExampleRecord>();
  try {
    for (let a = 0; a < n; a += mb) {
      sim.reset(); // fresh neuron and synapse state (this also reverts parameters, so load them again)
      await sim.loadParams(paramsDir);
      const count = Math.min(mb, n - a);
      const idx = Array.from({ length: count }, (_, i) => a + i);
      await sim.runSteps(steps, { data: new Map([[m.inp, heldInput(subset(test, idx), steps, mb)]]) });
      const filt = sim.data.get(m.outPFilt);
      const spikes = m.spikeP.length > 0 ? sim.data.get(m.spikeP[0]) : null;
      for (let i = 0; i < count; i++) {
        const label = test.labels[a + i];
        for (let k = 0; k < steps; k++) if (argmax(filt[i][k]) === label) correctAt[k]++;
        const p = argmax(filt[i][steps - 1]);
        preds[a + i] = p;
        confusion[label][p]++;
        if (spikes) {
          probed = spikes[i][0].length;
          for (const row of spikes[i]) for (const v of row) if (v > 0) spikeCount++;
        }
      }
      // Report examples: the first digits of the test set, plus a couple of mistakes if there are any.
      for (let i = 0; i < count; i++) {
        const j = a + i;
        const wrong = preds[j] !== test.labels[j];
        const nWrong = [...wanted.values()].filter((e) => e.label !== e.prediction).length;
        const nRight = wanted.size - nWrong;
        if ((wrong && nWrong < 2) || (!wrong && nRight < o.nExamples - Math.min(2, o.nExamples >> 1))) {
          wanted.set(j, {
            index: j,
            label: test.labels[j],
            prediction: preds[j],
            image: Array.from(test.images.subarray(j * IMAGE_SIZE, (j + 1) * IMAGE_SIZE)),
            spikes: spikes
              ? Array.from({ length: spikes[i][0].length }, (_, nn) =>
                  spikes[i].flatMap((row, k) => (row[nn] > 0 ? [k] : [])),
                )
              : [],
            output: filt[i].map((row) => [...row]),
          });
        }
      }
      sim.clearProbes();
    }
  } finally {
    await sim.close();
  }
  const right = [...wanted.values()].filter((e) => e.label === e.prediction);
  const wrong = [...wanted.values()].filter((e) => e.label !== e.prediction);
  const examples = [...right, ...wrong].slice(0, o.nExamples); // mistakes last
  return {
    accuracy: correctAt[steps - 1] / n,
    accuracyBySteps: Array.from(correctAt, (c) => c / n),
    confusion,
    meanRate: probed > 0 ? spikeCount / (n * probed * steps * sim.dt) : 0,
    examples,
    seconds: (performance.now() - t0) / 1000,
  };
}
