/**
 * Saving and loading parameters: train a network, `saveParams` to a folder, then build the same network
 * again (a fresh process would do the same), `loadParams` into a new simulator and check that it computes
 * exactly what the trained one did. Parameters are matched by structure, so the second network may use
 * different neuron types (the spiking MNIST demo loads rate-trained weights into spiking neurons).
 *
 * Run: `npx tsc && node dist/examples/save-load.js [dir]` (default dir: ./nengo-ts-params).
 */
import { pathToFileURL } from "node:url";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const { tf } = nengoDL;

/** Options of the example. */
export interface SaveLoadOptions {
  /** Folder for the parameters (default ./nengo-ts-params). */
  dir?: string;
  nNeurons?: number;
  nTrain?: number;
  nEpochs?: number;
  log?: (line: string) => void;
}

/** The network of this example (built twice: once to train, once to load into). */
function build(nNeurons: number): { net: nengo.Network; inp: nengo.Node; p: nengo.Probe } {
  const net = new nengo.Network({ label: "save and load", seed: 0 });
  const inp = net.node({ output: [0] });
  const ens = net.ensemble({ nNeurons, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
  const out = net.node({ sizeIn: 1 });
  net.connect(inp, ens, { synapse: null });
  net.connect(ens, out, { synapse: null });
  return { net, inp, p: net.probe(out) };
}

/** Train, save, load; returns the losses of the trained, a fresh, and the loaded simulator. */
export async function main(
  opts: SaveLoadOptions = {},
): Promise<{ trained: number; fresh: number; loaded: number; dir: string }> {
  const { dir = "./nengo-ts-params", nNeurons = 50, nTrain = 512, nEpochs = 5, log = console.log } = opts;
  const target = (x: number): number => Math.cos(Math.PI * x);
  const xs = Array.from(new nengo.RandomState(6).uniform(-1, 1, nTrain));
  const data = (m: { inp: nengo.Node; p: nengo.Probe }): nengoDL.DataMap =>
    new Map<nengo.Node | nengo.Probe, unknown>([
      [m.inp, xs.map((x) => [[x]])],
      [m.p, xs.map((x) => [[target(x)]])],
    ]);

  const a = build(nNeurons);
  const simA = await nengoDL.Simulator.create(a.net, { minibatchSize: 32, seed: 0, progressBar: false });
  let trained: number;
  try {
    await simA.train({ data: data(a), optimizer: tf.train.adam(1e-3), nEpochs });
    trained = await simA.loss({ data: data(a) });
    await simA.saveParams(dir);
  } finally {
    await simA.close();
  }

  const b = build(nNeurons);
  const simB = await nengoDL.Simulator.create(b.net, { minibatchSize: 32, seed: 0, progressBar: false });
  try {
    const fresh = await simB.loss({ data: data(b) });
    await simB.loadParams(dir);
    const loaded = await simB.loss({ data: data(b) });
    log(
      `loss: trained ${trained.toExponential(3)}, fresh ${fresh.toExponential(3)}, loaded ${loaded.toExponential(3)}`,
    );
    return { trained, fresh, loaded, dir };
  } finally {
    await simB.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main({ dir: process.argv[2] });
