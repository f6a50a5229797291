/**
 * Learning a nonlinear function: an ensemble of LIF-rate neurons is trained to compute sin(pi * x) of its
 * input. The decoders start out computing the identity; backpropagation moves decoders, encoders and biases
 * until the ensemble computes the function. `sim.loss` before and after shows the change.
 *
 * Run: `npx tsc && node dist/examples/nonlinear-function.js`. In your own project import from "nengo-ts" and
 * "nengo-ts/dl" instead of the relative paths.
 */
import { pathToFileURL } from "node:url";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const { tf } = nengoDL;

/** Sizes of the example (tests pass small ones). */
export interface NonlinearOptions {
  nNeurons?: number;
  nTrain?: number;
  nEpochs?: number;
  log?: (line: string) => void;
}

/** Train and return the test loss before and after training. */
export async function main(opts: NonlinearOptions = {}): Promise<{ before: number; after: number }> {
  const { nNeurons = 100, nTrain = 1024, nEpochs = 20, log = console.log } = opts;
  const f = (x: number): number => Math.sin(Math.PI * x);

  const net = new nengo.Network({ label: "nonlinear function", seed: 0 });
  const inp = net.node({ output: [0], label: "x" });
  const ens = net.ensemble({ nNeurons, dimensions: 1, neuronType: new nengo.LIFRate() });
  const out = net.node({ sizeIn: 1, label: "f(x)" });
  net.connect(inp, ens, { synapse: null });
  // Decoders start as Nengo's least-squares solution for the identity: training must find sin(pi x) itself.
  net.connect(ens, out, { synapse: null });
  const p = net.probe(out);

  // One step per example: inputs [n][1][1], targets [n][1][1].
  const rng = new nengo.RandomState(1);
  const xs = (n: number): number[] => Array.from(rng.uniform(-1, 1, n));
  const data = (x: number[]): nengoDL.DataMap =>
    new Map<nengo.Node | nengo.Probe, unknown>([
      [inp, x.map((v) => [[v]])],
      [p, x.map((v) => [[f(v)]])],
    ]);
  const trainData = data(xs(nTrain));
  const testData = data(xs(256));

  const sim = await nengoDL.Simulator.create(net, { minibatchSize: 32, seed: 0, progressBar: false });
  try {
    const before = await sim.loss({ data: testData });
    await sim.train({ data: trainData, optimizer: tf.train.adam(1e-3), nEpochs });
    const after = await sim.loss({ data: testData });
    log(`test MSE of sin(pi x): ${before.toExponential(3)} before training, ${after.toExponential(3)} after`);
    return { before, after };
  } finally {
    await sim.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
