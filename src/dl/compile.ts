/**
 * Compiles a built Model into merged tensor computations: one linear stage per dependency level (a few
 * matmuls with block matrices assembled once per run from the parameters), one neuron op per neuron type
 * and level, one update per synapse type, and JS functions for nodes with inputs. The per-step op count
 * depends on the depth of the model, not on the number of ensembles or connections.
 */
import { ValidationError } from "../errors.js";
import type { Model } from "../builder/model.js";
import type { Op } from "../builder/ops.js";
import { writeFuncResult } from "../builder/node.js";
import type { Signal } from "../builder/signal.js";
import { Node } from "../model/node.js";
import { classifyStep, type StepKind } from "../synapses/index.js";
import { tf } from "./backend.js";
import { hasJsKernels, runJsKernel, type TfNeuron, tfNeuron } from "./neurons.js";
import { isRange, placeCols, sliceCols, sumRows, takeCols } from "./tensorops.js";
import type { Profiler } from "../utils/trace.js";

type Term =
  | { type: "const"; value: number }
  | { type: "copy"; src: Signal; srcIdx: Int32Array | null; dstIdx: Int32Array | null }
  | { type: "ew"; A: Signal; X: Signal }
  | { type: "dot"; A: Signal; X: Signal };

/** Location of a dynamic signal: vector id and column offset. */
interface Loc {
  vec: number;
  off: number;
}

/** A piece of a group's flat weight vector: constants, or a parameter (flattened row-major, broadcast to `size`). */
type WeightPiece = { type: "const"; values: Float32Array } | { type: "param"; param: Signal; size: number };

/**
 * How a group computes `Y[dstIdx] += W_g @ X[srcIdx]` for its G blocks of [r, c]:
 * - diag: one weight per entry (copies, elementwise products, scalar transforms): a gather and a multiply;
 * - outer (c = 1): a depthwise 1x1 convolution, or `[mb, G, 1] * [1, G, r]` for long blocks (e.g. encoders of
 *   one-dimensional ensembles);
 * - inner (r = 1): `sum([mb, G, c] * [1, G, c], 2)` (e.g. decoders into one dimension);
 * - small (r * c <= 16): `sum([mb, G, 1, c] * [1, G, r, c], 3)`;
 * - matmul (G = 1): one matMul; bmm: one batched matMul over the G blocks.
 */
type GroupKind = "diag" | "outer" | "inner" | "small" | "matmul" | "bmm";

interface StageGroup {
  kind: GroupKind;
  /** Source vector and its columns (G * c entries; diag: one per entry). */
  src: number;
  srcIdx: Int32Array;
  G: number;
  r: number;
  c: number;
  /** Stage-vector columns written (G * r entries; diag: one per entry). */
  dstIdx: Int32Array;
  pieces: WeightPiece[];
  /** Total weights (G * r * c; diag: entries). */
  wSize: number;
  /** Index of the assembled weight tensor, -1 when every weight is a constant 1 (plain copies). */
  wIndex: number;
}

interface LinearStage {
  level: number;
  vec: number;
  size: number;
  /** Batched products, grouped by source vector and block shape (their number does not grow with ensembles). */
  groups: StageGroup[];
  /** Consecutive groups with identical dstIdx are summed: the size of each such cluster, in group order. */
  clusters: number[];
  /** Concatenated dstIdx of the clusters (where the concatenated cluster outputs go). */
  dstAll: Int32Array;
  /** The constant part is nonzero or has static terms. */
  hasC: boolean;
  constC: Float32Array;
  /** Static terms added to c: signal offset + term (evaluated per run). */
  staticTerms: { off: number; size: number; term: Term }[];
  cIndex: number;
  /** How the stage runs as one JS kernel (wasm, cpu); made on first use. */
  kplan?: KernelPlan;
  /** Whether the tf-op version needs gathers (see {@link needsGather}); set on first use. */
  gathers?: boolean;
}

/** One group's product accumulated by the stage kernel: `out[dst] += W (x) x[src]` over G blocks of [r, c]. */
interface KernelItem {
  /** Input slots of the source and of the weights (-1: unit weights). */
  x: number;
  w: number;
  G: number;
  r: number;
  c: number;
  src: Int32Array;
  dst: Int32Array;
}

/** Inputs of a stage kernel: source vectors, weights, products of big blocks (tf matMuls), the constant row. */
interface KernelPlan {
  srcs: number[];
  wIdx: number[];
  tfGroups: StageGroup[];
  items: KernelItem[];
}

interface NeuronGroup {
  level: number;
  key: string;
  ops: Extract<Op, { type: "neurons" }>[];
  impl: TfNeuron;
  size: number;
  outVec: number;
  stateKeys: string[];
  stateVecs: number[];
  /** Where J comes from: a slice of a stage vector, or static (aIndex of the concatenated value). */
  jVec: number;
  jOff: number;
  jStaticIndex: number;
  /** Index of the first state tensor in the flat state list. */
  stateIndex: number;
}

interface FuncStage {
  level: number;
  op: Extract<Op, { type: "func" }>;
  outVec: number;
  x: GatherPlan | null;
}

/** How to collect a list of signals into one [mb, n] tensor. */
export interface GatherPlan {
  /** Column offset of each requested signal in the result. */
  offsets: number[];
  size: number;
  parts: { vec: number; idx: Int32Array }[];
  /** Static signals appended last (value per run, aIndex into the assembled list). */
  staticSignals: Signal[];
  staticIndex: number;
}

interface SynapseGroup {
  key: string;
  kind: StepKind;
  A: Float64Array;
  B: Float64Array;
  C: Float64Array;
  D: number;
  order: number;
  size: number;
  gather: GatherPlan;
  prevVec: number;
  newVec: number;
  stateIndex: number;
  ops: Extract<Op, { type: "synapse" }>[];
}

/** The flat simulation state: a list of [mb, n] tensors (synapse outputs and states, neuron states). */
export type StateList = tf.Tensor2D[];

/** A compiled model. Build with {@link compileModel}. */
export class CompiledModel {
  readonly vecSizes: number[] = [];
  readonly loc = new Map<Signal, Loc>();
  /** Locations after the step (new synapse outputs) for probes. */
  readonly postLoc = new Map<Signal, Loc>();
  readonly stages: LinearStage[] = [];
  readonly neuronGroups: NeuronGroup[] = [];
  readonly funcs: FuncStage[] = [];
  readonly synapseGroups: SynapseGroup[] = [];
  readonly terms = new Map<Signal, Term[]>();
  readonly staticDerived = new Set<Signal>();
  /** Input nodes in input-vector order with their offsets. */
  readonly inputNodes: { node: Node; off: number; signal: Signal }[] = [];
  inputSize = 0;
  readonly inputVec = 0;
  /** Probes: probe object -> offset/size in the per-step probe vector. */
  readonly probes = new Map<object, { off: number; size: number; shape: number[]; period: number }>();
  probePlan!: GatherPlan;
  /** Number of assembled tensors per run. */
  nAssembled = 0;
  /** Initial state values ([1, n] rows, float32). */
  readonly stateInit: Float32Array[] = [];
  maxLevel = 0;
  /** Total neurons (for memory estimates). */
  totalVecSize = 0;

  constructor(
    readonly model: Model,
    readonly trainable: Set<Signal>,
  ) {}

  newVec(size: number): number {
    this.vecSizes.push(size);
    return this.vecSizes.length - 1;
  }
}

/** Options of {@link compileModel}. */
export interface CompileOptions {
  /** Signals that are trainable parameters. */
  trainable: Set<Signal>;
  /** LIF training smoothing (SoftLIFRate sigma) or null for LIFRate. */
  lifSmoothing: number | null;
}

