/**
 * Turns the built model's operators into allocation-free step functions over one float64 arena.
 *
 * Every signal lives in one Float64Array (in a WebAssembly.Memory where possible, so the SIMD kernels of
 * src/kernels work on it in place). Operators are levelled and merged by `planOps`: independent
 * operators of the same kind become one step function that loops over a table of offsets into the arena
 * (all resets in one loop, all copies in one loop, all small products in one loop, all lowpass synapses
 * with the same coefficients in one loop, one neuron update per neuron type), so a step costs a few
 * dozen calls however many small operators the model has. Signals are laid out so that the operands of
 * merged operators are adjacent where possible, and adjacent runs merge into one.
 */
import { writeFuncResult } from "../builder/node.js";
import type { Model } from "../builder/model.js";
import { type Op, opSignals } from "../builder/ops.js";
import { planOps } from "../builder/plan.js";
import { Signal } from "../builder/signal.js";
import { wasmKernels, type WasmKernels } from "../kernels/index.js";
import type { NeuronRng } from "../neurons/base.js";
import { LIF } from "../neurons/lif.js";
import { RandomState } from "../rng/randomstate.js";
import { classifyStep } from "../synapses/index.js";
import { makeFilterStep } from "./filters.js";
import { addRuns, axpyRuns, gemvJs, lowpassRuns, mulAddRuns, rank1Js, spikeScatter } from "./kernels.js";

/**
 * Signal storage: one arena holding every signal (float64) and the tables of the merged operators
 * (int32), in a WebAssembly.Memory where possible. Lay it out with {@link SignalStore.place} and
 * {@link SignalStore.table}, then {@link SignalStore.allocate} it; signals are then views into it.
 */
export class SignalStore {
  /** The arena as float64 (signals first). */
  arena = new Float64Array(0);
  /** The arena as int32 (tables after the signals). */
  ints = new Int32Array(0);
  /** The WebAssembly.Memory behind the arena, or null when it is a plain ArrayBuffer. */
  memory: WebAssembly.Memory | null = null;
  readonly arrays = new Map<Signal, Float64Array>();
  private readonly offsets = new Map<Signal, number>();
  private readonly placed: Signal[] = [];
  private nSignal = 0;
  private readonly tables: ArrayLike<number>[] = [];
  private nInt = 0;
  private allocated = false;

  /** Give `signals` (in this order; repeats ignored) their places in the arena. */
  place(signals: Iterable<Signal>): void {
    if (this.allocated || this.tables.length > 0) throw new Error("signals are placed before tables and allocation");
    for (const s of signals) {
      if (this.offsets.has(s)) continue;
      this.offsets.set(s, this.nSignal);
      this.placed.push(s);
      this.nSignal += s.size;
    }
  }

  /** Reserve an int32 table with contents `data`; returns its index in `ints` (valid after allocate). */
  table(data: ArrayLike<number>): number {
    if (this.allocated) throw new Error("tables are added before allocation");
    const at = 2 * this.nSignal + this.nInt;
    this.tables.push(data);
    this.nInt += data.length;
    return at;
  }

  /**
   * Create the arena: signals initialised, tables written. With `wasm` it is a fixed-size
   * WebAssembly.Memory (never grown, so views stay attached); otherwise, or if that fails, an ArrayBuffer.
   */
  allocate(wasm = true): void {
    const bytes = this.nSignal * 8 + this.nInt * 4;
    let buffer: ArrayBuffer | null = null;
    this.memory = null;
    if (wasm && typeof WebAssembly === "object") {
      const pages = Math.max(1, Math.ceil(bytes / 65536));
      try {
        this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
        buffer = this.memory.buffer;
      } catch {
        this.memory = null; // too large, or no address space left: a plain buffer (JS loops) does the same
      }
    }
    buffer ??= new ArrayBuffer(bytes);
    this.arena = new Float64Array(buffer, 0, this.nSignal);
    this.ints = new Int32Array(buffer, 0, 2 * this.nSignal + this.nInt);
    for (const s of this.placed) {
      const off = this.offsets.get(s) as number;
      const view = this.arena.subarray(off, off + s.size);
      view.set(s.initial);
      this.arrays.set(s, view);
    }
    let at = 2 * this.nSignal;
    for (const t of this.tables) {
      this.ints.set(t, at);
      at += t.length;
    }
    this.tables.length = 0;
    this.allocated = true;
  }

