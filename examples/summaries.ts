/**
 * TensorBoard summaries: train with the simulator's `tensorboard` option and `summaries` (the loss, and
 * histograms of encoders, biases and decoders), then look at the event files with
 * `tensorboard --logdir <dir>`. Every run of the program adds a new `run_N` folder.
 *
 * Run: `npx tsc && node dist/examples/summaries.js [dir]` (default dir: ./nengo-ts-summaries).
 */
import { readdir } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const { tf } = nengoDL;

/** Options of the example. */
export interface SummariesOptions {
  /** TensorBoard directory (default ./nengo-ts-summaries). */
  dir?: string;
  nNeurons?: number;
  nTrain?: number;
  nEpochs?: number;
  log?: (line: string) => void;
}

/** Train with summaries; returns the event files written (paths relative to `dir`). */
export async function main(opts: SummariesOptions = {}): Promise<{ dir: string; files: string[] }> {
  const { dir = "./nengo-ts-summaries", nNeurons = 50, nTrain = 512, nEpochs = 5, log = console.log } = opts;
  const net = new nengo.Network({ label: "summaries", seed: 0 });
  const inp = net.node({ output: [0], label: "x" });
  const ens = net.ensemble({ nNeurons, dimensions: 1, neuronType: new nengo.RectifiedLinear(), label: "ens" });
  const out = net.node({ sizeIn: 1, label: "out" });
  net.connect(inp, ens, { synapse: null });
  const conn = net.connect(ens, out, { synapse: null, label: "decoders" });
  const p = net.probe(out, { label: "out" });

  const xs = Array.from(new nengo.RandomState(5).uniform(-1, 1, nTrain));
  const data: nengoDL.DataMap = new Map<nengo.Node | nengo.Probe, unknown>([
    [inp, xs.map((x) => [[x]])],
    [p, xs.map((x) => [[Math.abs(x)]])],
  ]);

  const sim = await nengoDL.Simulator.create(net, { minibatchSize: 32, seed: 0, progressBar: false, tensorboard: dir });
  try {
    await sim.train({
      data,
      optimizer: tf.train.adam(1e-3),
      nEpochs,
      summaries: ["loss", ens, ens.neurons, conn],
    });
  } finally {
    await sim.close(); // flushes the event file
  }
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.includes("events.out.tfevents"));
  log(`TensorBoard event files in ${dir}: ${files.join(", ")}`);
  log(`look at them with: tensorboard --logdir ${dir}`);
  return { dir, files };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main({ dir: process.argv[2] });
