/** NengoDL's warning when training on one time step through synapses. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error): void => void seen.push(w.message);
  process.on("warning", onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off("warning", onWarning);
  }
  return seen;
}

for (const synapse of [0.005, null]) {
  test(`one-step training ${synapse === null ? "without" : "with"} synapses ${synapse === null ? "does not warn" : "warns"}`, async () => {
    const net = new nengo.Network({ seed: 0 });
    const inp = net.node({ output: [0] });
    const ens = net.ensemble({ nNeurons: 10, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
    net.connect(inp, ens, { synapse });
    const p = net.probe(ens);
    const sim = await nengoDL.Simulator.create(net, { minibatchSize: 2, backend: "cpu", progressBar: false });
    const data = new Map<nengo.Node | nengo.Probe, number[][][]>([
      [inp, [[[0.5]], [[-0.5]]]],
      [p, [[[0.5]], [[-0.5]]]],
    ]);
    const seen = await warningsDuring(() => sim.train({ data, optimizer: nengoDL.tf.train.sgd(0) }));
    await sim.close();
    assert.equal(
      seen.some((m) => /Training for one timestep/.test(m)),
      synapse !== null,
    );
  });
}