  /** Element offset of a placed signal in `arena`. */
  offset(s: Signal): number {
    const o = this.offsets.get(s);
    if (o === undefined) throw new Error(`${String(s)} is not in the simulator's arena`);
    return o;
  }

  /** The array of a signal (a signal outside the arena gets its own array on first use). */
  get(s: Signal): Float64Array {
    let a = this.arrays.get(s);
    if (!a) {
      if (!this.allocated) throw new Error("signal arrays exist after allocation");
      a = Float64Array.from(s.initial);
      this.arrays.set(s, a);
    }
    return a;
  }

  /** Copy every signal's initial value back in. */
  reset(): void {
    for (const [s, a] of this.arrays) a.set(s.initial);
  }
}

/** The mutable simulation clock shared with step functions. */
export interface Clock {
  t: number;
}

/** Compiled steps: all of them run on the first step after a reset, only `everyStep` afterwards. */
export interface CompiledSteps {
  all: (() => void)[];
  everyStep: (() => void)[];
}

/** Options of {@link compileModel}. */
export interface CompileOptions {
  /** Use the WebAssembly SIMD kernels where available (default true; false: JS loops, same values). */
  simd?: boolean;
}

type OpOf<T extends Op["type"]> = Extract<Op, { type: T }>;

/** How a dotInc runs, from its shapes and inputs (see compileDots). */
type DotMode = "c1" | "c2" | "dense" | "spT" | "spL";

/** What the compiler knows about the model before laying it out. */
interface Plan {
  model: Model;
  store: SignalStore;
  clock: Clock;
  kernels: WasmKernels | null;
  /** Outputs of spiking neurons: mostly zero, so products over them skip zeros. */
  sparse: Set<Signal>;
  pesFactors: Map<Signal, PesFactors>;
  /** Transposed copies of weights multiplied by spiking outputs (fixed ones, and learned ones below). */
  transposed: Map<Op, Signal>;
  /** Learned weights kept transposed only (see planLearnedTransposed). */
  learnedT: Map<Signal, Signal>;
  /** Lowpass-like synapses (one state per channel): x = a x + b u. */
  oneX: Map<Op, { a: number; b: number }>;
}

function dotMode(p: Plan, op: OpOf<"dotInc">): DotMode {
  const cols = op.X.size;
  if (cols === 1) return "c1";
  const sp = p.sparse.has(op.X);
  if (cols === 2 && !sp) return "c2";
  if (sp) return op.A.readonly || p.learnedT.has(op.A) ? "spT" : "spL";
  return "dense";
}

/** Merge key of an operator (null: runs on its own). */
function opKey(p: Plan, op: Op): string | null {
  switch (op.type) {
    case "reset":
      return "reset";
    case "copy":
      if (op.inc && !op.srcIdx && !op.dstIdx && p.pesFactors.has(op.src)) return null;
      return op.inc ? "copy+" : "copy=";
    case "elementwiseInc":
      return "ewInc";
    case "dotInc":
      return `dotInc:${dotMode(p, op)}`;
    case "neurons":
      return `neurons:${op.neuronType.mergeKey}`;
    case "synapse": {
      const c = p.oneX.get(op);
      return c ? `lowpass:${c.a}:${c.b}` : null;
    }
    default:
      return null;
  }
}

