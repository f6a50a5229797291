/**
 * Freeze and run in the reference simulator: train with nengo-ts/dl, `freezeParams(net)` writes the trained
 * encoders, biases and weights back into the network's objects, and Nengo's reference simulator
 * (`nengo.Simulator`) then runs the trained network, here while the input sweeps from -1 to 1.
 *
 * Run: `npx tsc && node dist/examples/freeze.js`.
 */
import { pathToFileURL } from "node:url";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const { tf } = nengoDL;

/** Sizes of the example (tests pass small ones). */
export interface FreezeOptions {
  nNeurons?: number;
  nTrain?: number;
  nEpochs?: number;
  log?: (line: string) => void;
}

/** Train, freeze, and return the reference simulator's error on the sweep before and after. */
export async function main(opts: FreezeOptions = {}): Promise<{ before: number; after: number }> {
  const { nNeurons = 100, nTrain = 1024, nEpochs = 10, log = console.log } = opts;
  const f = (x: number): number => Math.abs(x) - 0.5;
  const sweepSteps = 500;
  const net = new nengo.Network({ label: "freeze", seed: 0 });
  // For the reference simulator the input sweeps from -1 to 1; in training, data replaces this output.
  const inp = net.node({ output: (t: number) => [(2 * t) / (sweepSteps * 0.001) - 1], label: "x" });
  const ens = net.ensemble({ nNeurons, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
  const out = net.node({ sizeIn: 1, label: "|x| - 0.5" });
  net.connect(inp, ens, { synapse: null });
  net.connect(ens, out, { synapse: null }); // starts as the identity
  const p = net.probe(out);

  /** Mean squared error of the reference simulator over the sweep. */
  const referenceError = (): number => {
    const ref = new nengo.Simulator(net, { seed: 0, progressBar: false });
    try {
      ref.runSteps(sweepSteps);
      const y = ref.data.get(p);
      const t = ref.trange();
      return y.reduce((s, row, k) => s + (row[0] - f((2 * t[k]) / (sweepSteps * 0.001) - 1)) ** 2, 0) / y.length;
    } finally {
      ref.close();
    }
  };
  const before = referenceError();

  const xs = Array.from(new nengo.RandomState(7).uniform(-1, 1, nTrain));
  const data: nengoDL.DataMap = new Map<nengo.Node | nengo.Probe, unknown>([
    [inp, xs.map((x) => [[x]])],
    [p, xs.map((x) => [[f(x)]])],
  ]);
  const sim = await nengoDL.Simulator.create(net, { minibatchSize: 32, seed: 0, progressBar: false });
  try {
    await sim.train({ data, optimizer: tf.train.adam(1e-3), nEpochs });
    sim.freezeParams(net);
  } finally {
    await sim.close();
  }
  const after = referenceError();
  log(
    `reference simulator, MSE of |x| - 0.5 over a sweep: ${before.toExponential(3)} before, ${after.toExponential(3)} after`,
  );
  return { before, after };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