/** Compile the built model; throws ValidationError for what nengo-ts/dl does not support. */
export function compileModel(model: Model, opts: CompileOptions): CompiledModel {
  const cm = new CompiledModel(model, opts.trainable);
  cm.newVec(0); // input vector, size set below
  const setters = new Map<Signal, Op>();
  const neuronOf = new Map<Signal, Extract<Op, { type: "neurons" }>>();
  const funcOf = new Map<Signal, Extract<Op, { type: "func" }>>();
  const updated = new Set<Signal>();
  const written = new Set<Signal>();
  // input nodes: sizeIn 0 with an output
  const inputSignals = new Map<Signal, Node>();
  for (const [obj, rec] of model.sig) {
    if (obj instanceof Node && obj.sizeIn === 0 && obj.sizeOut > 0 && rec.out) inputSignals.set(rec.out, obj);
  }
  const ops: Op[] = [];
  for (const op of model.ops) {
    if (op.type === "pes") {
      throw new ValidationError(
        "online learning rules (PES) are not supported by nengo-ts/dl; use the reference simulator",
        "learningRuleType",
        "nengo-ts/dl Simulator",
      );
    }
    if (op.type === "func" && op.output && inputSignals.has(op.output)) continue;
    ops.push(op);
  }
  const addTerm = (s: Signal, t: Term): void => {
    let l = cm.terms.get(s);
    if (!l) {
      l = [];
      cm.terms.set(s, l);
    }
    l.push(t);
    written.add(s);
  };
  for (const op of ops) {
    switch (op.type) {
      case "reset":
        setters.set(op.dst, op);
        addTerm(op.dst, { type: "const", value: op.value });
        break;
      case "copy":
        if (!op.inc) setters.set(op.dst, op);
        addTerm(op.dst, { type: "copy", src: op.src, srcIdx: op.srcIdx, dstIdx: op.dstIdx });
        break;
      case "elementwiseInc":
        addTerm(op.Y, { type: "ew", A: op.A, X: op.X });
        break;
      case "dotInc":
        addTerm(op.Y, { type: "dot", A: op.A, X: op.X });
        break;
      case "neurons":
        neuronOf.set(op.output, op);
        written.add(op.output);
        for (const s of Object.values(op.states)) {
          neuronOf.set(s, op);
          written.add(s);
        }
        break;
      case "synapse":
        updated.add(op.output);
        updated.add(op.state);
        break;
      case "func":
        if (op.output) {
          funcOf.set(op.output, op);
          written.add(op.output);
        }
        break;
      default:
        break;
    }
  }
  // signals with incs but no setter accumulate across steps (learning rules): not supported
  for (const [s, terms] of cm.terms) {
    if (!setters.has(s) && !neuronOf.has(s) && !funcOf.has(s) && terms.length > 0 && !inputSignals.has(s)) {
      throw new ValidationError(
        `${String(s)} accumulates across steps, which nengo-ts/dl does not support`,
        "model",
        "nengo-ts/dl Simulator",
      );
    }
  }
  // dead signals: linear results that no neuron, synapse, function or probe reads (e.g. an EnsembleArray's
  // default output when only another output is used) are not computed
  const live = new Set<Signal>();
  const pending: Signal[] = [];
  const need = (s: Signal): void => {
    if (live.has(s)) return;
    live.add(s);
    pending.push(s);
  };
  for (const op of ops) {
    if (op.type === "neurons") need(op.J);
    else if (op.type === "synapse") need(op.input);
    else if (op.type === "func" && op.x) need(op.x);
  }
  for (const p of model.probes.values()) need(p.signal);
  while (pending.length > 0) {
    const s = pending.pop() as Signal;
    for (const t of cm.terms.get(s) ?? []) {
      if (t.type === "copy") need(t.src);
      else if (t.type !== "const") need(t.X);
    }
  }
  for (const s of [...cm.terms.keys()]) if (!live.has(s)) cm.terms.delete(s);
  const isPureStatic = (s: Signal): boolean => !written.has(s) && !updated.has(s) && !inputSignals.has(s);

  // ---- levels
  const levels = new Map<Signal, number>();
  const neuronLevel = new Map<Op, number>();
  const funcLevel = new Map<Op, number>();
  const levelOf = (s: Signal): number => {
    const memo = levels.get(s);
    if (memo !== undefined) return memo;
    let l: number;
    if (inputSignals.has(s) || updated.has(s)) l = 0;
    else if (neuronOf.has(s)) l = levelOfNeuron(neuronOf.get(s) as Extract<Op, { type: "neurons" }>);
    else if (funcOf.has(s)) l = levelOfFunc(funcOf.get(s) as Extract<Op, { type: "func" }>);
    else if (isPureStatic(s)) l = -1;
    else {
      let m = -1;
      for (const t of cm.terms.get(s) ?? []) {
        if (t.type === "copy") m = Math.max(m, levelOf(t.src));
        else if (t.type === "ew" || t.type === "dot") {
          if (!isPureStatic(t.A)) {
            throw new ValidationError(
              `${String(t.A)} changes during the simulation; nengo-ts/dl needs it constant`,
              "model",
              "nengo-ts/dl",
            );
          }
          m = Math.max(m, levelOf(t.X));
        }
      }
      l = m < 0 ? -1 : m + 1;
      if (l < 0) cm.staticDerived.add(s);
    }
    levels.set(s, l);
    return l;
  };
  const levelOfNeuron = (op: Extract<Op, { type: "neurons" }>): number => {
    let l = neuronLevel.get(op);
    if (l === undefined) {
      l = Math.max(levelOf(op.J), 0) + 1;
      neuronLevel.set(op, l);
    }
    return l;
  };
  const levelOfFunc = (op: Extract<Op, { type: "func" }>): number => {
    let l = funcLevel.get(op);
    if (l === undefined) {
      l = (op.x ? Math.max(levelOf(op.x), 0) : 0) + 1;
      funcLevel.set(op, l);
    }
    return l;
  };
  for (const op of ops) {
    if (op.type === "neurons") levelOfNeuron(op);
    else if (op.type === "func") levelOfFunc(op);
  }
  for (const s of cm.terms.keys()) levelOf(s);
  const probeSignals = [...model.probes.values()].map((p) => p.signal);
  for (const s of probeSignals) levelOf(s);
  for (const op of ops) if (op.type === "synapse") levelOf(op.input);
  let maxLevel = 0;
  for (const l of levels.values()) maxLevel = Math.max(maxLevel, l);
  for (const l of neuronLevel.values()) maxLevel = Math.max(maxLevel, l);
  for (const l of funcLevel.values()) maxLevel = Math.max(maxLevel, l);
  cm.maxLevel = maxLevel;

  // ---- input vector
  let inOff = 0;
  for (const [s, node] of inputSignals) {
    cm.inputNodes.push({ node, off: inOff, signal: s });
    cm.loc.set(s, { vec: 0, off: inOff });
    inOff += s.size;
  }
  cm.vecSizes[0] = inOff;
  cm.inputSize = inOff;

  // ---- synapse groups (state read at level 0)
  const synOps = ops.filter((o): o is Extract<Op, { type: "synapse" }> => o.type === "synapse");
  const synByKey = new Map<string, Extract<Op, { type: "synapse" }>[]>();
  for (const op of synOps) {
    const key = `${op.synapse.mergeKey}`;
    const l = synByKey.get(key) ?? [];
    l.push(op);
    synByKey.set(key, l);
  }
  const synGroups: { key: string; ops: Extract<Op, { type: "synapse" }>[] }[] = [...synByKey].map(([key, o]) => ({
    key,
    ops: o,
  }));
  // synapse prev vectors are allocated now (layout fixed after gather plans, below)
  const synPrevVecs = synGroups.map((g) => cm.newVec(g.ops.reduce((a, o) => a + o.output.size, 0)));

  // ---- neuron groups, per (level, key)
  const ngMap = new Map<string, NeuronGroup>();
  for (const op of ops) {
    if (op.type !== "neurons") continue;
    const level = neuronLevel.get(op) as number;
    const key = `${level}|${op.neuronType.mergeKey}|${levelOf(op.J) < 0 ? "static" : "dyn"}`;
    let g = ngMap.get(key);
    if (!g) {
      g = {
        level,
        key,
        ops: [],
        impl: tfNeuron(op.neuronType, opts.lifSmoothing),
        size: 0,
        outVec: -1,
        stateKeys: Object.keys(op.states),
        stateVecs: [],
        jVec: -1,
        jOff: 0,
        jStaticIndex: -1,
        stateIndex: -1,
      };
      ngMap.set(key, g);
    }
    g.ops.push(op);
    g.size += op.J.size;
  }
  cm.neuronGroups.push(...ngMap.values());

  // ---- linear stages per level: J signals of neuron groups first (contiguous), then the rest
  const byLevel = new Map<number, Signal[]>();
  for (const s of cm.terms.keys()) {
    const l = levels.get(s) as number;
    if (l < 1 || neuronOf.has(s) || funcOf.has(s)) continue;
    const list = byLevel.get(l) ?? [];
    list.push(s);
    byLevel.set(l, list);
  }
  const stageVecOfLevel = new Map<number, number>();
  for (let L = 1; L <= maxLevel; L++) {
    const sigs = byLevel.get(L);
    if (!sigs || sigs.length === 0) continue;
    const jFirst: Signal[] = [];
    const jSet = new Set<Signal>();
    for (const g of cm.neuronGroups) {
      if (g.level !== L + 1) continue;
      for (const op of g.ops) {
        if ((levels.get(op.J) as number) === L) {
          jFirst.push(op.J);
          jSet.add(op.J);
        }
      }
    }
    const ordered = [...jFirst, ...sigs.filter((s) => !jSet.has(s))];
    const size = ordered.reduce((a, s) => a + s.size, 0);
    const vec = cm.newVec(size);
    stageVecOfLevel.set(L, vec);
    let off = 0;
    for (const s of ordered) {
      cm.loc.set(s, { vec, off });
      off += s.size;
    }
    cm.stages.push({
      level: L,
      vec,
      size,
      groups: [],
      clusters: [],
      dstAll: new Int32Array(0),
      hasC: false,
      constC: new Float32Array(size),
      staticTerms: [],
      cIndex: -1,
    });
  }
  // neuron group vectors and J locations
  for (const g of cm.neuronGroups) {
    g.outVec = cm.newVec(g.size);
    g.stateVecs = g.stateKeys.map(() => cm.newVec(g.size));
    let off = 0;
    for (const op of g.ops) {
      cm.loc.set(op.output, { vec: g.outVec, off });
      g.stateKeys.forEach((k, i) => cm.loc.set(op.states[k], { vec: g.stateVecs[i], off }));
      off += op.J.size;
    }
    if (levelOf(g.ops[0].J) >= 1) {
      const first = cm.loc.get(g.ops[0].J) as Loc;
      g.jVec = first.vec;
      g.jOff = first.off;
    }
  }
  // funcs
  for (const op of ops) {
    if (op.type !== "func") continue;
    const level = funcLevel.get(op) as number;
    const outVec = op.output ? cm.newVec(op.output.size) : -1;
    if (op.output) cm.loc.set(op.output, { vec: outVec, off: 0 });
    cm.funcs.push({ level, op, outVec, x: null });
  }
  // synapse groups: gather plans for inputs; outputs laid out in gather order
  synGroups.forEach((g, gi) => {
    const plan = makeGatherPlan(
      cm,
      g.ops.map((o) => o.input),
    );
    const ss = g.ops[0].synapse.discretize(model.dt);
    const order = ss.A.rows;
    const prevVec = synPrevVecs[gi];
    const newVec = cm.newVec(plan.size);
    g.ops.forEach((op, i) => {
      cm.loc.set(op.output, { vec: prevVec, off: plan.offsets[i] });
      cm.postLoc.set(op.output, { vec: newVec, off: plan.offsets[i] });
    });
    cm.synapseGroups.push({
      key: g.key,
      kind: classifyStep(ss),
      A: Float64Array.from(ss.A.data),
      B: Float64Array.from(ss.B),
      C: Float64Array.from(ss.C),
      D: ss.D,
      order,
      size: plan.size,
      gather: plan,
      prevVec,
      newVec,
      stateIndex: -1,
      ops: g.ops,
    });
  });
  // func x plans (after all locations are known)
  for (const f of cm.funcs) if (f.op.x) f.x = makeGatherPlan(cm, [f.op.x]);

  // ---- stage matrices
  for (const st of cm.stages) buildStage(cm, st, byLevel.get(st.level) as Signal[]);

  // ---- assembled tensor indices
  let ai = 0;
  for (const st of cm.stages) {
    for (const g of st.groups) if (!isPlainCopy(g)) g.wIndex = ai++;
    if (st.hasC) st.cIndex = ai++;
  }
  for (const g of cm.neuronGroups) if (g.jVec < 0) g.jStaticIndex = ai++;
  const plans: GatherPlan[] = [
    ...cm.synapseGroups.map((g) => g.gather),
    ...cm.funcs.flatMap((f) => (f.x ? [f.x] : [])),
  ];
  // probes
  const probeList = [...model.probes.entries()];
  cm.probePlan = makeGatherPlan(
    cm,
    probeList.map(([, bp]) => bp.signal),
    true,
  );
  probeList.forEach(([p, bp], i) => {
    cm.probes.set(p, { off: cm.probePlan.offsets[i], size: bp.signal.size, shape: bp.shape, period: bp.period });
  });
  plans.push(cm.probePlan);
  for (const p of plans) if (p.staticSignals.length > 0) p.staticIndex = ai++;
  cm.nAssembled = ai;

  // ---- state layout
  let si = 0;
  for (const g of cm.synapseGroups) {
    g.stateIndex = si;
    const y0 = new Float32Array(g.size);
    g.ops.forEach((op, i) => y0.set(op.output.initial, g.gather.offsets[i]));
    cm.stateInit.push(y0);
    si++;
    for (let k = 0; k < g.order; k++) {
      const x0 = new Float32Array(g.size);
      g.ops.forEach((op, i) => {
        const n = op.input.size;
        x0.set(op.state.initial.subarray(k * n, (k + 1) * n), g.gather.offsets[i]);
      });
      cm.stateInit.push(x0);
      si++;
    }
  }
  for (const g of cm.neuronGroups) {
    g.stateIndex = si;
    for (const key of g.stateKeys) {
      const v = new Float32Array(g.size);
      let off = 0;
      for (const op of g.ops) {
        v.set(op.states[key].initial, off);
        off += op.J.size;
      }
      cm.stateInit.push(v);
      si++;
    }
  }
  cm.totalVecSize = cm.vecSizes.reduce((a, b) => a + b, 0);
  return cm;
}