export function compileModel(model: Model, store: SignalStore, clock: Clock, opts: CompileOptions = {}): CompiledSteps {
  const simd = opts.simd ?? true;
  const p: Plan = {
    model,
    store,
    clock,
    kernels: null,
    sparse: new Set(),
    pesFactors: planPesFactors(model.ops),
    transposed: new Map(),
    learnedT: new Map(),
    oneX: new Map(),
  };
  for (const op of model.ops) {
    if (op.type === "neurons" && op.neuronType.spiking) p.sparse.add(op.output);
    if (op.type === "synapse") {
      const ss = op.synapse.discretize(model.dt);
      if (classifyStep(ss) === "OneX") p.oneX.set(op, { a: ss.A.data[0], b: ss.C[0] * ss.B[0] });
    }
  }
  p.learnedT = planLearnedTransposed(model, p.sparse, p.pesFactors);
  for (const op of model.ops) {
    if (op.type === "dotInc" && p.learnedT.has(op.A)) p.transposed.set(op, p.learnedT.get(op.A) as Signal);
    else if (op.type === "dotInc" && dotMode(p, op) === "spT") {
      const rows = op.Y.size;
      const cols = op.X.size;
      const A = op.A.initial;
      const AT = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) AT[j * rows + i] = A[i * cols + j];
      p.transposed.set(op, new Signal(`${op.A.name}.T`, AT, { readonly: true }));
    }
  }
  const constant = constantOps(model.ops);
  const groups = planOps(model.ops, (op) => {
    const k = opKey(p, op);
    return k === null ? null : constant.has(op) ? `const ${k}` : k;
  });
  store.place(layout(p, groups));
  // tables first (they go into the arena), step functions once it exists
  const makers = groups.map((g) => compileGroup(p, g));
  store.allocate(simd);
  p.kernels = simd && store.memory ? wasmKernels(store.memory) : null;
  const all: (() => void)[] = [];
  const everyStep: (() => void)[] = [];
  groups.forEach((g, i) => {
    const make = makers[i];
    if (make === null) return;
    const f = make();
    all.push(f);
    if (!g.every((op) => constant.has(op))) everyStep.push(f);
  });
  return { all, everyStep };
}

/**
 * The order of signals in the arena: neuron inputs, outputs and states of each neuron type first (each
 * one contiguous block, as one neuron update needs), then the operands of every merged group by role
 * (so that e.g. the targets of all resets, or the inputs, outputs and states of all lowpass synapses, sit
 * side by side), then anything else (probed signals included).
 */
function layout(p: Plan, groups: readonly Op[][]): Signal[] {
  const order: Signal[] = [];
  const placed = new Set<Signal>();
  const place = (s: Signal | null | undefined): void => {
    if (s && !placed.has(s)) {
      placed.add(s);
      order.push(s);
    }
  };
  for (const g of groups) {
    if (g[0].type !== "neurons") continue;
    const ops = g as OpOf<"neurons">[];
    for (const o of ops) place(o.J);
    for (const o of ops) place(o.output);
    for (const key of Object.keys(ops[0].states)) for (const o of ops) place(o.states[key]);
  }
  const roles = (op: Op): (Signal | null | undefined)[] => {
    switch (op.type) {
      case "reset":
        return [op.dst];
      case "copy":
        return [op.dst, op.src];
      case "elementwiseInc":
      case "dotInc":
        return [op.Y, op.A, op.X, p.transposed.get(op)];
      case "synapse":
        return [op.input, op.output, op.state];
      case "pes": {
        const f = p.pesFactors.get(op.delta);
        return [op.preFiltered, op.error, f?.err, f?.pre];
      }
      default:
        return [];
    }
  };
  for (const g of groups) {
    const n = roles(g[0]).length;
    for (let r = 0; r < n; r++) for (const op of g) place(roles(op)[r]);
  }
  for (const op of p.model.ops) {
    const r = opSignals(op);
    for (const s of [...r.sets, ...r.incs, ...r.reads, ...r.updates]) place(s);
  }
  for (const bp of p.model.probes.values()) place(bp.signal);
  return order;
}

/**
 * A table of runs: each run is `width` numbers, the last its length; a run whose offsets continue the
 * previous run's (columns flagged in `contiguous`; the others must be equal) merges into it.
 */
class Runs {
  readonly data: number[] = [];
  /** Length of `data` after the last run that nothing may merge into. */
  private sealedAt = -1;
  constructor(
    readonly width: number,
    private readonly contiguous: readonly boolean[],
  ) {}

  push(...run: number[]): void {
    const w = this.width;
    const d = this.data;
    const n = d.length;
    if (n > 0 && n !== this.sealedAt) {
      const len = d[n - 1];
      let ok = true;
      for (let c = 0; c < w - 1 && ok; c++) {
        ok = this.contiguous[c] ? run[c] === d[n - w + c] + len : run[c] === d[n - w + c];
      }
      if (ok) {
        d[n - 1] += run[w - 1];
        return;
      }
    }
    for (const v of run) d.push(v);
  }

  /** Add a run that stays on its own. */
  pushAlone(...run: number[]): void {
    for (const v of run) this.data.push(v);
    this.sealedAt = this.data.length;
  }

  get count(): number {
    return this.data.length / this.width;
  }
}

/** Makes a step function once the arena exists. */
type StepMaker = () => () => void;

