/** NengoDL's `configure_settings` and the trainability rules (semantics section 2). */
import type { Model } from "../builder/model.js";
import type { Signal } from "../builder/signal.js";
import { ValidationError } from "../errors.js";
import { Connection } from "../model/connection.js";
import { Ensemble, Neurons } from "../model/ensemble.js";
import { Network } from "../model/network.js";
import { Direct } from "../neurons/index.js";

/** Options of {@link configureSettings}. */
export interface DLSettings {
  /**
   * Adds the `trainable` config parameter to Ensemble, Neurons, Connection and Network with this class-level
   * default (`null`: use the default trainability, i.e. trainable).
   */
  trainable?: boolean | null;
  /** Train LIF neurons through SoftLIFRate with this sigma instead of LIFRate. */
  lifSmoothing?: number;
}

const lifSmoothingOf = new WeakMap<Network, number>();

/** Configure NengoDL settings on a top-level network (as `nengo_dl.configure_settings`). */
export function configureSettings(net: Network, settings: DLSettings): void {
  if (!(net instanceof Network)) throw new ValidationError("must be a Network", "net", "configureSettings");
  if ("trainable" in settings) {
    const v = settings.trainable;
    if (v !== null && v !== undefined && typeof v !== "boolean") {
      throw new ValidationError(`must be true, false or null, got ${String(v)}`, "trainable", "configureSettings");
    }
    for (const cls of [Ensemble, Neurons, Connection, Network]) net.config.addParam(cls, "trainable", v ?? null);
  }
  if (settings.lifSmoothing !== undefined) {
    const s = settings.lifSmoothing;
    if (typeof s !== "number" || !(s > 0))
      throw new ValidationError(`must be a positive number, got ${String(s)}`, "lifSmoothing", "configureSettings");
    lifSmoothingOf.set(net, s);
  }
}

/** The `lifSmoothing` configured for `net`, or null. */
export function getLifSmoothing(net: Network): number | null {
  return lifSmoothingOf.get(net) ?? null;
}

type T = boolean | 1;

/**
 * The trainable signals of a built model: scaled encoders, biases and connection weights, following
 * NengoDL's lookup (instance config, then inherited network value, then class config; default trainable).
 * Probe connections are never trainable.
 */
export function trainableSignals(net: Network, model: Model): Set<Signal> {
  const config = net.config;
  const configured = config.hasParam(Ensemble, "trainable");
  const classOf = (obj: object): abstract new (...a: never[]) => object =>
    obj instanceof Ensemble
      ? Ensemble
      : obj instanceof Neurons
        ? Neurons
        : obj instanceof Connection
          ? Connection
          : Network;
  const get = (obj: object, netT: T): T => {
    if (!configured) return netT;
    let v: unknown;
    if (config.has(obj, "trainable")) v = config.lookup(obj, "trainable");
    else if (netT !== 1) return netT;
    else v = config.lookup(classOf(obj), "trainable");
    return v === null || v === undefined ? 1 : (v as boolean);
  };
  const out = new Set<Signal>();
  const add = (s: Signal | undefined, t: T): void => {
    if (s && t !== false) out.add(s);
  };
  const mark = (n: Network, netT: T): void => {
    for (const sub of n.networks) mark(sub, get(sub, netT));
    for (const ens of n.ensembles) {
      const et = get(ens, netT);
      add(model.sig.get(ens)?.encoders, et);
      if (!(ens.neuronType instanceof Direct)) {
        let nt = get(ens.neurons, netT);
        if (nt === 1) nt = et;
        add(model.sig.get(ens.neurons)?.bias, nt);
      }
    }
    for (const conn of n.connections) {
      if (conn.learningRule) continue; // targeted by an online learning rule
      add(model.sig.get(conn)?.weights, get(conn, netT));
    }
  };
  mark(net, 1);
  return out;
}