/** Gather plan for `signals` from current locations (post-step locations when `post`). */
function makeGatherPlan(cm: CompiledModel, signals: Signal[], post = false): GatherPlan {
  const byVec = new Map<number, { sigIdx: number; cols: number[] }[]>();
  const statics: number[] = [];
  signals.forEach((s, i) => {
    const loc = (post ? cm.postLoc.get(s) : undefined) ?? cm.loc.get(s);
    if (!loc) {
      statics.push(i);
      return;
    }
    const l = byVec.get(loc.vec) ?? [];
    l.push({ sigIdx: i, cols: Array.from({ length: s.size }, (_, k) => loc.off + k) });
    byVec.set(loc.vec, l);
  });
  const offsets = new Array<number>(signals.length).fill(0);
  const parts: { vec: number; idx: Int32Array }[] = [];
  let off = 0;
  for (const [vec, items] of byVec) {
    const idx: number[] = [];
    for (const it of items) {
      offsets[it.sigIdx] = off;
      off += it.cols.length;
      idx.push(...it.cols);
    }
    parts.push({ vec, idx: Int32Array.from(idx) });
  }
  const staticSignals: Signal[] = [];
  for (const i of statics) {
    offsets[i] = off;
    off += signals[i].size;
    staticSignals.push(signals[i]);
  }
  return { offsets, size: off, parts, staticSignals, staticIndex: -1 };
}