/**
 * The step of a merged group over the run table at `t` (an index into the arena's ints): the SIMD kernel
 * (given the table's byte address) when the plan has kernels, its JS twin otherwise.
 */
function tableStep(
  p: Plan,
  t: number,
  simd: (k: WasmKernels, tableByte: number) => void,
  js: (M: Float64Array, I: Int32Array, t: number) => void,
): StepMaker {
  return () => {
    const k = p.kernels;
    if (k) {
      const tb = t * 4;
      return () => simd(k, tb);
    }
    const M = p.store.arena;
    const I = p.store.ints;
    return () => js(M, I, t);
  };
}

/** The step of a group of merged operators (null: nothing to do). */
function compileGroup(p: Plan, g: Op[]): StepMaker | null {
  switch (g[0].type) {
    case "reset":
      return compileResets(p, g as OpOf<"reset">[]);
    case "copy":
      if (g.length === 1 && opKey(p, g[0]) === null) return compilePesUpdate(p, g[0] as OpOf<"copy">);
      return compileCopies(p, g as OpOf<"copy">[]);
    case "elementwiseInc":
      return compileElementwise(p, g as OpOf<"elementwiseInc">[]);
    case "dotInc":
      return compileDots(p, g as OpOf<"dotInc">[]);
    case "neurons":
      return () => compileNeurons(p, g as OpOf<"neurons">[]);
    case "synapse":
      return compileSynapses(p, g as OpOf<"synapse">[]);
    case "func":
      return () => compileFunc(p, g[0] as OpOf<"func">);
    case "pes":
      return () => compilePes(p, g[0] as OpOf<"pes">);
    case "probeRead":
      return null;
  }
}

/** Runs shorter than this are copied or filled element by element, longer ones by the typed-array builtins. */
const NATIVE_RUN = 16;

function compileResets(p: Plan, ops: OpOf<"reset">[]): StepMaker {
  // runs: offset, length, value; adjacent targets with the same value merge
  const offs: number[] = [];
  const lens: number[] = [];
  const vals: number[] = [];
  for (const op of ops) {
    const o = p.store.offset(op.dst);
    const n = vals.length - 1;
    if (n >= 0 && offs[n] + lens[n] === o && Object.is(vals[n], op.value)) {
      lens[n] += op.dst.size;
    } else {
      offs.push(o);
      lens.push(op.dst.size);
      vals.push(op.value);
    }
  }
  return () => {
    const M = p.store.arena;
    const t = Int32Array.from(offs);
    const l = Int32Array.from(lens);
    const v = Float64Array.from(vals);
    const n = t.length;
    return () => {
      for (let r = 0; r < n; r++) {
        const val = v[r];
        const k = t[r];
        const end = k + l[r];
        if (end - k >= NATIVE_RUN) M.fill(val, k, end);
        else for (let i = k; i < end; i++) M[i] = val;
      }
    };
  };
}

function compileCopies(p: Plan, ops: OpOf<"copy">[]): StepMaker {
  const st = p.store;
  const runs = new Runs(3, [true, true]);
  for (const op of ops) {
    const s = st.offset(op.src);
    const d = st.offset(op.dst);
    if (op.src === op.dst) {
      // element by element, in order (never merged into overlapping runs)
      const n = op.srcIdx ? op.srcIdx.length : op.src.size;
      for (let i = 0; i < n; i++) {
        runs.pushAlone(s + (op.srcIdx ? op.srcIdx[i] : i), d + (op.dstIdx ? op.dstIdx[i] : i), 1);
      }
    } else if (!op.srcIdx && !op.dstIdx) {
      runs.push(s, d, op.src.size);
    } else {
      const n = op.srcIdx ? op.srcIdx.length : op.src.size;
      for (let i = 0; i < n; i++) runs.push(s + (op.srcIdx ? op.srcIdx[i] : i), d + (op.dstIdx ? op.dstIdx[i] : i), 1);
    }
  }
  const n = runs.count;
  if (ops[0].inc) {
    return tableStep(
      p,
      st.table(runs.data),
      (k, tb) => k.addRuns(tb, n),
      (M, I, t) => addRuns(M, I, t, n),
    );
  }
  return () => {
    const M = st.arena;
    const t = Int32Array.from(runs.data);
    const len = t.length;
    return () => {
      for (let r = 0; r < len; r += 3) {
        const s = t[r];
        const d = t[r + 1];
        const m = t[r + 2];
        if (m >= NATIVE_RUN) M.copyWithin(d, s, s + m);
        else for (let i = 0; i < m; i++) M[d + i] = M[s + i];
      }
    };
  };
}

