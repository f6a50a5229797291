/** Network: a container of modelling objects with factory methods and a config, as nengo.Network. */
import { ValidationError } from "../errors.js";
import { ScatteredHypersphere, Uniform } from "../dists/index.js";
import { LIF } from "../neurons/index.js";
import { LstsqL2 } from "../solvers/index.js";
import { Lowpass } from "../synapses/index.js";
import { type BaseOptions, NengoObject } from "./base.js";
import { Config, type ConfigurableClass } from "./config.js";
import { Connection, type ConnectionOptions, type PostObject, type PreObject } from "./connection.js";
import { Ensemble, type EnsembleOptions, type EnsembleParams, Neurons } from "./ensemble.js";
import { LearningRule } from "./learning.js";
import { Node, type NodeOptions } from "./node.js";
import { Probe, type ProbeOptions, type ProbeTarget } from "./probe.js";
import { ObjView } from "./objview.js";

/** Options of `new nengo.Network(...)` and `net.network(...)`. */
export type NetworkOptions = BaseOptions;

/** Nengo's built-in defaults (used when no config in the chain sets a parameter). */
function builtinDefaults(cls: ConfigurableClass): Record<string, unknown> {
  if (cls === Ensemble) {
    return {
      radius: 1,
      encoders: new ScatteredHypersphere({ surface: true }),
      intercepts: new Uniform(-1, 0.9),
      maxRates: new Uniform(200, 400),
      evalPoints: new ScatteredHypersphere(),
      nEvalPoints: undefined,
      neuronType: new LIF(),
      gain: undefined,
      bias: undefined,
      noise: null,
      normalizeEncoders: true,
    };
  }
  if (cls === Connection) return { synapse: new Lowpass(0.005), solver: new LstsqL2() };
  if (cls === Probe) return { synapse: null };
  return {};
}

/** A network of Nodes, Ensembles, Connections, Probes and subnetworks. */
export class Network extends NengoObject {
  readonly config = new Config();
  readonly ensembles: Ensemble[] = [];
  readonly nodes: Node[] = [];
  readonly connections: Connection[] = [];
  readonly networks: Network[] = [];
  readonly probes: Probe[] = [];
  /** The enclosing network (undefined for a top-level network). */
  readonly parent?: Network;
  /** Named members added by network builders (e.g. `input`, `output` of networks library functions). */
  readonly members: Record<string, unknown> = {};

  constructor(opts: NetworkOptions = {}, parent?: Network) {
    super(opts);
    this.parent = parent;
  }

  /** The top-level network. */
  get root(): Network {
    return this.parent ? this.parent.root : this;
  }

  /** Resolve a parameter default through the config chain (this network outward), then Nengo's defaults. */
  defaultFor(cls: ConfigurableClass, param: string): unknown {
    if (this.config.has(cls, param)) return this.config.lookup(cls, param);
    return this.parent ? this.parent.defaultFor(cls, param) : builtinDefaults(cls)[param];
  }

  private resolve<T extends object>(
    cls: ConfigurableClass,
    opts: T,
    params: readonly string[],
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const o = opts as Record<string, unknown>;
    for (const p of params) out[p] = o[p] !== undefined ? o[p] : this.defaultFor(cls, p);
    return out;
  }

  /** Add a subnetwork. */
  network(opts: NetworkOptions = {}): Network {
    const n = new Network(opts, this);
    this.networks.push(n);
    return n;
  }

  /** Add a Node. */
  node(opts: NodeOptions = {}): Node {
    const n = new Node(opts);
    owners.set(n, this);
    this.nodes.push(n);
    return n;
  }

  /** Add an Ensemble; unset parameters come from configs, then Nengo's defaults. */
  ensemble(opts: EnsembleOptions): Ensemble {
    const params = this.resolve(Ensemble, opts, [
      "radius",
      "encoders",
      "intercepts",
      "maxRates",
      "evalPoints",
      "nEvalPoints",
      "neuronType",
      "gain",
      "bias",
      "noise",
      "normalizeEncoders",
    ]) as unknown as EnsembleParams;
    const e = new Ensemble(opts, params);
    owners.set(e, this);
    this.ensembles.push(e);
    return e;
  }

  /** Connect `pre` to `post`. */
  connect(pre: PreObject, post: PostObject, opts: ConnectionOptions = {}): Connection {
    const root = this.root;
    for (const [what, o] of [
      ["pre", pre],
      ["post", post],
    ] as const) {
      const owner = ownerOf(o);
      if (owner === undefined) {
        throw new ValidationError(
          `${String(o)} was not created by a network (use net.node/net.ensemble)`,
          what,
          "Connection",
        );
      }
      if (owner.root !== root) {
        throw new ValidationError(`${String(o)} belongs to another network than ${String(root)}`, what, "Connection");
      }
    }
    const d = this.resolve(Connection, opts, ["synapse", "solver"]);
    const c = new Connection(pre, post, opts, d as never);
    owners.set(c, this);
    this.connections.push(c);
    return c;
  }

  /**
   * Add a Probe on an Ensemble, Neurons, Node, Connection or a slice. The attribute may be given as the
   * second argument (`net.probe(conn, "weights")`) or as `opts.attr`.
   */
  probe(target: ProbeTarget, attrOrOpts: string | ProbeOptions = {}, more: ProbeOptions = {}): Probe {
    const opts: ProbeOptions = typeof attrOrOpts === "string" ? { ...more, attr: attrOrOpts } : attrOrOpts;
    const owner = ownerOf(target);
    if (owner === undefined || owner.root !== this.root) {
      throw new ValidationError(`${String(target)} is not in ${String(this.root)}`, "target", "Probe");
    }
    const d = this.resolve(Probe, opts, ["synapse"]);
    const p = new Probe(target, { ...opts, synapse: d.synapse as ProbeOptions["synapse"] });
    owners.set(p, this);
    this.probes.push(p);
    return p;
  }

  /** All ensembles of this network and its subnetworks (creation order, depth first). */
  get allEnsembles(): Ensemble[] {
    return [...this.ensembles, ...this.networks.flatMap((n) => n.allEnsembles)];
  }

  /** All nodes, recursively. */
  get allNodes(): Node[] {
    return [...this.nodes, ...this.networks.flatMap((n) => n.allNodes)];
  }

  /** All connections, recursively. */
  get allConnections(): Connection[] {
    return [...this.connections, ...this.networks.flatMap((n) => n.allConnections)];
  }

  /** All probes, recursively. */
  get allProbes(): Probe[] {
    return [...this.probes, ...this.networks.flatMap((n) => n.allProbes)];
  }

  /** All subnetworks, recursively. */
  get allNetworks(): Network[] {
    return [...this.networks, ...this.networks.flatMap((n) => n.allNetworks)];
  }
}

const owners = new WeakMap<object, Network>();

/** The network that created an object (for views and neurons: that of the underlying ensemble/node). */
export function ownerOf(o: unknown): Network | undefined {
  if (o instanceof ObjView) return ownerOf(o.obj);
  if (o instanceof Neurons) return owners.get(o.ensemble);
  if (o instanceof LearningRule) return owners.get(o.connection);
  if (o instanceof Network) return o;
  return typeof o === "object" && o !== null ? owners.get(o) : undefined;
}