/** A group with every weight a constant 1 (plain copies) needs no weight tensor. */
function isPlainCopy(g: StageGroup): boolean {
  return g.kind === "diag" && g.pieces.every((p) => p.type === "const" && p.values.every((v) => v === 1));
}

/**
 * Lay out the linear terms of one stage as batched products: all diagonal entries (copies, elementwise
 * products, scalar transforms) from one source vector form one group; dense transforms from one source
 * vector form one group per block shape [r, c]. Only real (block) nonzeros are ever multiplied.
 */
function buildStage(cm: CompiledModel, st: LinearStage, sigs: Signal[]): void {
  interface Acc {
    diag: boolean;
    src: number;
    G: number;
    r: number;
    c: number;
    srcIdx: number[];
    dstIdx: number[];
    /** Pieces, consecutive constants merged into number arrays. */
    pieces: ({ type: "const"; values: number[] } | { type: "param"; param: Signal; size: number })[];
  }
  const accs = new Map<string, Acc>();
  const acc = (key: string, diag: boolean, src: number, r: number, c: number): Acc => {
    let a = accs.get(key);
    if (!a) {
      a = { diag, src, G: 0, r, c, srcIdx: [], dstIdx: [], pieces: [] };
      accs.set(key, a);
    }
    return a;
  };
  const pushConst = (a: Acc, v: ArrayLike<number>): void => {
    const last = a.pieces[a.pieces.length - 1];
    const target = last !== undefined && last.type === "const" ? last.values : [];
    if (target.length === 0) a.pieces.push({ type: "const", values: target });
    for (let i = 0; i < v.length; i++) target.push(v[i]);
  };
  // A source column read by several terms goes to a separate "pass" group per reading, so that every
  // group reads each source column at most once (a slice or a plain gather, never the slow repeated-index
  // gather); the number of passes is the fan-out of a signal, not the number of ensembles.
  const uses = new Map<string, number>();
  const pass = (vec: number, cols: ArrayLike<number>): number => {
    let p = 0;
    for (let i = 0; i < cols.length; i++) p = Math.max(p, uses.get(`${vec}:${cols[i]}`) ?? 0);
    for (let i = 0; i < cols.length; i++) uses.set(`${vec}:${cols[i]}`, p + 1);
    return p;
  };
  const isStatic = (s: Signal): boolean => !cm.loc.has(s);
  let bigBlocks = 0;
  for (const s of sigs) {
    const o = (cm.loc.get(s) as Loc).off;
    for (const t of cm.terms.get(s) ?? []) {
      if (t.type === "const") {
        if (t.value !== 0) {
          for (let i = 0; i < s.size; i++) st.constC[o + i] += t.value;
          st.hasC = true;
        }
        continue;
      }
      const x = t.type === "copy" ? t.src : t.X;
      if (isStatic(x)) {
        st.staticTerms.push({ off: o, size: s.size, term: t });
        st.hasC = true;
        continue;
      }
      const xl = cm.loc.get(x) as Loc;
      if (t.type === "copy") {
        const cnt = t.srcIdx ? t.srcIdx.length : x.size;
        const cols = Array.from({ length: cnt }, (_, i) => xl.off + (t.srcIdx ? t.srcIdx[i] : i));
        const a = acc(`d${xl.vec}#${pass(xl.vec, cols)}`, true, xl.vec, 1, 1);
        for (let i = 0; i < cnt; i++) {
          a.srcIdx.push(cols[i]);
          a.dstIdx.push(o + (t.dstIdx ? t.dstIdx[i] : i));
        }
        a.G += cnt;
        pushConst(a, new Float32Array(cnt).fill(1));
      } else if (t.type === "ew" || (t.A.size === 1 && s.size === 1)) {
        // elementwise (or a 1x1 transform): one weight per output entry
        const A = t.A;
        const ny = s.size;
        const cols = x.size === 1 ? [xl.off] : Array.from({ length: ny }, (_, i) => xl.off + i);
        const a = acc(`d${xl.vec}#${pass(xl.vec, cols)}`, true, xl.vec, 1, 1);
        for (let i = 0; i < ny; i++) {
          a.srcIdx.push(xl.off + (x.size === 1 ? 0 : i));
          a.dstIdx.push(o + i);
        }
        a.G += ny;
        if (cm.trainable.has(A)) a.pieces.push({ type: "param", param: A, size: ny });
        else {
          const v = A.initial;
          pushConst(
            a,
            Array.from({ length: ny }, (_, i) => v[v.length === 1 ? 0 : i]),
          );
        }
      } else {
        const A = t.A;
        const rowsA = A.shape[0];
        const colsA = A.shape.length > 1 ? A.shape[1] : A.size / rowsA;
        const cols = Array.from({ length: colsA }, (_, j) => xl.off + j);
        // a few big blocks get a group each: one 2-D matMul per block is far faster than a batched matMul on
        // wasm (beyond MAX_OWN_GROUPS per stage, the op count would grow with the model: batch them)
        const own = rowsA * colsA >= OWN_GROUP_BLOCK && bigBlocks < MAX_OWN_GROUPS ? `@${bigBlocks++}` : "";
        const a = acc(`b${xl.vec}:${rowsA}x${colsA}#${pass(xl.vec, cols)}${own}`, false, xl.vec, rowsA, colsA);
        for (let j = 0; j < colsA; j++) a.srcIdx.push(xl.off + j);
        for (let i = 0; i < rowsA; i++) a.dstIdx.push(o + i);
        a.G++;
        if (cm.trainable.has(A)) a.pieces.push({ type: "param", param: A, size: rowsA * colsA });
        else pushConst(a, A.initial);
      }
    }
  }
  for (const a of accs.values()) {
    const kind: GroupKind = a.diag
      ? "diag"
      : a.c === 1
        ? "outer"
        : a.r === 1
          ? "inner"
          : a.G === 1
            ? "matmul"
            : a.r * a.c <= 16
              ? "small"
              : "bmm";
    const pieces: WeightPiece[] = a.pieces.map((p) =>
      p.type === "const" ? { type: "const", values: Float32Array.from(p.values) } : p,
    );
    st.groups.push({
      kind,
      src: a.src,
      srcIdx: Int32Array.from(a.srcIdx),
      G: a.diag ? a.srcIdx.length : a.G,
      r: a.r,
      c: a.c,
      dstIdx: Int32Array.from(a.dstIdx),
      pieces,
      wSize: a.diag ? a.srcIdx.length : a.G * a.r * a.c,
      wIndex: -1,
    });
  }
  // groups writing exactly the same columns are summed before placing (e.g. two inputs of one ensemble)
  const byDst = new Map<string, StageGroup[]>();
  for (const g of st.groups) {
    const key = g.dstIdx.join(",");
    const l = byDst.get(key) ?? [];
    l.push(g);
    byDst.set(key, l);
  }
  st.groups = [...byDst.values()].flat();
  st.clusters = [...byDst.values()].map((l) => l.length);
  const dst: number[] = [];
  for (const l of byDst.values()) for (let i = 0; i < l[0].dstIdx.length; i++) dst.push(l[0].dstIdx[i]);
  st.dstAll = Int32Array.from(dst);
}