/** Y += A * X elementwise, A or X of size 1 broadcast (step 0). */
function compileElementwise(p: Plan, ops: OpOf<"elementwiseInc">[]): StepMaker {
  const st = p.store;
  const runs: number[] = [];
  for (const op of ops) {
    runs.push(
      st.offset(op.A),
      op.A.size === 1 ? 0 : 1,
      st.offset(op.X),
      op.X.size === 1 ? 0 : 1,
      st.offset(op.Y),
      op.Y.size,
    );
  }
  const n = ops.length;
  return tableStep(
    p,
    st.table(runs),
    (k, tb) => k.mulAddRuns(tb, n),
    (M, I, t) => mulAddRuns(M, I, t, n),
  );
}

function compileDots(p: Plan, ops: OpOf<"dotInc">[]): StepMaker {
  const st = p.store;
  const mode = dotMode(p, ops[0]);
  switch (mode) {
    case "c1": {
      // Y[i] += A[i] * x, skipped when x = 0
      const runs = new Runs(4, [true, false, true]);
      for (const op of ops) runs.push(st.offset(op.A), st.offset(op.X), st.offset(op.Y), op.Y.size);
      const n = runs.count;
      return tableStep(
        p,
        st.table(runs.data),
        (k, tb) => k.axpyRuns(tb, n),
        (M, I, t) => axpyRuns(M, I, t, n),
      );
    }
    case "c2": {
      // 2-D inputs (e.g. the products of CircularConvolution): Y[i] += A[i, 0] x0 + A[i, 1] x1
      const runs = ops.flatMap((op) => [st.offset(op.A), st.offset(op.X), st.offset(op.Y), op.Y.size]);
      return () => {
        const M = st.arena;
        const t = Int32Array.from(runs);
        const n = t.length;
        return () => {
          for (let r = 0; r < n; r += 4) {
            const x0 = M[t[r + 1]];
            const x1 = M[t[r + 1] + 1];
            for (let k = t[r], y = t[r + 2], end = y + t[r + 3]; y < end; y++, k += 2)
              M[y] += M[k] * x0 + M[k + 1] * x1;
          }
        };
      };
    }
    case "spT": {
      // spikes are mostly zero: for each spiking neuron, add its row of Aᵀ to every product it feeds
      const { table, nSeg } = spikeTable(
        ops.map((op) => ({
          x: st.offset(op.X),
          cols: op.X.size,
          at: st.offset(p.transposed.get(op) as Signal),
          y: st.offset(op.Y),
          rows: op.Y.size,
        })),
      );
      return tableStep(
        p,
        st.table(table),
        (k, tb) => k.spikeScatter(tb, nSeg),
        (M, I, t) => spikeScatter(M, I, t, nSeg),
      );
    }
    case "spL": {
      // learned weights change every step: read columns of A in place for the few spiking neurons
      const runs = ops.flatMap((op) => [st.offset(op.A), st.offset(op.X), st.offset(op.Y), op.Y.size, op.X.size]);
      return () => {
        const M = st.arena;
        const t = Int32Array.from(runs);
        const n = t.length;
        return () => {
          for (let r = 0; r < n; r += 5) {
            const x0 = t[r + 1];
            const y = t[r + 2];
            const rows = t[r + 3];
            const cols = t[r + 4];
            for (let j = 0; j < cols; j++) {
              const x = M[x0 + j];
              if (x === 0) continue;
              for (let i = 0, k = t[r] + j; i < rows; i++, k += cols) M[y + i] += M[k] * x;
            }
          }
        };
      };
    }
    case "dense": {
      const runs = ops.flatMap((op) => [st.offset(op.A), st.offset(op.X), st.offset(op.Y), op.Y.size, op.X.size]);
      return () => {
        const M = st.arena;
        const t = Int32Array.from(runs);
        const n = t.length;
        const k = p.kernels;
        if (k) {
          return () => {
            for (let r = 0; r < n; r += 5) k.gemvF64(t[r] * 8, t[r + 1] * 8, t[r + 2] * 8, t[r + 3], t[r + 4]);
          };
        }
        return () => {
          for (let r = 0; r < n; r += 5) gemvJs(M, t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4]);
        };
      };
    }
  }
}

