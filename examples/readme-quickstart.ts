/** The README's 20-line example: train a rate ensemble to square its input, freeze, rerun in the reference simulator. */
import { pathToFileURL } from "node:url";
import * as nengo from "nengo-ts";
import * as nengoDL from "nengo-ts/dl";

/** Run the README example; returns the loss before and after training. */
export async function main(opts: { nEpochs?: number } = {}): Promise<{ before: number; after: number }> {
  const net = new nengo.Network({ seed: 0 });
  const inp = net.node({ output: [0] }); // an input fed with data
  const ens = net.ensemble({ nNeurons: 50, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
  const out = net.node({ sizeIn: 1 });
  net.connect(inp, ens, { synapse: null });
  net.connect(ens, out, { synapse: null });
  const p = net.probe(out);

  const sim = await nengoDL.Simulator.create(net, { minibatchSize: 16, progressBar: false });
  const xs = Array.from({ length: 64 }, (_, i) => [[(i / 63) * 2 - 1]]);
  const ys = xs.map(([[x]]) => [[x * x]]); // learn x -> x^2
  const data = new Map<nengo.Node | nengo.Probe, number[][][]>([
    [inp, xs],
    [p, ys],
  ]);
  const before = await sim.loss({ data });
  await sim.train({ data, optimizer: nengoDL.tf.train.adam(1e-4), nEpochs: opts.nEpochs ?? 50 });
  const after = await sim.loss({ data });
  sim.freezeParams(net); // trained values back into the model
  await sim.close();
  const ref = new nengo.Simulator(net); // the reference simulator now uses them
  ref.runSteps(10);
  console.log(`loss before ${before.toFixed(4)}, after ${after.toFixed(4)}`);
  return { before, after };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