/** Dense blocks at least this big (r * c) form a group of their own (a "matmul"), not a batched one... */
const OWN_GROUP_BLOCK = 1024;
/** ...up to this many per stage. */
const MAX_OWN_GROUPS = 8;

/** Parameter values: trainable variables and constants, by signal. */
export class ParamStore {
  readonly vars = new Map<Signal, tf.Variable>();
  private readonly consts = new Map<Signal, tf.Tensor>();

  constructor(readonly trainable: Set<Signal>) {
    for (const s of trainable) {
      const shape = s.shape.length > 1 ? [s.shape[0], s.shape[1]] : [s.size];
      const init = tf.tensor(Float32Array.from(s.initial), shape);
      this.vars.set(s, tf.variable(init, true, `param_${s.id}_${s.name}`));
      init.dispose(); // the variable holds its own reference to the data
    }
  }

  /** The value of a static signal in its own shape ([n] or [rows, cols]). */
  value(s: Signal): tf.Tensor {
    const v = this.vars.get(s);
    if (v) return v;
    let c = this.consts.get(s);
    if (!c) {
      c = tf.keep(tf.tensor(Float32Array.from(s.initial), s.shape.length > 1 ? [s.shape[0], s.shape[1]] : [s.size]));
      this.consts.set(s, c);
    }
    return c;
  }

  /** Put the build-time values back into the variables. */
  resetTrainables(): void {
    for (const [s, v] of this.vars) {
      const t = tf.tensor(Float32Array.from(s.initial), v.shape);
      v.assign(t);
      t.dispose();
    }
  }