/**
 * The table of {@link spikeScatter} for products Y += A X over spiking inputs X (A given transposed, at
 * `at`): one entry [Aᵀ row, y, rows] per input element and product, indexed by input element.
 */
function spikeTable(prods: { x: number; cols: number; at: number; y: number; rows: number }[]): {
  table: Int32Array;
  nSeg: number;
} {
  // segments: the input ranges, merged where they touch
  const ranges = prods.map((q) => [q.x, q.x + q.cols]).sort((a, b) => a[0] - b[0]);
  const segs: number[][] = [];
  for (const [lo, hi] of ranges) {
    const last = segs[segs.length - 1];
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else segs.push([lo, hi]);
  }
  // input element q of segment s has bound index base[s] + q - lo (hi - lo + 1 bounds per segment)
  const base: number[] = [];
  let nBounds = 0;
  for (const [lo, hi] of segs) {
    base.push(nBounds - lo);
    nBounds += hi - lo + 1;
  }
  const segOf = (x: number): number => {
    let a = 0;
    let b = segs.length - 1;
    while (a < b) {
      const c = (a + b + 1) >> 1;
      if (segs[c][0] <= x) a = c;
      else b = c - 1;
    }
    return a;
  };
  // count the entries of every input element, then place them (products in order) after the bounds
  const count = new Int32Array(nBounds);
  for (const q of prods) {
    const b = base[segOf(q.x)];
    for (let j = 0; j < q.cols; j++) count[b + q.x + j]++;
  }
  const header = 3 * segs.length;
  const table = new Int32Array(header + nBounds + 3 * prods.reduce((a, q) => a + q.cols, 0));
  const next = new Int32Array(nBounds);
  let e = header + nBounds;
  segs.forEach(([lo, hi], s) => {
    table.set([lo, hi, header + base[s] + lo], 3 * s);
    for (let k = base[s] + lo; k <= base[s] + hi; k++) {
      table[header + k] = e;
      next[k] = e;
      if (k < base[s] + hi) e += 3 * count[k];
    }
  });
  for (const q of prods) {
    const b = base[segOf(q.x)];
    for (let j = 0; j < q.cols; j++) {
      const k = b + q.x + j;
      table.set([q.at + j * q.rows, q.y, q.rows], next[k]);
      next[k] += 3;
    }
  }
  return { table, nSeg: segs.length };
}

function compileNeurons(p: Plan, ops: OpOf<"neurons">[]): () => void {
  const st = p.store;
  const first = ops[0];
  const dt = p.model.dt;
  const nt = first.neuronType;
  const rng = neuronRng(nt.needsRng, first.seed);
  // the layout puts each role of a neuron group in one block; check, and step op by op if not
  const keys = Object.keys(first.states);
  const roles = (o: OpOf<"neurons">): Signal[] => [o.J, o.output, ...keys.map((k) => o.states[k])];
  const contiguous = ops.every(
    (o, i) => i === 0 || roles(o).every((s, r) => st.offset(s) === st.offset(roles(ops[i - 1])[r]) + ops[i - 1].J.size),
  );
  if (!contiguous) {
    const steps = ops.map((o) => compileNeurons(p, [o]));
    return () => {
      for (let i = 0; i < steps.length; i++) steps[i]();
    };
  }
  const total = ops.reduce((a, o) => a + o.J.size, 0);
  const block = (s: Signal): Float64Array => st.arena.subarray(st.offset(s), st.offset(s) + total);
  const J = block(first.J);
  const out = block(first.output);
  const states: Record<string, Float64Array> = {};
  for (const key of keys) states[key] = block(first.states[key]);
  const k = p.kernels;
  if (k && Object.getPrototypeOf(nt) === LIF.prototype) {
    // Nengo's LIF step as WebAssembly SIMD (the same values as LIF.step)
    const lif = nt as LIF;
    const pJ = st.offset(first.J) * 8;
    const pV = st.offset(first.states.voltage) * 8;
    const pRT = st.offset(first.states.refractoryTime) * 8;
    const pO = st.offset(first.output) * 8;
    const fullStep = Math.expm1(-dt / lif.tauRc);
    const h = lif.amplitude / dt;
    const { tauRc, tauRef, minVoltage } = lif;
    return () => k.lifStepF64(pJ, pV, pRT, pO, total, dt, tauRc, fullStep, minVoltage, h, tauRef);
  }
  return () => nt.step(dt, J, out, states, rng);
}

