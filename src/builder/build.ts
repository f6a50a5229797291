/** Builds a Network into a Model: seeds, then ensembles/nodes, connections, probes; ops scheduled. */
import { BuildError, ValidationError } from "../errors.js";
import type { Network } from "../model/network.js";
import { buildConnection, buildLearningRuleInput } from "./connection.js";
import { buildEnsemble } from "./ensemble.js";
import { Model } from "./model.js";
import { buildNode } from "./node.js";
import { scheduleOps } from "./order.js";
import { buildProbe } from "./probe.js";
import { assignSeeds } from "./seeds.js";

/** Options of `build`. */
export interface BuildOptions {
  dt?: number;
  /** Overrides the network seed (as nengo.Simulator's `seed`). */
  seed?: number;
}

/** Build `net` into a new Model (nothing in `net` changes). */
export function build(net: Network, opts: BuildOptions = {}): Model {
  const dt = opts.dt ?? 0.001;
  if (!(typeof dt === "number" && dt > 0 && Number.isFinite(dt))) {
    throw new ValidationError(`must be a positive number, got ${String(dt)}`, "dt", "Simulator");
  }
  if (net.parent !== undefined) {
    throw new ValidationError(`${String(net)} is a subnetwork; simulate its top-level network`, "network", "Simulator");
  }
  const model = new Model(dt, net.label);
  model.seeds = assignSeeds(net, opts.seed);
  const ensembles = net.allEnsembles;
  const nodes = net.allNodes;
  const connections = net.allConnections;
  for (const e of ensembles) buildEnsemble(model, e);
  for (const n of nodes) buildNode(model, n);
  for (const c of connections) if (c.learningRule) buildLearningRuleInput(model, c.learningRule);
  // connections with weight solvers need the post's encoders: build those after the others
  for (const c of connections) if (!c.solver.weights) buildConnection(model, c);
  for (const c of connections) if (c.solver.weights) buildConnection(model, c);
  for (const p of net.allProbes) buildProbe(model, p);
  try {
    const ordered = scheduleOps(model.ops);
    model.ops.splice(0, model.ops.length, ...ordered);
  } catch (e) {
    if (e instanceof BuildError) throw new BuildError(`Building ${String(net)}: ${e.message}`);
    throw e;
  }
  return model;
}
