/**
 * An integrator trained to remember: a recurrently connected ensemble (Nengo's NEF integrator) receives a
 * short pulse and should hold its integral afterwards. The NEF weights drift; training the recurrent and
 * input weights through time (full backpropagation through time) makes the memory hold.
 *
 * Run: `npx tsc && node dist/examples/integrator.js`.
 */
import { pathToFileURL } from "node:url";
import * as nengo from "../src/index.js";
import * as nengoDL from "../src/dl/index.js";

const { tf } = nengoDL;

/** Sizes of the example (tests pass small ones). */
export interface IntegratorOptions {
  nNeurons?: number;
  /** Sequence length in steps (dt = 1 ms); the pulse lasts the first tenth. */
  nSteps?: number;
  nTrain?: number;
  nEpochs?: number;
  log?: (line: string) => void;
}

/**
 * Pulse inputs and remembered-value targets `[n][nSteps][1]`: a pulse of height h for `pulse` steps, so the
 * integral ramps up to `value` and then stays there.
 */
export function pulseData(
  n: number,
  nSteps: number,
  dt: number,
  rng: nengo.RandomState,
): { x: number[][][]; y: number[][][] } {
  const pulse = Math.max(1, Math.round(nSteps / 10));
  const values = rng.uniform(-0.8, 0.8, n);
  const x = Array.from(values, (v) => Array.from({ length: nSteps }, (_, k) => [k < pulse ? v / (pulse * dt) : 0]));
  const y = Array.from(values, (v) => Array.from({ length: nSteps }, (_, k) => [(v * Math.min(k + 1, pulse)) / pulse]));
  return { x, y };
}

/** Build and train the integrator; returns the test loss before and after training. */
export async function main(opts: IntegratorOptions = {}): Promise<{ before: number; after: number }> {
  const { nNeurons = 100, nSteps = 200, nTrain = 256, nEpochs = 10, log = console.log } = opts;
  const tau = 0.05;
  const dt = 0.001;
  const net = new nengo.Network({ label: "integrator", seed: 0 });
  const inp = net.node({ output: [0], label: "input" });
  const ens = net.ensemble({ nNeurons, dimensions: 1, neuronType: new nengo.RectifiedLinear() });
  net.connect(inp, ens, { transform: tau, synapse: tau });
  // A leaky start (feedback 0.9 instead of NEF's 1): the memory fades until training fixes the weights.
  net.connect(ens, ens, { transform: 0.9, synapse: tau });
  const p = net.probe(ens);

  const rng = new nengo.RandomState(3);
  const tr = pulseData(nTrain, nSteps, dt, rng);
  const te = pulseData(64, nSteps, dt, rng);
  const data = (d: { x: number[][][]; y: number[][][] }): nengoDL.DataMap =>
    new Map<nengo.Node | nengo.Probe, unknown>([
      [inp, d.x],
      [p, d.y],
    ]);

  const sim = await nengoDL.Simulator.create(net, { dt, minibatchSize: 32, seed: 0, progressBar: false });
  try {
    const before = await sim.loss({ data: data(te) });
    await sim.train({ data: data(tr), optimizer: tf.train.adam(1e-5), nEpochs });
    const after = await sim.loss({ data: data(te) });
    log(
      `remembered-value MSE over ${nSteps} steps: ${before.toExponential(3)} before, ${after.toExponential(3)} after`,
    );
    return { before, after };
  } finally {
    await sim.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