function compileSynapses(p: Plan, ops: OpOf<"synapse">[]): StepMaker {
  const st = p.store;
  const c = p.oneX.get(ops[0]);
  if (!c) {
    const op = ops[0];
    return () => makeFilterStep(op.synapse, p.model.dt, st.get(op.input), st.get(op.output), st.get(op.state));
  }
  // one state per channel (lowpass): x = x a + b u, y = x (stepLinearFilter's "OneX")
  const { a, b } = c;
  const runs = new Runs(4, [true, true, true]);
  for (const op of ops) runs.push(st.offset(op.input), st.offset(op.output), st.offset(op.state), op.input.size);
  const n = runs.count;
  return tableStep(
    p,
    st.table(runs.data),
    (k, tb) => k.lowpassRuns(tb, n, a, b),
    (M, I, t) => lowpassRuns(M, I, t, n, a, b),
  );
}

function compileFunc(p: Plan, op: OpOf<"func">): () => void {
  const x = op.x ? p.store.get(op.x) : new Float64Array(0);
  const out = op.output ? p.store.get(op.output) : null;
  const fn = op.fn;
  const name = op.name;
  const clock = p.clock;
  if (op.withTime) {
    return () => {
      const r = fn(clock.t, x);
      if (out) writeFuncResult(r, out, name);
    };
  }
  return () => {
    const r = fn(0, x);
    if (out) writeFuncResult(r, out, name);
  };
}

function compilePes(p: Plan, op: OpOf<"pes">): () => void {
  const st = p.store;
  const pre = st.get(op.preFiltered);
  const err = st.get(op.error);
  const nPre = pre.length;
  const nErr = err.length;
  const alpha = (-op.learningRate * p.model.dt) / nPre;
  const factors = p.pesFactors.get(op.delta);
  if (factors) {
    const fe = st.get(factors.err);
    const fp = st.get(factors.pre);
    return () => {
      for (let i = 0; i < nErr; i++) fe[i] = alpha * err[i];
      fp.set(pre);
    };
  }
  const delta = st.get(op.delta);
  return () => {
    for (let i = 0; i < nErr; i++) {
      const e = alpha * err[i];
      const off = i * nPre;
      for (let j = 0; j < nPre; j++) delta[off + j] = e * pre[j];
    }
  };
}

/** weights += outer(alpha * error, preFiltered) from the PES factors, without materialising delta. */
function compilePesUpdate(p: Plan, op: OpOf<"copy">): StepMaker {
  const st = p.store;
  const f = p.pesFactors.get(op.src) as PesFactors;
  const w = st.offset(op.dst);
  const e = st.offset(f.err);
  const pre = st.offset(f.pre);
  const rows = f.err.size;
  const cols = f.pre.size;
  const wt = p.learnedT.get(op.dst);
  if (wt) {
    // transposed: Wᵀ[j, :] += pre[j] * (alpha * error), rows of silent neurons skipped
    const w2 = st.offset(wt);
    return () => {
      const k = p.kernels;
      if (k) return () => k.rank1F64(w2 * 8, pre * 8, e * 8, cols, rows);
      const M = st.arena;
      return () => rank1Js(M, w2, pre, e, cols, rows);
    };
  }
  return () => {
    const k = p.kernels;
    if (k) return () => k.rank1F64(w * 8, e * 8, pre * 8, rows, cols);
    const M = st.arena;
    return () => rank1Js(M, w, e, pre, rows, cols);
  };
}

/**
 * Operators whose results never change between steps: resets, copies and products that write signals
 * computed only from constants (constant node outputs, fixed weights, biases) and read nothing else —
 * e.g. the transforms of constant inputs. Their signals keep their values, so after the first step
 * following a reset these operators can be skipped (NengoDL simplifies such constant paths too).
 */
