/** Probe builder, as Nengo's build_probe (signal probes and connection probes for decoded output). */
import { BuildError } from "../errors.js";
import { Connection } from "../model/connection.js";
import { Ensemble, Neurons } from "../model/ensemble.js";
import { Node } from "../model/node.js";
import { ObjView } from "../model/objview.js";
import type { Probe } from "../model/probe.js";
import { LstsqL2 } from "../solvers/index.js";
import { buildConnection, sliceSignal } from "./connection.js";
import type { Model } from "./model.js";
import { Signal } from "./signal.js";
import { buildOrPassthrough } from "./synapse.js";

const SIGNAL_KEYS: [new (...a: never[]) => object, Record<string, string>][] = [
  [Ensemble, { input: "in", scaled_encoders: "encoders" }],
  [Neurons, { output: "out", input: "in" }],
  [Node, { output: "out" }],
  [Connection, { output: "weighted", input: "in", weights: "weights" }],
];

/** Build a probe into the model. */
export function buildProbe(model: Model, probe: Probe): void {
  const obj = probe.obj;
  const period = probe.sampleEvery === null ? 1 : probe.sampleEvery / model.dt;
  if (obj instanceof Ensemble && probe.attr === "decoded_output") {
    // a connection from the ensemble (or its slice) into the probe, seeded with the probe's seed
    const conn = new Connection(
      probe.target as Ensemble | ObjView,
      obj,
      { synapse: probe.synapse, solver: new LstsqL2() },
      {
        synapse: null,
        solver: new LstsqL2(),
      },
    );
    model.seeds.set(conn, model.seeds.get(probe) as number);
    model.probeConnections.add(conn);
    const input = new Signal(`${String(probe)}.in`, conn.sizeOut);
    model.addOp({ type: "reset", dst: input, value: 0 });
    buildConnection(model, conn, input);
    model.sigOf(probe).in = input;
    model.probes.set(probe, { signal: input, period, shape: [input.size] });
    return;
  }
  const keys = SIGNAL_KEYS.find(([cls]) => obj instanceof cls)?.[1] ?? {};
  const key = keys[probe.attr] ?? probe.attr;
  let sig = model.sig.get(obj)?.[key];
  if (!sig)
    throw new BuildError(
      `Attribute '${probe.attr}' is not probeable on ${String(obj)}, or ${String(obj)} is not in the model`,
    );
  if (probe.target instanceof ObjView) sig = sliceSignal(model, sig, probe.target.indices, String(probe));
  const shape = [...sig.shape];
  if (probe.synapse !== null) {
    const filtered = buildOrPassthrough(model, probe.synapse, sig, String(probe));
    const input = new Signal(`${String(probe)}.in`, sig.size);
    model.addOp({ type: "copy", src: filtered, dst: input, srcIdx: null, dstIdx: null, inc: false });
    sig = input;
  }
  model.addOp({ type: "probeRead", signal: sig });
  model.sigOf(probe).in = sig;
  model.probes.set(probe, { signal: sig, period, shape });
}
