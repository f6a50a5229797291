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
import { type TfNeuron, tfNeuron } from "./neurons.js";
import { placeCols, takeCols } from "./tensorops.js";
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

/** A block of the transposed stage matrix MT [nSrc, nDst] that depends on a trainable parameter. */
interface TensorBlock {
  /** Row (source) and column (destination) offsets. */
  r: number;
  c: number;
  /** Builds the [rows, cols] block from a parameter value. */
  make: (p: tf.Tensor) => tf.Tensor2D;
  param: Signal;
  rows: number;
  cols: number;
}

interface LinearStage {
  level: number;
  vec: number;
  size: number;
  /** Per source vector: constant part of MT and tensor blocks. */
  sources: { vec: number; nSrc: number; constMT: Float32Array | null; blocks: TensorBlock[]; aIndex: number }[];
  constC: Float32Array;
  /** Static terms added to c: signal offset + term (evaluated per run). */
  staticTerms: { off: number; size: number; term: Term }[];
  cIndex: number;
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
    cm.stages.push({ level: L, vec, size, sources: [], constC: new Float32Array(size), staticTerms: [], cIndex: -1 });
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
    for (const src of st.sources) src.aIndex = ai++;
    st.cIndex = ai++;
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

function buildStage(cm: CompiledModel, st: LinearStage, sigs: Signal[]): void {
  const srcMap = new Map<number, LinearStage["sources"][number]>();
  const source = (vec: number): LinearStage["sources"][number] => {
    let s = srcMap.get(vec);
    if (!s) {
      s = { vec, nSrc: cm.vecSizes[vec], constMT: null, blocks: [], aIndex: -1 };
      srcMap.set(vec, s);
      st.sources.push(s);
    }
    return s;
  };
  const isStatic = (s: Signal): boolean => !cm.loc.has(s);
  const constMT = (src: LinearStage["sources"][number]): Float32Array => {
    if (!src.constMT) src.constMT = new Float32Array(src.nSrc * st.size);
    return src.constMT;
  };
  for (const s of sigs) {
    const o = (cm.loc.get(s) as Loc).off;
    for (const t of cm.terms.get(s) ?? []) {
      if (t.type === "const") {
        if (t.value !== 0) for (let i = 0; i < s.size; i++) st.constC[o + i] += t.value;
        continue;
      }
      const x = t.type === "copy" ? t.src : t.X;
      if (isStatic(x)) {
        st.staticTerms.push({ off: o, size: s.size, term: t });
        continue;
      }
      const xl = cm.loc.get(x) as Loc;
      const src = source(xl.vec);
      const n = st.size;
      if (t.type === "copy") {
        const m = constMT(src);
        const cnt = t.srcIdx ? t.srcIdx.length : x.size;
        for (let i = 0; i < cnt; i++) {
          const r = xl.off + (t.srcIdx ? t.srcIdx[i] : i);
          const c = o + (t.dstIdx ? t.dstIdx[i] : i);
          m[r * n + c] += 1;
        }
      } else if (t.type === "ew") {
        const A = t.A;
        const trainable = cm.trainable.has(A);
        const ny = s.size;
        const xs = x.size;
        if (!trainable) {
          const m = constMT(src);
          const a = A.initial;
          for (let i = 0; i < ny; i++) m[(xl.off + (xs === 1 ? 0 : i)) * n + o + i] += a[a.length === 1 ? 0 : i];
        } else {
          const rows = xs === 1 ? 1 : ny;
          src.blocks.push({
            r: xl.off,
            c: o,
            rows,
            cols: ny,
            param: A,
            make: (p) => {
              const flat = tf.reshape(p, [-1]);
              if (xs === 1) return tf.mul(tf.ones([1, ny]), tf.reshape(flat, [1, -1])) as tf.Tensor2D;
              return tf.mul(tf.eye(ny), tf.reshape(flat, [1, -1])) as tf.Tensor2D;
            },
          });
        }
      } else {
        const A = t.A;
        const rowsA = A.shape[0];
        const colsA = A.shape.length > 1 ? A.shape[1] : A.size / rowsA;
        if (!cm.trainable.has(A)) {
          const m = constMT(src);
          const a = A.initial;
          for (let i = 0; i < rowsA; i++)
            for (let j = 0; j < colsA; j++) m[(xl.off + j) * n + o + i] += a[i * colsA + j];
        } else {
          src.blocks.push({
            r: xl.off,
            c: o,
            rows: colsA,
            cols: rowsA,
            param: A,
            make: (p) => tf.transpose(tf.reshape(p, [rowsA, colsA])) as tf.Tensor2D,
          });
        }
      }
    }
  }
}

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
    for (const src of st.sources) {
      let m: tf.Tensor2D | null = src.constMT ? tf.tensor2d(src.constMT, [src.nSrc, st.size]) : null;
      for (const b of src.blocks) {
        const blk = tf.pad(b.make(params.value(b.param)), [
          [b.r, src.nSrc - b.r - b.rows],
          [b.c, st.size - b.c - b.cols],
        ]) as tf.Tensor2D;
        m = m ? (tf.add(m, blk) as tf.Tensor2D) : blk;
      }
      out[src.aIndex] = m ?? tf.zeros([src.nSrc, st.size]);
    }
    let c: tf.Tensor2D = tf.tensor2d(st.constC, [1, st.size]);
    for (const t of st.staticTerms) {
      c = tf.add(
        c,
        tf.pad(staticTerm(t.term, t.size), [
          [0, 0],
          [t.off, st.size - t.off - t.size],
        ]),
      ) as tf.Tensor2D;
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

/** Broadcast a [1, n] row to [mb, n] (an add, whose gradient is one reduction; tile's is mb slices). */
function bcast(x: tf.Tensor, mb: number): tf.Tensor2D {
  return tf.add(tf.zeros([mb, x.shape[1] as number]), x) as tf.Tensor2D;
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
      let v: tf.Tensor2D | null = null;
      for (const src of st.sources) {
        const x = vals[src.vec] as tf.Tensor2D;
        const p = tf.matMul(x, A[src.aIndex] as tf.Tensor2D) as tf.Tensor2D;
        v = v ? (tf.add(v, p) as tf.Tensor2D) : p;
      }
      v = v ? (tf.add(v, A[st.cIndex]) as tf.Tensor2D) : bcast(A[st.cIndex], mb);
      vals[st.vec] = v;
      prof?.end();
    }
    for (const g of cm.neuronGroups) {
      if (g.level !== L) continue;
      prof?.begin(`neurons ${g.ops[0].neuronType.constructor.name}`, "op", { level: L, size: g.size });
      const J =
        g.jVec >= 0
          ? (tf.slice(vals[g.jVec] as tf.Tensor2D, [0, g.jOff], [-1, g.size]) as tf.Tensor2D)
          : bcast(A[g.jStaticIndex], mb);
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