function constantOps(ops: readonly Op[]): Set<Op> {
  const writers = new Map<Signal, Op[]>();
  const updated = new Set<Signal>();
  for (const op of ops) {
    const r = opSignals(op);
    for (const s of [...r.sets, ...r.incs]) writers.set(s, [...(writers.get(s) ?? []), op]);
    for (const s of r.updates) updated.add(s);
  }
  const pure = (op: Op): boolean =>
    op.type === "reset" || op.type === "copy" || op.type === "elementwiseInc" || op.type === "dotInc";
  const constSig = new Set<Signal>();
  // a signal nothing writes keeps its initial value
  const isConst = (s: Signal): boolean => constSig.has(s) || (!writers.has(s) && !updated.has(s));
  for (let changed = true; changed;) {
    changed = false;
    for (const [s, ws] of writers) {
      if (constSig.has(s) || updated.has(s)) continue;
      if (ws.every((w) => pure(w) && opSignals(w).reads.every(isConst))) {
        constSig.add(s);
        changed = true;
      }
    }
  }
  const out = new Set<Op>();
  for (const op of ops) {
    const r = opSignals(op);
    const writes = [...r.sets, ...r.incs];
    if (pure(op) && writes.length > 0 && writes.every((s) => constSig.has(s))) out.add(op);
  }
  return out;
}

/** A seeded generator for stochastic neuron types (e.g. PoissonSpiking); undefined when not needed. */
function neuronRng(needed: boolean, seed: number): NeuronRng | undefined {
  return needed ? (new RandomState(seed) as unknown as NeuronRng) : undefined;
}

/** The two factors of a PES delta = outer(err, pre), kept instead of the full matrix. */
interface PesFactors {
  err: Signal;
  pre: Signal;
}

/**
 * Learned weights that only a PES update (through its factors) writes, only one product over spiking
 * inputs reads and no probe records are kept transposed ([pre neurons, post dims], in a signal of their
 * own): the product then adds one contiguous row per spiking neuron (as for fixed weights) and the update
 * one contiguous row per active neuron, skipping silent ones. The same values: each weight gets the same
 * products added, each output the same terms in the same order.
 */
function planLearnedTransposed(
  model: Model,
  sparse: ReadonlySet<Signal>,
  pesFactors: ReadonlyMap<Signal, PesFactors>,
): Map<Signal, Signal> {
  const uses = new Map<Signal, Op[]>();
  for (const op of model.ops) {
    const r = opSignals(op);
    for (const s of new Set([...r.sets, ...r.incs, ...r.reads, ...r.updates])) {
      const u = uses.get(s) ?? [];
      u.push(op);
      uses.set(s, u);
    }
  }
  const probed = new Set([...model.probes.values()].map((bp) => bp.signal));
  const out = new Map<Signal, Signal>();
  for (const op of model.ops) {
    if (op.type !== "dotInc" || op.A.readonly || !sparse.has(op.X) || probed.has(op.A)) continue;
    const u = uses.get(op.A) ?? [];
    const update = u.find((o) => o !== op);
    if (
      u.length !== 2 ||
      !update ||
      update.type !== "copy" ||
      !update.inc ||
      update.dst !== op.A ||
      update.srcIdx ||
      update.dstIdx ||
      !pesFactors.has(update.src)
    )
      continue;
    const rows = op.Y.size;
    const cols = op.X.size;
    const A = op.A.initial;
    const AT = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) AT[j * rows + i] = A[i * cols + j];
    out.set(op.A, new Signal(`${op.A.name}.T`, AT, { shape: [cols, rows] }));
  }
  return out;
}

/**
 * PES deltas read only by one `Copy(delta -> weights, inc)` are kept as their two factors (the scaled
 * error and the filtered activities, saved at the same point in the step as delta), and the copy does
 * the rank-1 update: the same values, one pass over the weights instead of three.
 */
function planPesFactors(ops: readonly Op[]): Map<Signal, PesFactors> {
  const readers = new Map<Signal, Op[]>();
  for (const op of ops) {
    for (const s of opSignals(op).reads) {
      const r = readers.get(s) ?? [];
      r.push(op);
      readers.set(s, r);
    }
  }
  const out = new Map<Signal, PesFactors>();
  for (const op of ops) {
    if (op.type !== "pes") continue;
    const r = readers.get(op.delta) ?? [];
    const only = r.length === 1 ? r[0] : null;
    if (only && only.type === "copy" && only.inc && !only.srcIdx && !only.dstIdx) {
      out.set(op.delta, {
        err: new Signal(`${op.delta.name}.errFactor`, op.error.size),
        pre: new Signal(`${op.delta.name}.preFactor`, op.preFiltered.size),
      });
    }
  }
  return out;
}
