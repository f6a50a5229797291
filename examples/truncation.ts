/**
 * Truncated backpropagation through time: a recurrent ensemble learns to output a leaky running average
 * of a noisy input signal over long sequences. `truncation: 50` splits each sequence into windows of 50
 * steps; the state carries over between windows but gradients do not, so memory stays bounded however long
 * the sequences are.
 *
 * Run: `npx tsc && node dist/examples/truncation.js`.
 */
import { pathToFileURL } from "node:url";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const { tf } = nengoDL;

/** Sizes of the example (tests pass small ones). */
export interface TruncationOptions {
  nNeurons?: number;
  nSteps?: number;
  truncation?: number;
  nTrain?: number;
  nEpochs?: number;
  log?: (line: string) => void;
}

/** Random smooth-ish inputs and their leaky average (time constant `tau`) `[n][nSteps][1]`. */
export function runningAverageData(
  n: number,
  nSteps: number,
  dt: number,
  tau: number,
  rng: nengo.RandomState,
): { x: number[][][]; y: number[][][] } {
  const a = Math.exp(-dt / tau);
  const x: number[][][] = [];
  const y: number[][][] = [];
  for (let i = 0; i < n; i++) {
    const level = rng.uniform(-1, 1, 4);
    const xs: number[][] = [];
    const ys: number[][] = [];
    let s = 0;
    for (let k = 0; k < nSteps; k++) {
      const v = level[Math.floor((4 * k) / nSteps)] + 0.3 * rng.standardNormal();
      s = a * s + (1 - a) * v;
      xs.push([v]);
      ys.push([s]);
    }
    x.push(xs);
    y.push(ys);
  }
  return { x, y };
}

/** Train with truncated BPTT; returns the test loss before and after. */
export async function main(opts: TruncationOptions = {}): Promise<{ before: number; after: number }> {
  const { nNeurons = 100, nSteps = 400, truncation = 50, nTrain = 128, nEpochs = 5, log = console.log } = opts;
  const dt = 0.001;
  const tau = 0.01;
  const net = new nengo.Network({ label: "truncated BPTT", seed: 0 });
  const inp = net.node({ output: [0], label: "input" });
  const ens = net.ensemble({ nNeurons, dimensions: 1, neuronType: new nengo.LIFRate() });
  // Deliberately poor start: input scaled 0.2 and feedback 0.5, so the output is far too small.
  net.connect(inp, ens, { transform: 0.2, synapse: 0.01 });
  net.connect(ens, ens, { transform: 0.5, synapse: tau });
  const p = net.probe(ens);

  const rng = new nengo.RandomState(4);
  const data = (d: { x: number[][][]; y: number[][][] }): nengoDL.DataMap =>
    new Map<nengo.Node | nengo.Probe, unknown>([
      [inp, d.x],
      [p, d.y],
    ]);
  const trainData = data(runningAverageData(nTrain, nSteps, dt, tau, rng));
  const testData = data(runningAverageData(32, nSteps, dt, tau, rng));

  const sim = await nengoDL.Simulator.create(net, { dt, minibatchSize: 16, seed: 0, progressBar: false });
  try {
    const before = await sim.loss({ data: testData });
    await sim.train({ data: trainData, optimizer: tf.train.adam(1e-5), nEpochs, truncation });
    const after = await sim.loss({ data: testData });
    log(`running-average MSE (${nSteps} steps, truncation ${truncation}): ${before.toExponential(3)} -> ${after.toExponential(3)}`);
    return { before, after };
  } finally {
    sim.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
