/** Probe, as nengo.Probe. */
import { ValidationError } from "../errors.js";
import type { LinearFilter } from "../synapses/index.js";
import { type BaseOptions, NengoObject, checkNumber } from "./base.js";
import { Connection, type SynapseInput, toSynapse } from "./connection.js";
import { Ensemble, Neurons } from "./ensemble.js";
import { Node } from "./node.js";
import { ObjView } from "./objview.js";

/** Options of `net.probe(target, ...)`. */
export interface ProbeOptions extends BaseOptions {
  /** What to record (default: decoded output for ensembles, output otherwise). */
  attr?: string;
  /** Filter on the recorded value (default none). */
  synapse?: SynapseInput;
  /** Record every this many seconds (default every step). */
  sampleEvery?: number | null;
}

/** What a probe can record. */
export type ProbeTarget = Ensemble | Neurons | Node | Connection | ObjView;

const PROBEABLE: [new (...a: never[]) => object, string[]][] = [
  [Ensemble, ["decoded_output", "input", "scaled_encoders"]],
  [Neurons, ["output", "input"]],
  [Node, ["output"]],
  [Connection, ["output", "input", "weights"]],
];

/** Records data from the simulation. */
export class Probe extends NengoObject {
  readonly target: ProbeTarget;
  readonly attr: string;
  readonly synapse: LinearFilter | null;
  readonly sampleEvery: number | null;

  /** @internal use `net.probe(...)`. */
  constructor(target: ProbeTarget, opts: ProbeOptions = {}) {
    super(opts);
    const obj = target instanceof ObjView ? target.obj : target;
    const entry = PROBEABLE.find(([cls]) => obj instanceof cls);
    if (!entry)
      throw new ValidationError(
        `cannot probe ${String(target)}: not an Ensemble, Neurons, Node or Connection`,
        "target",
        this,
      );
    let attrs = entry[1];
    if (obj instanceof Neurons) attrs = [...attrs, ...Object.keys(obj.ensemble.neuronType.state)];
    const attr = opts.attr ?? attrs[0];
    if (!attrs.includes(attr)) {
      throw new ValidationError(
        `"${attr}" is not probeable on ${String(target)}; choose one of ${attrs.join(", ")}`,
        "attr",
        this,
      );
    }
    if (obj instanceof Node && obj.sizeOut === 0)
      throw new ValidationError(`${String(obj)} has no output to probe`, "target", this);
    this.target = target;
    this.attr = attr;
    this.synapse = toSynapse(opts.synapse, null, "synapse", this);
    this.sampleEvery = opts.sampleEvery == null ? null : checkNumber(opts.sampleEvery, "sampleEvery", this, 0, false);
  }

  /** The probed object (not a view). */
  get obj(): Ensemble | Neurons | Node | Connection {
    return (this.target instanceof ObjView ? this.target.obj : this.target) as Ensemble | Neurons | Node | Connection;
  }

  /** Dimensionality of the recorded value. */
  get sizeIn(): number {
    const o = this.obj;
    if (this.target instanceof ObjView) return this.target.indices.length;
    if (o instanceof Connection) {
      if (this.attr === "weights") return 0; // matrix; see builder
      return this.attr === "input" ? o.sizeMid : o.sizeOut;
    }
    if (o instanceof Ensemble && this.attr === "scaled_encoders") return o.nNeurons * o.dimensions;
    return o instanceof Node ? o.sizeOut : o.sizeIn;
  }
}
