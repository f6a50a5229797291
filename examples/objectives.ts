/**
 * Two input nodes and several objectives: `a` and `b` feed one ensemble that should output their product,
 * while a second probe on the neurons carries an activity regulariser (a one-argument objective). Shows an
 * objective map with several entries (their values are summed), a custom tfjs objective, and
 * `nengoDL.objectives.regularize`.
 *
 * Run: `npx tsc && node dist/examples/objectives.js`.
 */
import { pathToFileURL } from "node:url";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const { tf } = nengoDL;

/** Sizes of the example (tests pass small ones). */
export interface ObjectivesOptions {
  nNeurons?: number;
  nTrain?: number;
  nEpochs?: number;
  log?: (line: string) => void;
}

/** What the example measured. */
export interface ObjectivesResult {
  /** Product error (mse) before and after training. */
  mseBefore: number;
  mseAfter: number;
  /** Mean neuron activity (the regularised quantity) before and after. */
  rateBefore: number;
  rateAfter: number;
}

/** Train on a product with an activity penalty; return the error and activity before and after. */
export async function main(opts: ObjectivesOptions = {}): Promise<ObjectivesResult> {
  const { nNeurons = 200, nTrain = 1024, nEpochs = 10, log = console.log } = opts;
  const net = new nengo.Network({ label: "two inputs, several objectives", seed: 0 });
  const a = net.node({ output: [0], label: "a" });
  const b = net.node({ output: [0], label: "b" });
  const ens = net.ensemble({ nNeurons, dimensions: 2, neuronType: new nengo.RectifiedLinear(), radius: 1.5 });
  const out = net.node({ sizeIn: 1, label: "a*b" });
  net.connect(a, ens.slice(0), { synapse: null });
  net.connect(b, ens.slice(1), { synapse: null });
  // Decoders start at zero: the product is learned entirely from the data.
  net.connect(ens, out, { synapse: null, function: () => 0 });
  const pOut = net.probe(out, { label: "product" });
  const pRates = net.probe(ens.neurons, { label: "rates" });

  const rng = new nengo.RandomState(2);
  const make = (n: number): nengoDL.DataMap => {
    const av = Array.from(rng.uniform(-1, 1, n));
    const bv = Array.from(rng.uniform(-1, 1, n));
    return new Map<nengo.Node | nengo.Probe, unknown>([
      [a, av.map((v) => [[v]])],
      [b, bv.map((v) => [[v]])],
      [pOut, av.map((v, i) => [[v * bv[i]]])],
    ]);
  };
  const trainData = make(nTrain);
  const testData = make(256);

  // A hand-written tfjs objective (mean absolute error would do as well) and an activity regulariser.
  const mse = (outputs: nengoDL.tf.Tensor3D, targets: nengoDL.tf.Tensor3D): nengoDL.tf.Tensor =>
    tf.mean(tf.square(tf.sub(outputs, targets)));
  const objective: nengoDL.ObjectiveMap = new Map<nengo.Probe | nengo.Probe[], nengoDL.Objective>([
    [pOut, mse],
    [pRates, nengoDL.objectives.regularize({ order: 2, weight: 1e-5 })],
  ]);
  // Evaluate each objective on its own (the data may only hold targets of probes in the objective).
  const only = (p: nengo.Probe): nengoDL.ObjectiveMap => new Map([[p, objective.get(p)!]]);
  const inputsOnly = new Map([...testData].filter(([k]) => k !== pOut));

  const sim = await nengoDL.Simulator.create(net, { minibatchSize: 32, seed: 0, progressBar: false });
  try {
    const mseBefore = await sim.loss({ data: testData, objective: only(pOut) });
    const rateBefore = await sim.loss({ data: inputsOnly, objective: only(pRates) });
    await sim.train({ data: trainData, optimizer: tf.train.adam(1e-4), nEpochs, objective });
    const mseAfter = await sim.loss({ data: testData, objective: only(pOut) });
    const rateAfter = await sim.loss({ data: inputsOnly, objective: only(pRates) });
    log(`product MSE: ${mseBefore.toExponential(3)} -> ${mseAfter.toExponential(3)}`);
    log(`activity penalty: ${rateBefore.toExponential(3)} -> ${rateAfter.toExponential(3)}`);
    return { mseBefore, mseAfter, rateBefore, rateAfter };
  } finally {
    await sim.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