  /** Free all tensors. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    for (const c of this.consts.values()) c.dispose();
  }
}

/** Shape of a group's assembled weight tensor (see {@link groupForward}). */
function weightShape(g: StageGroup): number[] {
  switch (g.kind) {
    case "diag":
      return [1, g.G];
    case "outer":
      return [1, g.G, g.r];
    case "inner":
      return [1, g.G, g.c];
    case "small":
      return [1, g.G, g.r, g.c];
    case "matmul":
      return [g.c, g.r]; // transposed: matMul(x, W) without transposeB (XNNPACK's fast path on wasm)
    case "bmm":
      return [g.G, g.r, g.c];
  }
}

/** One group's contribution `[mb, G * r]` (diag: `[mb, entries]`) from its source vector `x`. */
function groupForward(g: StageGroup, x: tf.Tensor2D, A: tf.Tensor[], mb: number): tf.Tensor2D {
  const xs = takeCols(x, g.srcIdx);
  if (g.kind === "diag") return g.wIndex < 0 ? xs : (tf.mul(xs, A[g.wIndex]) as tf.Tensor2D);
  const W = A[g.wIndex];
  const { G, r, c } = g;
  switch (g.kind) {
    case "outer":
      // long blocks: a broadcast product; short ones a convolution (the product costs ~1 call per block on wasm)
      if (r >= OUTER_MUL_R) return tf.reshape(tf.mul(W, tf.reshape(xs, [mb, G, 1])), [mb, G * r]);
      return outerConv(xs, W, G, r, null);
    case "inner":
      return tf.sum(tf.mul(tf.reshape(xs, [mb, G, c]), W), 2) as tf.Tensor2D;
    case "small":
      return tf.reshape(tf.sum(tf.mul(tf.reshape(xs, [mb, G, 1, c]), W), 3), [mb, G * r]);
    case "matmul":
      return tf.matMul(xs, W as tf.Tensor2D);
    case "bmm": {
      const xb = tf.transpose(tf.reshape(xs, [mb, G, c]), [1, 0, 2]) as tf.Tensor3D;
      const y = tf.matMul(xb, W as tf.Tensor3D, false, true); // [G, mb, r]
      return tf.reshape(tf.transpose(y, [1, 0, 2]), [mb, G * r]);
    }
  }
}

/** The stage vector `[mb, size]` from its inputs (no gradient bookkeeping: see {@link stageForward}). */
function stageValue(st: LinearStage, vals: (tf.Tensor2D | undefined)[], A: tf.Tensor[], mb: number): tf.Tensor2D {
  if (isBiasedOuter(st)) {
    // encoders of one-dimensional ensembles plus biases (the J stage of an EnsembleArray): one convolution
    const g = st.groups[0];
    return outerConv(takeCols(vals[g.src] as tf.Tensor2D, g.srcIdx), A[g.wIndex], g.G, g.r, A[st.cIndex]);
  }
  const outs: tf.Tensor2D[] = [];
  let gi = 0;
  for (const n of st.clusters) {
    let y: tf.Tensor2D | null = null;
    for (let k = 0; k < n; k++, gi++) {
      const g = st.groups[gi];
      const p = groupForward(g, vals[g.src] as tf.Tensor2D, A, mb);
      y = y ? (tf.add(y, p) as tf.Tensor2D) : p;
    }
    outs.push(y as tf.Tensor2D);
  }
  let v: tf.Tensor2D | null = null;
  if (outs.length > 0) v = placeCols(outs.length === 1 ? outs[0] : tf.concat(outs, 1), st.dstAll, st.size);
  if (st.cIndex >= 0) return v ? (tf.add(v, A[st.cIndex]) as tf.Tensor2D) : bcast(A[st.cIndex], mb);
  return v ?? tf.zeros([mb, st.size]);
}

/** Outer-product blocks at least this long use a broadcast product, shorter ones a depthwise convolution. */
const OUTER_MUL_R = 256;

/**
 * Outer products `[mb, G] x [1, G, r] -> [mb, G * r]` (plus a 1-D bias) as a depthwise 1x1 convolution with
 * r outputs per input channel: one XNNPACK grouped GEMM.
 */
function outerConv(x: tf.Tensor2D, W: tf.Tensor, G: number, r: number, bias: tf.Tensor | null): tf.Tensor2D {
  const mb = x.shape[0];
  const y = tf.fused.depthwiseConv2d({
    x: tf.reshape(x, [mb, 1, 1, G]) as tf.Tensor4D,
    filter: tf.reshape(W, [1, 1, G, r]) as tf.Tensor4D,
    strides: 1,
    pad: "valid",
    bias: bias ?? undefined,
  });
  return tf.reshape(y, [mb, G * r]);
}

/** The stage is one outer-product group writing every column, plus the constant row (see {@link stageValue}). */
function isBiasedOuter(st: LinearStage): boolean {
  const g = st.groups[0];
  return (
    st.cIndex >= 0 &&
    st.groups.length === 1 &&
    g.kind === "outer" &&
    g.G * g.r === st.size &&
    isRange(g.dstIdx) &&
    g.dstIdx[0] === 0
  );
}

/** Batched blocks at least this big (r * c) use tf's matMul; the stage kernel does the smaller ones. */
const TF_BLOCK = 1024;

/**
 * True when the tf-op version of the stage needs a gather (a source or destination that is not a column
 * range): there the stage kernel is faster (wasm's GatherV2 costs ~50 ns per element, a JS loop a few);
 * elsewhere tf's (SIMD) broadcast products and reductions are.
 */
function needsGather(st: LinearStage): boolean {
  if (st.gathers === undefined) {
    st.gathers = !isRange(st.dstAll) || st.groups.some((g) => !isRange(g.srcIdx));
  }
  return st.gathers;
}

/** The stage's kernel plan (made once). */
function kernelPlan(st: LinearStage): KernelPlan {
  if (st.kplan) return st.kplan;
  // matmul weights are stored transposed (see weightShape): always tf's matMul
  const viaTf = (g: StageGroup): boolean => g.kind === "matmul" || (g.kind === "bmm" && g.r * g.c >= TF_BLOCK);
  const own = st.groups.filter((g) => !viaTf(g));
  const tfGroups = st.groups.filter(viaTf);
  const srcs = [...new Set(own.map((g) => g.src))];
  const wIdx: number[] = [];
  const items: KernelItem[] = [];
  for (const g of own) {
    let w = -1;
    if (g.wIndex >= 0) {
      w = srcs.length + wIdx.length;
      wIdx.push(g.wIndex);
    }
    const diag = g.kind === "diag";
    items.push({
      x: srcs.indexOf(g.src),
      w,
      G: g.G,
      r: diag ? 1 : g.r,
      c: diag ? 1 : g.c,
      src: g.srcIdx,
      dst: g.dstIdx,
    });
  }
  tfGroups.forEach((g, i) => {
    const n = g.G * g.r;
    const src = Int32Array.from({ length: n }, (_, k) => k);
    items.push({ x: srcs.length + wIdx.length + i, w: -1, G: n, r: 1, c: 1, src, dst: g.dstIdx });
  });
  st.kplan = { srcs, wIdx, tfGroups, items };
  return st.kplan;
}

/**
 * The stage vector computed by one JS kernel (wasm, cpu): the constant row, then every group's product
 * accumulated in place at its columns (float64 sums per block row). Big matMul blocks are tf products
 * placed by the kernel. No gradient of its own (see {@link stageForward}).
 */
function stageKernelValue(st: LinearStage, vals: (tf.Tensor2D | undefined)[], A: tf.Tensor[], mb: number): tf.Tensor2D {
  const kp = kernelPlan(st);
  const inputs: tf.Tensor[] = [];
  for (const v of kp.srcs) inputs.push(vals[v] as tf.Tensor2D);
  for (const i of kp.wIdx) inputs.push(A[i]);
  for (const g of kp.tfGroups) inputs.push(groupForward(g, vals[g.src] as tf.Tensor2D, A, mb));
  const hasC = st.cIndex >= 0;
  if (hasC) inputs.push(A[st.cIndex]);
  const S = st.size;
  if (inputs.length === 0 || S === 0 || mb === 0) return tf.zeros([mb, S]);
  return runJsKernel(inputs, [mb, S], (ins, out) => {
    if (hasC) {
      const c = ins[ins.length - 1];
      for (let b = 0; b < mb; b++) out.set(c, b * S);
    } else out.fill(0);
    for (const it of kp.items) {
      const x = ins[it.x];
      const w = it.w >= 0 ? ins[it.w] : null;
      if (it.r === 1 && it.c === 1) accDiag(it, x, w, out, S, mb);
      else if (it.c === 1) accOuter(it, x, w as Float32Array, out, S, mb);
      else accBlock(it, x, w as Float32Array, out, S, mb);
    }
  }) as tf.Tensor2D;
}

/** `out[b, dst[i]] += w[i] * x[b, src[i]]` (w null: unit weights). */
function accDiag(
  it: KernelItem,
  x: Float32Array,
  w: Float32Array | null,
  out: Float32Array,
  S: number,
  mb: number,
): void {
  const { src, dst } = it;
  const n = it.G;
  const xw = x.length / mb;
  for (let b = 0, xb = 0, ob = 0; b < mb; b++, xb += xw, ob += S) {
    if (w === null) for (let i = 0; i < n; i++) out[ob + dst[i]] += x[xb + src[i]];
    else for (let i = 0; i < n; i++) out[ob + dst[i]] += w[i] * x[xb + src[i]];
  }
}

/** Blocks [r, 1]: `out[b, dst[g r + k]] += W[g, k] * x[b, src[g]]`. */
function accOuter(it: KernelItem, x: Float32Array, w: Float32Array, out: Float32Array, S: number, mb: number): void {
  const { src, dst, G, r } = it;
  const xw = x.length / mb;
  for (let b = 0, xb = 0, ob = 0; b < mb; b++, xb += xw, ob += S) {
    for (let g = 0, o = 0; g < G; g++) {
      const v = x[xb + src[g]];
      for (let k = 0; k < r; k++, o++) out[ob + dst[o]] += w[o] * v;
    }
  }
}

/** Blocks [r, c]: `out[b, dst[g r + i]] += sum_k W[g, i, k] * x[b, src[g c + k]]`. */
function accBlock(it: KernelItem, x: Float32Array, w: Float32Array, out: Float32Array, S: number, mb: number): void {
  const { src, dst, G, r, c } = it;
  const xw = x.length / mb;
  for (let b = 0, xb = 0, ob = 0; b < mb; b++, xb += xw, ob += S) {
    for (let g = 0, o = 0; g < G; g++) {
      const sb = g * c;
      for (let i = 0; i < r; i++, o++) {
        let s = 0;
        const wb = o * c;
        for (let k = 0; k < c; k++) s += w[wb + k] * x[xb + src[sb + k]];
        out[ob + dst[o]] += s;
      }
    }
  }
}

/** Vector-Jacobian product of one group: `[d xs, d W]` from `dy` (the group's output gradient). */
function groupBackward(
  g: StageGroup,
  xs: tf.Tensor2D,
  W: tf.Tensor | null,
  dy: tf.Tensor2D,
  mb: number,
): [tf.Tensor2D, tf.Tensor | null] {
  if (g.kind === "diag") {
    if (W === null) return [dy, null];
    return [tf.mul(dy, W) as tf.Tensor2D, sumRows(tf.mul(dy, xs))];
  }
  const Wt = W as tf.Tensor;
  const { G, r, c } = g;
  switch (g.kind) {
    case "outer": {
      const d3 = tf.reshape(dy, [mb, G, r]);
      return [tf.sum(tf.mul(d3, Wt), 2) as tf.Tensor2D, sumRows(tf.mul(d3, tf.reshape(xs, [mb, G, 1])))];
    }
    case "inner": {
      const d3 = tf.reshape(dy, [mb, G, 1]);
      return [tf.reshape(tf.mul(d3, Wt), [mb, G * c]) as tf.Tensor2D, sumRows(tf.mul(d3, tf.reshape(xs, [mb, G, c])))];
    }
    case "small": {
      const d4 = tf.reshape(dy, [mb, G, r, 1]);
      return [
        tf.reshape(tf.sum(tf.mul(d4, Wt), 2), [mb, G * c]) as tf.Tensor2D,
        sumRows(tf.mul(d4, tf.reshape(xs, [mb, G, 1, c]))),
      ];
    }
    case "matmul": // Wt is [c, r]
      return [tf.matMul(dy, Wt as tf.Tensor2D, false, true), tf.matMul(xs, dy, true, false)];
    case "bmm": {
      const db = tf.transpose(tf.reshape(dy, [mb, G, r]), [1, 0, 2]) as tf.Tensor3D; // [G, mb, r]
      const xb = tf.transpose(tf.reshape(xs, [mb, G, c]), [1, 0, 2]) as tf.Tensor3D; // [G, mb, c]
      const dx = tf.matMul(db, Wt as tf.Tensor3D); // [G, mb, c]
      return [tf.reshape(tf.transpose(dx, [1, 0, 2]), [mb, G * c]) as tf.Tensor2D, tf.matMul(db, xb, true, false)];
    }
  }
}

/**
 * The stage vector `[mb, size]`: the summed group outputs placed at their columns, plus the constant part.
 * One `tf.customGrad` node with a hand-written adjoint, so a gradient tape keeps only the stage's inputs
 * (source vectors and weights), not the neuron-sized intermediates of every group.
 */
function stageForward(
  st: LinearStage,
  vals: (tf.Tensor2D | undefined)[],
  A: tf.Tensor[],
  mb: number,
  training: boolean,
): tf.Tensor2D {
  const kernel = hasJsKernels() && needsGather(st);
  // plain copies (passthrough nodes) are slices or no-ops: their own gradients are already cheap
  if (st.cIndex < 0 && st.groups.every((g) => g.wIndex < 0))
    return kernel && !training ? stageKernelValue(st, vals, A, mb) : stageValue(st, vals, A, mb);
  const srcs = [...new Set(st.groups.map((g) => g.src))];
  const wIdx = st.groups.filter((g) => g.wIndex >= 0).map((g) => g.wIndex);
  const cIdx = st.cIndex >= 0 ? [st.cIndex] : [];
  const inputs: tf.Tensor[] = [
    ...srcs.map((v) => vals[v] as tf.Tensor2D),
    ...wIdx.map((i) => A[i]),
    ...cIdx.map((i) => A[i]),
  ];
  const nS = srcs.length;
  const nW = wIdx.length;
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xs = args.slice(0, -1) as tf.Tensor[];
    const v2: (tf.Tensor2D | undefined)[] = vals.slice();
    srcs.forEach((v, i) => (v2[v] = xs[i] as tf.Tensor2D));
    const A2 = A.slice();
    wIdx.forEach((wi, i) => (A2[wi] = xs[nS + i]));
    if (st.cIndex >= 0) A2[st.cIndex] = xs[nS + nW];
    let value = kernel ? stageKernelValue(st, v2, A2, mb) : stageValue(st, v2, A2, mb);
    // the node's output must be a new tensor (an input returned as is would receive its own gradient twice)
    if (xs.includes(value)) value = tf.clone(value);
    save(xs.slice(0, nS + nW));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const d = dy as tf.Tensor2D;
        const dSrc: (tf.Tensor2D | null)[] = srcs.map(() => null);
        const dW: tf.Tensor[] = [];
        const dyAll = takeCols(d, st.dstAll);
        let col = 0;
        let gi = 0;
        let wi = 0;
        for (const n of st.clusters) {
          const w = st.groups[gi].kind === "diag" ? st.groups[gi].dstIdx.length : st.groups[gi].G * st.groups[gi].r;
          const dyc = st.clusters.length === 1 ? dyAll : sliceCols(dyAll, col, w);
          col += w;
          for (let k = 0; k < n; k++, gi++) {
            const g = st.groups[gi];
            const si = srcs.indexOf(g.src);
            const x = saved[si] as tf.Tensor2D;
            const W = g.wIndex >= 0 ? saved[nS + wi] : null;
            const [dxs, dw] = groupBackward(g, takeCols(x, g.srcIdx), W, dyc, mb);
            if (dw !== null) {
              dW.push(tf.reshape(dw, (W as tf.Tensor).shape));
              wi++;
            }
            const dx = placeCols(dxs, g.srcIdx, x.shape[1]);
            dSrc[si] = dSrc[si] ? (tf.add(dSrc[si] as tf.Tensor2D, dx) as tf.Tensor2D) : dx;
          }
        }
        const out: tf.Tensor[] = srcs.map((v, i) => dSrc[i] ?? tf.zerosLike(saved[i]));
        out.push(...dW);
        if (st.cIndex >= 0) out.push(tf.reshape(sumRows(d), [st.size]));
        return out;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (...t: tf.Tensor[]) => tf.Tensor)(...inputs) as tf.Tensor2D;
}

