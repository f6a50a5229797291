/** Connection, as nengo.Connection. */
import { ValidationError } from "../errors.js";
import { Solver } from "../solvers/index.js";
import { LinearFilter, Lowpass } from "../synapses/index.js";
import { type BaseOptions, NengoObject } from "./base.js";
import { Ensemble, Neurons, type DistOrArray } from "./ensemble.js";
import { LearningRule, LearningRuleType } from "./learning.js";
import { Node } from "./node.js";
import { ObjView } from "./objview.js";
import { resolveTransform, type ResolvedTransform, type TransformInput } from "./transforms.js";

/** What can be the pre of a connection. */
export type PreObject = Node | Ensemble | Neurons | ObjView;
/** What can be the post of a connection. */
export type PostObject = Node | Ensemble | Neurons | ObjView | LearningRule;
/** A synapse option: a filter, a time constant (Lowpass), or null for none. */
export type SynapseInput = LinearFilter | number | null;
/** A connection function on decoded values. */
export type ConnectionFunction = (x: Float64Array) => number | readonly number[];

/** Options of `net.connect(pre, post, ...)`. */
export interface ConnectionOptions extends BaseOptions {
  synapse?: SynapseInput;
  function?: ConnectionFunction | null;
  transform?: TransformInput;
  solver?: Solver;
  evalPoints?: DistOrArray;
  scaleEvalPoints?: boolean;
  learningRuleType?: LearningRuleType | null;
}

/** Resolved synapse from an option value. */
export function toSynapse(
  s: SynapseInput | undefined,
  dflt: LinearFilter | null,
  attr: string,
  obj: unknown,
): LinearFilter | null {
  if (s === undefined) return dflt;
  if (s === null) return null;
  if (typeof s === "number") {
    if (!Number.isFinite(s) || s < 0) throw new ValidationError(`a time constant must be >= 0, got ${s}`, attr, obj);
    return new Lowpass(s);
  }
  if (s instanceof LinearFilter) return s;
  throw new ValidationError("must be a synapse (Lowpass, Alpha, LinearFilter), a number or null", attr, obj);
}

/** The underlying object of a view. */
export function baseObject(o: PreObject | PostObject): Node | Ensemble | Neurons | LearningRule {
  return o instanceof ObjView ? (o.obj as Node | Ensemble | Neurons) : o;
}

/** Connects two objects, applying function, transform and synapse. */
export class Connection extends NengoObject {
  readonly pre: PreObject;
  readonly post: PostObject;
  readonly synapse: LinearFilter | null;
  function: ConnectionFunction | null;
  solver: Solver;
  readonly evalPoints?: DistOrArray;
  readonly scaleEvalPoints: boolean;
  /** The resolved transform (sizeOut x sizeMid). */
  transform: ResolvedTransform;
  /** The transform option as given (for display and freezing). */
  transformInput: TransformInput;
  /** The connection's learning rule, if it has a learning rule type. */
  readonly learningRule: LearningRule | null;
  /** Size after the function (before the transform). */
  sizeMid: number;

  /** @internal use `net.connect(...)`. */
  constructor(
    pre: PreObject,
    post: PostObject,
    opts: ConnectionOptions,
    defaults: { synapse: LinearFilter | null; solver: Solver },
  ) {
    super(opts);
    const preBase = baseObject(pre);
    const postBase = baseObject(post);
    if (!(preBase instanceof Node || preBase instanceof Ensemble || preBase instanceof Neurons)) {
      throw new ValidationError(
        `pre must be a Node, Ensemble, Neurons or a slice of one, got ${String(pre)}`,
        "pre",
        this,
      );
    }
    if (!(
      postBase instanceof Node ||
      postBase instanceof Ensemble ||
      postBase instanceof Neurons ||
      postBase instanceof LearningRule
    )) {
      throw new ValidationError(
        `post must be a Node, Ensemble, Neurons, LearningRule or a slice, got ${String(post)}`,
        "post",
        this,
      );
    }
    if (pre.sizeOut === 0) throw new ValidationError(`${String(pre)} has no output (sizeOut 0)`, "pre", this);
    if (post.sizeIn === 0) throw new ValidationError(`${String(post)} has no input (sizeIn 0)`, "post", this);
    this.pre = pre;
    this.post = post;
    this.synapse = toSynapse(opts.synapse, defaults.synapse, "synapse", this);
    const fn = opts.function ?? null;
    if (fn !== null && typeof fn !== "function")
      throw new ValidationError("must be a function or null", "function", this);
    if (fn !== null && preBase instanceof Neurons) {
      throw new ValidationError("cannot apply a function to a connection from Neurons", "function", this);
    }
    this.function = fn;
    let sizeMid = pre.sizeOut;
    if (fn !== null) {
      let y: number | readonly number[];
      try {
        y = fn(new Float64Array(pre.sizeOut));
      } catch (e) {
        throw new ValidationError(
          `calling the function with zeros(${pre.sizeOut}) failed: ${(e as Error).message}`,
          "function",
          this,
        );
      }
      sizeMid = typeof y === "number" ? 1 : y.length;
    }
    this.sizeMid = sizeMid;
    this.solver = opts.solver ?? defaults.solver;
    if (!(this.solver instanceof Solver)) throw new ValidationError("must be a Solver", "solver", this);
    this.evalPoints = opts.evalPoints;
    this.scaleEvalPoints = opts.scaleEvalPoints ?? true;
    this.transformInput = opts.transform ?? 1;
    this.transform = resolveTransform(this.transformInput, sizeMid, post.sizeIn, String(this));
    if (this.solver.weights && !(preBase instanceof Ensemble && postBase instanceof Ensemble)) {
      throw new ValidationError("a solver with weights=true needs an Ensemble pre and post", "solver", this);
    }
    const lrt = opts.learningRuleType ?? null;
    if (lrt !== null && !(lrt instanceof LearningRuleType)) {
      throw new ValidationError("must be a learning rule type such as new nengo.PES()", "learningRuleType", this);
    }
    if (lrt !== null && preBase instanceof Node) {
      throw new ValidationError("a learning rule needs an Ensemble or Neurons pre", "learningRuleType", this);
    }
    this.learningRule = lrt === null ? null : new LearningRule(this, lrt);
  }

  /** The object before slicing. */
  get preObj(): Node | Ensemble | Neurons {
    return baseObject(this.pre) as Node | Ensemble | Neurons;
  }

  /** The object after slicing. */
  get postObj(): Node | Ensemble | Neurons | LearningRule {
    return baseObject(this.post);
  }

  /** Pre indices used (null for all). */
  get preSlice(): readonly number[] | null {
    return this.pre instanceof ObjView ? this.pre.indices : null;
  }

  /** Post indices written (null for all). */
  get postSlice(): readonly number[] | null {
    return this.post instanceof ObjView ? this.post.indices : null;
  }

  get sizeIn(): number {
    return this.pre.sizeOut;
  }

  get sizeOut(): number {
    return this.post.sizeIn;
  }
}
