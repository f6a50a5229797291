/**
 * Truncated backpropagation through time: an ensemble with synaptic filters learns to square a slowly
 * changing input over long sequences. `truncation: 50` splits each 400-step sequence into windows of 50
 * steps; the filter and neuron state carries over from window to window but gradients do not, so training
 * memory stays bounded however long the sequences are.
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

/** Piecewise-constant inputs (4 levels per sequence) and their squares `[n][nSteps][1]`. */
export function squareData(n: number, nSteps: number, rng: nengo.RandomState): { x: number[][][]; y: number[][][] } {
  const x: number[][][] = [];
  const y: number[][][] = [];
  for (let i = 0; i < n; i++) {
    const level = rng.uniform(-1, 1, 4);
    const v = (k: number): number => level[Math.floor((4 * k) / nSteps)];
    x.push(Array.from({ length: nSteps }, (_, k) => [v(k)]));
    y.push(Array.from({ length: nSteps }, (_, k) => [v(k) ** 2]));
  }
  return { x, y };
}

/** Train with truncated BPTT; returns the test loss before and after. */
export async function main(opts: TruncationOptions = {}): Promise<{ before: number; after: number }> {
  const { nNeurons = 100, nSteps = 400, truncation = 50, nTrain = 128, nEpochs = 5, log = console.log } = opts;
  const net = new nengo.Network({ label: "truncated BPTT", seed: 0 });
  const inp = net.node({ output: [0], label: "input" });
  const ens = net.ensemble({ nNeurons, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
  const out = net.node({ sizeIn: 1, label: "x^2" });
  net.connect(inp, ens, { synapse: 0.005 });
  net.connect(ens, out, { synapse: 0.01 }); // decoders start as the identity: training finds the square
  const p = net.probe(out);

  const rng = new nengo.RandomState(4);
  const data = (d: { x: number[][][]; y: number[][][] }): nengoDL.DataMap =>
    new Map<nengo.Node | nengo.Probe, unknown>([
      [inp, d.x],
      [p, d.y],
    ]);
  const trainData = data(squareData(nTrain, nSteps, rng));
  const testData = data(squareData(32, nSteps, rng));

  const sim = await nengoDL.Simulator.create(net, { minibatchSize: 16, seed: 0, progressBar: false });
  try {
    const before = await sim.loss({ data: testData });
    await sim.train({ data: trainData, optimizer: tf.train.adam(1e-4), nEpochs, truncation });
    const after = await sim.loss({ data: testData });
    log(`x^2 MSE (${nSteps} steps, truncation ${truncation}): ${before.toExponential(3)} -> ${after.toExponential(3)}`);
    return { before, after };
  } finally {
    await sim.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