/** Assemble the per-run tensors (stage matrices, constants, static values) from the parameters. */
export function assemble(cm: CompiledModel, params: ParamStore): tf.Tensor[] {
  const out: tf.Tensor[] = new Array(cm.nAssembled);
  const memo = new Map<Signal, tf.Tensor2D>();
  const staticRow = (s: Signal): tf.Tensor2D => {
    let v = memo.get(s);
    if (v) return v;
    if (cm.staticDerived.has(s)) {
      let acc: tf.Tensor2D = tf.zeros([1, s.size]);
      for (const t of cm.terms.get(s) ?? []) acc = tf.add(acc, staticTerm(t, s.size)) as tf.Tensor2D;
      v = acc;
    } else {
      v = tf.reshape(params.value(s), [1, s.size]) as tf.Tensor2D;
    }
    memo.set(s, v);
    return v;
  };
  const staticTerm = (t: Term, n: number): tf.Tensor2D => {
    switch (t.type) {
      case "const":
        return tf.fill([1, n], t.value) as tf.Tensor2D;
      case "copy": {
        let x = staticRow(t.src);
        if (t.srcIdx) x = takeCols(x, t.srcIdx);
        return t.dstIdx ? placeCols(x, t.dstIdx, n) : x;
      }
      case "ew": {
        const a = tf.reshape(params.value(t.A), [1, -1]);
        const r = tf.mul(a, staticRow(t.X)) as tf.Tensor2D;
        return r.shape[1] === n ? r : (tf.mul(r, tf.ones([1, n])) as tf.Tensor2D);
      }
      case "dot": {
        const A = t.A;
        const rowsA = A.shape[0];
        const A2 = tf.reshape(params.value(A), [rowsA, -1]) as tf.Tensor2D;
        return tf.matMul(staticRow(t.X), A2, false, true);
      }
    }
  };
  for (const st of cm.stages) {
    for (const g of st.groups) {
      if (g.wIndex < 0) continue;
      const parts = g.pieces.map((p): tf.Tensor1D => {
        if (p.type === "const") return tf.tensor1d(p.values);
        const flat = tf.reshape(params.value(p.param), [-1]) as tf.Tensor1D;
        return flat.shape[0] === p.size ? flat : (tf.mul(tf.ones([p.size]), flat) as tf.Tensor1D);
      });
      const w = parts.length === 1 ? parts[0] : tf.concat(parts);
      out[g.wIndex] = g.kind === "matmul" ? tf.transpose(tf.reshape(w, [g.r, g.c])) : tf.reshape(w, weightShape(g));
    }
    if (st.cIndex < 0) continue;
    // 1-D, computed by a kernel of its own: a fused convolution's bias must be stored 1-D (wasm checks the
    // shape of the data, which a reshape does not change)
    let c: tf.Tensor1D = tf.tensor1d(st.constC);
    if (st.staticTerms.length > 0) {
      const rows = st.staticTerms.map((t) => staticTerm(t.term, t.size));
      const idx: number[] = [];
      for (const t of st.staticTerms) for (let i = 0; i < t.size; i++) idx.push(t.off + i);
      const cat = rows.length === 1 ? rows[0] : (tf.concat(rows, 1) as tf.Tensor2D);
      c = tf.add(c, tf.reshape(placeCols(cat, idx, st.size), [st.size]));
    }
    out[st.cIndex] = c;
  }
  for (const g of cm.neuronGroups) {
    if (g.jStaticIndex >= 0)
      out[g.jStaticIndex] = tf.concat(
        g.ops.map((o) => staticRow(o.J)),
        1,
      );
  }
  const plans: GatherPlan[] = [
    ...cm.synapseGroups.map((g) => g.gather),
    ...cm.funcs.flatMap((f) => (f.x ? [f.x] : [])),
    cm.probePlan,
  ];
  for (const p of plans) if (p.staticIndex >= 0) out[p.staticIndex] = tf.concat(p.staticSignals.map(staticRow), 1);
  return out;
}

/** Broadcast a row ([1, n] or [n]) to [mb, n] (an add, whose gradient is one reduction; tile's is mb slices). */
function bcast(x: tf.Tensor, mb: number): tf.Tensor2D {
  return tf.add(tf.zeros([mb, x.shape[x.rank - 1]]), x) as tf.Tensor2D;
}

/** Per-step context. */
export interface StepContext {
  dt: number;
  mb: number;
  training: boolean;
  /** When set, every operator group of the step is recorded as a span (category "op"). */
  prof?: Profiler;
}

/** Collect `plan` from the vector values. */
function gather(plan: GatherPlan, vals: (tf.Tensor2D | undefined)[], A: tf.Tensor[], mb: number): tf.Tensor2D {
  const parts: tf.Tensor2D[] = plan.parts.map((p) => takeCols(vals[p.vec] as tf.Tensor2D, p.idx));
  if (plan.staticIndex >= 0) parts.push(bcast(A[plan.staticIndex], mb));
  if (parts.length === 0) return tf.zeros([mb, 0]);
  return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
}

/**
 * One simulation step. `state` is the flat state list; `input` the input-node values [mb, nIn]
 * (null when there are none); `t` the time of this step. Returns the new state and the probe vector.
 */
export function stepModel(
  cm: CompiledModel,
  A: tf.Tensor[],
  state: StateList,
  input: tf.Tensor2D | null,
  t: number,
  ctx: StepContext,
): { state: StateList; probes: tf.Tensor2D } {
  // Intermediates are freed at the end of every step (under a gradient tape, tfjs keeps its own copies of
  // what the backward pass needs), so a run or a forward pass keeps only states and probe rows.
  return tf.tidy(() => stepBody(cm, A, state, input, t, ctx));
}

function stepBody(
  cm: CompiledModel,
  A: tf.Tensor[],
  state: StateList,
  input: tf.Tensor2D | null,
  t: number,
  ctx: StepContext,
): { state: StateList; probes: tf.Tensor2D } {
  const mb = ctx.mb;
  const prof = ctx.prof;
  const vals: (tf.Tensor2D | undefined)[] = new Array(cm.vecSizes.length);
  if (input) vals[cm.inputVec] = input;
  for (const g of cm.synapseGroups) vals[g.prevVec] = state[g.stateIndex];
  const newState: StateList = state.slice();
  const stagesByLevel = new Map<number, LinearStage>();
  for (const st of cm.stages) stagesByLevel.set(st.level, st);
  for (let L = 1; L <= cm.maxLevel; L++) {
    const st = stagesByLevel.get(L);
    if (st) {
      prof?.begin(`linear L${L}`, "op", { size: st.size });
      const v = stageForward(st, vals, A, mb, ctx.training);
      vals[st.vec] = v;
      prof?.end();
    }
    for (const g of cm.neuronGroups) {
      if (g.level !== L) continue;
      prof?.begin(`neurons ${g.ops[0].neuronType.constructor.name}`, "op", { level: L, size: g.size });
      const J = g.jVec < 0 ? bcast(A[g.jStaticIndex], mb) : sliceCols(vals[g.jVec] as tf.Tensor2D, g.jOff, g.size);
      const states: Record<string, tf.Tensor2D> = {};
      g.stateKeys.forEach((k, i) => (states[k] = state[g.stateIndex + i]));
      const r = g.impl.step(J, states, ctx.dt, ctx.training);
      vals[g.outVec] = r.out;
      g.stateKeys.forEach((k, i) => {
        vals[g.stateVecs[i]] = r.states[k];
        newState[g.stateIndex + i] = r.states[k];
      });
      prof?.end();
    }
    for (const f of cm.funcs) {
      if (f.level !== L) continue;
      prof?.begin(`function ${f.op.name}`, "op", { level: L });
      vals[f.outVec] = runFunc(f, vals, A, t, mb);
      prof?.end();
    }
  }
  // synapse updates
  for (const g of cm.synapseGroups) {
    prof?.begin(`synapses ${g.kind}`, "op", { size: g.size });
    const u = gather(g.gather, vals, A, mb);
    const X = state.slice(g.stateIndex + 1, g.stateIndex + 1 + g.order);
    let y: tf.Tensor2D;
    let Xn: tf.Tensor2D[] = [];
    if (g.kind === "NoX") {
      y = tf.mul(u, g.D) as tf.Tensor2D;
    } else if (g.kind === "OneX") {
      const x = tf.add(tf.mul(X[0], g.A[0]), tf.mul(u, g.C[0] * g.B[0])) as tf.Tensor2D;
      Xn = [x];
      y = x;
    } else {
      const k = g.order;
      const general = g.kind === "General";
      let y0: tf.Tensor2D | null = null;
      if (general) {
        y0 = tf.mul(u, g.D) as tf.Tensor2D;
        for (let i = 0; i < k; i++) y0 = tf.add(y0, tf.mul(X[i], g.C[i])) as tf.Tensor2D;
      }
      for (let i = 0; i < k; i++) {
        let acc = tf.mul(u, g.B[i]) as tf.Tensor2D;
        for (let j = 0; j < k; j++)
          if (g.A[i * k + j] !== 0) acc = tf.add(acc, tf.mul(X[j], g.A[i * k + j])) as tf.Tensor2D;
        Xn.push(acc);
      }
      if (!general) {
        let acc = tf.mul(Xn[0], g.C[0]) as tf.Tensor2D;
        for (let i = 1; i < k; i++) acc = tf.add(acc, tf.mul(Xn[i], g.C[i])) as tf.Tensor2D;
        y = acc;
      } else y = y0 as tf.Tensor2D;
    }
    newState[g.stateIndex] = y;
    Xn.forEach((x, i) => (newState[g.stateIndex + 1 + i] = x));
    vals[g.newVec] = y;
    prof?.end();
  }
  prof?.begin("probes", "op");
  const probes = gather(cm.probePlan, vals, A, mb);
  prof?.end();
  return { state: newState, probes };
}

function runFunc(f: FuncStage, vals: (tf.Tensor2D | undefined)[], A: tf.Tensor[], t: number, mb: number): tf.Tensor2D {
  const op = f.op;
  const n = op.output ? op.output.size : 0;
  const out = new Float32Array(mb * n);
  const xs = f.x ? gather(f.x, vals, A, mb) : null;
  const xd = xs ? xs.dataSync() : null;
  const xsz = f.x ? f.x.size : 0;
  const buf = new Float64Array(n);
  for (let b = 0; b < mb; b++) {
    const x = xd ? Float64Array.from(xd.subarray(b * xsz, (b + 1) * xsz)) : new Float64Array(0);
    const r = op.fn(op.withTime ? t : 0, x);
    if (op.output) {
      writeFuncResult(r, buf, op.name);
      out.set(buf, b * n);
    }
  }
  if (f.outVec < 0) return tf.zeros([mb, 0]);
  return tf.tensor2d(out, [mb, n]);
}

/** Initial state as [mb, n] tensors. */
export function initialState(cm: CompiledModel, mb: number): StateList {
  return cm.stateInit.map((v) => tf.tile(tf.tensor2d(v, [1, v.length]), [mb, 1]) as tf.Tensor2D);
}
