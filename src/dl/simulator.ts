/** The differentiable simulator (NengoDL 2.x `nengo_dl.Simulator`) on tfjs. */
import { totalmem } from "node:os";
import { toNested, type NestedArray } from "../arrays.js";
import { build } from "../builder/build.js";
import type { Model } from "../builder/model.js";
import { SimulatorClosed, ValidationError } from "../errors.js";
import type { Network } from "../model/network.js";
import { Node } from "../model/node.js";
import { Probe } from "../model/probe.js";
import { RandomState } from "../rng/randomstate.js";
import { createProgress } from "../utils/progress.js";
import { type BackendName, selectBackend, tf } from "./backend.js";
import {
  type CompiledModel,
  ParamStore,
  type StateList,
  assemble,
  compileModel,
  initialState,
  stepModel,
} from "./compile.js";
import { type Array3, type CheckedData, type DataInput, checkData } from "./data.js";
import { type Objective, mse } from "./objectives.js";
import { getLifSmoothing, trainableSignals } from "./settings.js";

/** Options of {@link Simulator.create}. */
export interface DLSimulatorOptions {
  /** Time step in seconds (default 0.001). */
  dt?: number;
  /** Seed overriding the network seed. */
  seed?: number;
  /** Number of inputs simulated in parallel (default 1). */
  minibatchSize?: number;
  /** tfjs backend: "wasm" (default), "cpu", or "tensorflow" when @tensorflow/tfjs-node is installed. */
  backend?: BackendName;
  /** Show progress bars (default: only when stdout is a TTY). */
  progressBar?: boolean;
  /** Steps per recomputation segment in training (memory grows with this; default chosen from the model size). */
  segmentLength?: number;
}

/** Data for runSteps/train/loss: input Nodes and target Probes to `[batch][nSteps][size]` arrays. */
export type DataMap = Map<Node | Probe, DataInput>;

/** Objectives: a probe (or an array of probes) to an objective function, or null (data is the output gradient). */
export type ObjectiveMap = Map<Probe | Probe[], Objective | null>;

/** Options of {@link Simulator.train}. */
export interface TrainOptions {
  /** Inputs and targets, or a number of steps when no data is needed. */
  data: DataMap | number;
  /** A tfjs optimizer (e.g. `tf.train.adam(0.01)`). */
  optimizer: tf.Optimizer;
  /** Passes over the data (default 1). */
  nEpochs?: number;
  /** Default: mse on every probe in `data`. */
  objective?: ObjectiveMap;
  /** Backpropagation-through-time window length (default: the whole sequence). */
  truncation?: number;
  /** Shuffle the inputs each epoch with the simulator's RNG (default true). */
  shuffle?: boolean;
}

/** Options of {@link Simulator.loss}. */
export interface LossOptions {
  data: DataMap | number;
  objective?: ObjectiveMap;
}

/** `sim.data`: probe data `[minibatch][nSteps][size]`. */
export interface DLSimData {
  get(probe: Probe): number[][][];
}

interface ObjEntry {
  probes: Probe[];
  fn: Objective | null;
  arity: 1 | 2 | 0;
  array: boolean;
}

/** Wasm heap limit (bytes) used to reject runs that cannot fit. */
const WASM_LIMIT = 3.5 * 2 ** 30;

/** The differentiable simulator. Create with `await Simulator.create(net, opts)`. */
export class Simulator {
  /** The built model. */
  readonly model: Model;
  /** Time step. */
  readonly dt: number;
  /** Minibatch size. */
  readonly minibatchSize: number;
  /** The simulator's seed. */
  readonly seed: number;
  /** The tfjs backend in use. */
  readonly backend: string;
  /** Steps simulated since the last reset. */
  nSteps = 0;
  /** RandomState(seed), used for shuffling; re-created on reset. */
  rng: RandomState;
  private readonly cm: CompiledModel;
  private readonly params: ParamStore;
  private state: StateList;
  private probeChunks: { data: Float32Array; steps: number; start: number }[] = [];
  private closed = false;
  private readonly progressBar?: boolean;
  private readonly segmentLength?: number;
  private readonly inputNodeSet: Set<Node>;
  private readonly probeSet: Set<Probe>;

  private constructor(
    readonly network: Network,
    opts: DLSimulatorOptions,
    backend: string,
  ) {
    this.backend = backend;
    const mb = opts.minibatchSize ?? 1;
    if (!Number.isInteger(mb) || mb < 1)
      throw new ValidationError(`must be a positive integer, got ${String(mb)}`, "minibatchSize", "Simulator");
    this.minibatchSize = mb;
    this.model = build(network, { dt: opts.dt, seed: opts.seed });
    this.dt = this.model.dt;
    this.seed =
      opts.seed ??
      (network.seed !== undefined && network.seed !== null ? network.seed + 1 : Math.floor(Math.random() * 2 ** 31));
    this.rng = new RandomState(this.seed);
    this.progressBar = opts.progressBar;
    this.segmentLength = opts.segmentLength;
    const trainable = trainableSignals(network, this.model);
    this.cm = compileModel(this.model, { trainable, lifSmoothing: getLifSmoothing(network) });
    this.params = new ParamStore(trainable);
    this.state = tf.tidy(() => initialState(this.cm, mb));
    this.inputNodeSet = new Set(this.cm.inputNodes.map((n) => n.node));
    this.probeSet = new Set([...this.model.probes.keys()] as Probe[]);
  }

  /** Build `net` and prepare it for simulation and training on the selected tfjs backend. */
  static async create(net: Network, opts: DLSimulatorOptions = {}): Promise<Simulator> {
    const backend = await selectBackend(opts.backend ?? "wasm");
    return new Simulator(net, opts, backend);
  }

  /** Current simulation time (nSteps * dt). */
  get time(): number {
    return this.nSteps * this.dt;
  }

  private checkOpen(): void {
    if (this.closed) throw new SimulatorClosed("Simulator cannot run because it is closed.");
  }

  /** Trainable variables (by signal name), for inspection. */
  get trainableVariables(): tf.Variable[] {
    return [...this.params.vars.values()];
  }

  // ------------------------------------------------------------------ running

  /** Input-vector values [steps][mb * nIn] for a run starting at step `start` (time base `tStart`). */
  private makeInputs(inputs: Map<Node, Array3>, batchIdx: number[] | null, start: number, steps: number): Float32Array {
    const mb = this.minibatchSize;
    const nIn = this.cm.inputSize;
    const out = new Float32Array(steps * mb * nIn);
    if (nIn === 0) return out;
    for (const { node, off } of this.cm.inputNodes) {
      const d = node.sizeOut;
      const given = inputs.get(node);
      if (given) {
        const [, T] = given.shape;
        for (let b = 0; b < mb; b++) {
          const src = batchIdx ? batchIdx[b] : b;
          for (let i = 0; i < steps; i++) {
            const so = (src * T + start + i) * d;
            out.set(given.data.subarray(so, so + d), (i * mb + b) * nIn + off);
          }
        }
        continue;
      }
      for (let i = 0; i < steps; i++) {
        let v: ArrayLike<number>;
        if (node.constant) v = node.constant;
        else {
          const t = (this.inputTimeBase + start + i + 1) * this.dt;
          const r = (node.output as (t: number, x: Float64Array) => number | readonly number[])(t, new Float64Array(0));
          v = typeof r === "number" ? [r] : r;
          if (!v || v.length !== d)
            throw new ValidationError(`returned ${v ? v.length : String(v)} values, expected ${d}`, "output", node);
        }
        for (let b = 0; b < mb; b++) for (let k = 0; k < d; k++) out[(i * mb + b) * nIn + off + k] = v[k];
      }
    }
    return out;
  }

  /** Time offset of input-node functions (the simulator's nSteps during runs; 0 in train/loss windows). */
  private inputTimeBase = 0;

  /** Run `n` steps from `state` (no tape); returns the new state and probe values [n, mb, P]. */
  private forward(
    A: tf.Tensor[],
    state: StateList,
    inputs: Float32Array,
    stepOffset: number,
    timeStep0: number,
    n: number,
    training: boolean,
  ): { state: StateList; probes: tf.Tensor3D } {
    const mb = this.minibatchSize;
    const nIn = this.cm.inputSize;
    let s = state;
    const outs: tf.Tensor2D[] = [];
    const ctx = { dt: this.dt, mb, training };
    for (let i = 0; i < n; i++) {
      const k = stepOffset + i;
      const inp = nIn > 0 ? tf.tensor2d(inputs.subarray(k * mb * nIn, (k + 1) * mb * nIn), [mb, nIn]) : null;
      const r = stepModel(this.cm, A, s, inp, (timeStep0 + i + 1) * this.dt, ctx);
      s = r.state;
      outs.push(r.probes);
    }
    const probes = (outs.length > 0 ? tf.stack(outs) : tf.zeros([0, mb, this.cm.probePlan.size])) as tf.Tensor3D;
    return { state: s, probes };
  }

  /** Run `nSteps` steps; `data` feeds input nodes `[minibatchSize][nSteps][size]`. */
  async runSteps(nSteps: number, opts: { data?: DataMap } = {}): Promise<void> {
    this.checkOpen();
    if (!Number.isInteger(nSteps) || nSteps < 0) {
      throw new ValidationError(
        `must be a non-negative integer, got ${String(nSteps)}`,
        "nSteps",
        "Simulator.runSteps",
      );
    }
    let inputs = new Map<Node, Array3>();
    if (opts.data !== undefined) {
      const c = checkData(opts.data as Map<unknown, DataInput>, {
        inputNodes: this.inputNodeSet,
        probes: new Set(),
        minibatchSize: this.minibatchSize,
      });
      if (c.batch >= 0 && c.batch !== this.minibatchSize) {
        throw new ValidationError(
          `Input data must have batch size == sim.minibatchSize (${this.minibatchSize}), got ${c.batch}`,
          "data",
          "Simulator.runSteps",
        );
      }
      if (c.steps >= 0 && c.steps !== nSteps) {
        throw new ValidationError(
          `Number of timesteps in input data (${c.steps}) does not match requested number of steps (${nSteps})`,
          "data",
          "Simulator.runSteps",
        );
      }
      inputs = c.inputs;
    }
    this.inputTimeBase = this.nSteps;
    const inArr = this.makeInputs(inputs, null, 0, nSteps);
    this.inputTimeBase = 0;
    const bar = createProgress({ label: "Simulating", total: nSteps, enabled: this.progressBar && nSteps > 0 });
    const A = tf.tidy(() => assemble(this.cm, this.params));
    try {
      const seg = 100;
      for (let a = 0; a < nSteps; a += seg) {
        const k = Math.min(seg, nSteps - a);
        const start = this.nSteps;
        const r = tf.tidy(() => {
          const res = this.forward(A, this.state, inArr, a, start, k, false);
          return { state: res.state, probes: res.probes };
        });
        const data = r.probes.dataSync() as Float32Array;
        r.probes.dispose();
        this.replaceState(r.state);
        this.probeChunks.push({ data: Float32Array.from(data), steps: k, start });
        this.nSteps += k;
        bar.update(a + k);
      }
    } finally {
      tf.dispose(A);
      bar.stop();
    }
  }

  private replaceState(s: StateList): void {
    const keep = new Set(s);
    for (const t of this.state) if (!keep.has(t)) t.dispose();
    this.state = s;
  }

  /** Run for `timeInSeconds` (rounded to whole steps). */
  async run(timeInSeconds: number, opts: { data?: DataMap } = {}): Promise<void> {
    if (typeof timeInSeconds !== "number" || !Number.isFinite(timeInSeconds) || timeInSeconds < 0) {
      throw new ValidationError(
        `must be a non-negative number, got ${String(timeInSeconds)}`,
        "timeInSeconds",
        "Simulator.run",
      );
    }
    await this.runSteps(Math.round(timeInSeconds / this.dt), opts);
  }

  /** Advance one step. */
  async step(opts: { data?: DataMap } = {}): Promise<void> {
    await this.runSteps(1, opts);
  }

  /** Times of the recorded samples: dt * [1..nSteps]. */
  trange(): number[] {
    return Array.from({ length: this.nSteps }, (_, i) => (i + 1) * this.dt);
  }

  /** Back to time 0: state, probe data, RNG and the trainable parameters (training is reverted, as NengoDL). */
  reset(): void {
    this.checkOpen();
    this.replaceState(tf.tidy(() => initialState(this.cm, this.minibatchSize)));
    this.probeChunks = [];
    this.nSteps = 0;
    this.rng = new RandomState(this.seed);
    this.params.resetTrainables();
  }

  /** Clear recorded probe data (state and time are kept). */
  clearProbes(): void {
    this.probeChunks = [];
  }

  /** Release all tensors; later calls throw SimulatorClosed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    tf.dispose(this.state);
    this.params.dispose();
  }

  /** Probe data. */
  get data(): DLSimData {
    return {
      get: (obj: Probe) => {
        if (!(obj instanceof Probe))
          throw new ValidationError(`${String(obj)} is not a Probe of this simulator`, "data", "Simulator");
        const info = this.cm.probes.get(obj);
        if (!info) throw new ValidationError(`${String(obj)} is not in this simulator's network`, "data", "Simulator");
        return this.probeData(obj, info);
      },
    };
  }

  private probeData(_p: Probe, info: { off: number; size: number; shape: number[]; period: number }): number[][][] {
    const mb = this.minibatchSize;
    const P = this.cm.probePlan.size;
    const rows: Float32Array[][] = Array.from({ length: mb }, () => []);
    for (const ch of this.probeChunks) {
      for (let i = 0; i < ch.steps; i++) {
        const stepNo = ch.start + i + 1;
        if (info.period !== 1 && !(stepNo % info.period < 1)) continue;
        for (let b = 0; b < mb; b++) {
          const o = (i * mb + b) * P + info.off;
          rows[b].push(ch.data.subarray(o, o + info.size));
        }
      }
    }
    return rows.map((r) =>
      r.map((v) => toNested(Array.from(v), info.shape) as NestedArray as number[]),
    ) as number[][][];
  }

  // ------------------------------------------------------------------ training

  private parseObjective(objective: ObjectiveMap | undefined, data: DataMap | number): ObjEntry[] {
    if (objective === undefined) {
      if (typeof data === "number") {
        throw new ValidationError(
          "Must specify an explicit objective if no input data given",
          "objective",
          "Simulator",
        );
      }
      const probes = [...data.keys()].filter((k): k is Probe => k instanceof Probe);
      return probes.map((p) => ({ probes: [p], fn: mse as Objective, arity: 2, array: false }));
    }
    if (!(objective instanceof Map)) {
      throw new ValidationError("Must be a Map from Probes to objective functions", "objective", "Simulator");
    }
    const out: ObjEntry[] = [];
    for (const [k, fn] of objective) {
      const array = Array.isArray(k);
      const probes = array ? (k as Probe[]) : [k as Probe];
      for (const p of probes) {
        if (!(p instanceof Probe) || !this.probeSet.has(p)) {
          throw new ValidationError(
            `${String(p)} is not a Probe of this simulator's network`,
            "objective",
            "Simulator",
          );
        }
      }
      if (fn === null) {
        out.push({ probes, fn: null, arity: 0, array });
        continue;
      }
      if (typeof fn !== "function")
        throw new ValidationError("objective values must be functions or null", "objective", "Simulator");
      const n = fn.length;
      if (n !== 1 && n !== 2) {
        throw new ValidationError(
          `Output functions must accept 1 or 2 arguments; this one takes ${n}`,
          "objective",
          "Simulator",
        );
      }
      out.push({ probes, fn, arity: n as 1 | 2, array });
    }
    return out;
  }

  /** Validate train/loss arguments; returns the data, objective entries and the step count. */
  private prepare(
    data: DataMap | number,
    objective: ObjectiveMap | undefined,
  ): { c: CheckedData; entries: ObjEntry[]; steps: number; batch: number } {
    this.checkOpen();
    const entries = this.parseObjective(objective, data);
    let c: CheckedData;
    if (typeof data === "number") {
      if (!Number.isInteger(data) || data < 1)
        throw new ValidationError(`must be a positive integer number of steps, got ${data}`, "data", "Simulator");
      c = { inputs: new Map(), targets: new Map(), batch: this.minibatchSize, steps: data };
    } else {
      c = checkData(data as Map<unknown, DataInput>, {
        inputNodes: this.inputNodeSet,
        probes: this.probeSet,
        minibatchSize: this.minibatchSize,
      });
      if (c.batch < 0) {
        throw new ValidationError("data is empty; give input/target arrays or a number of steps", "data", "Simulator");
      }
    }
    const used = new Set<Probe>();
    for (const e of entries) {
      for (const p of e.probes) {
        used.add(p);
        if (e.arity !== 1 && !c.targets.has(p)) {
          throw new ValidationError(`${String(p)} is used in the objective but has no data`, "objective", "Simulator");
        }
      }
    }
    for (const p of c.targets.keys()) {
      if (!used.has(p)) {
        throw new ValidationError(
          `${String(p)} is not a valid target; this is probably because it is not used in the objective function`,
          "data",
          "Simulator",
        );
      }
    }
    return { c, entries, steps: c.steps, batch: c.batch };
  }

  /** Choose the recomputation segment length and reject runs that cannot fit in memory. */
  private planMemory(steps: number): number {
    const mb = this.minibatchSize;
    const stepBytes = mb * this.cm.totalVecSize * 4 * 8;
    let seg = this.segmentLength ?? Math.max(1, Math.min(steps, Math.floor(2 ** 28 / Math.max(1, stepBytes))));
    seg = Math.max(1, Math.min(seg, steps));
    const stateBytes = this.cm.stateInit.reduce((a, v) => a + v.length, 0) * mb * 4;
    const total = seg * stepBytes + Math.ceil(steps / seg) * stateBytes + 4 * mb * steps * this.cm.probePlan.size * 4;
    const limit = this.backend === "wasm" ? WASM_LIMIT : totalmem() * 0.7;
    if (total > limit) {
      throw new ValidationError(
        `training ${steps} steps with minibatch ${mb} needs about ${(total / 2 ** 30).toFixed(2)} GiB, more than the ${this.backend} backend can hold (${(limit / 2 ** 30).toFixed(2)} GiB); use truncation, a smaller minibatchSize or fewer steps`,
        "data",
        "Simulator.train",
      );
    }
    return seg;
  }

  /** Sum of the objectives on probe outputs P [mb, T, Ptot]; null objectives are skipped. */
  private objectiveValues(entries: ObjEntry[], P: tf.Tensor3D, targets: Map<Probe, tf.Tensor3D>): tf.Scalar[] {
    const outOf = (p: Probe): tf.Tensor3D => {
      const info = this.cm.probes.get(p) as { off: number; size: number };
      return tf.slice(P, [0, 0, info.off], [-1, -1, info.size]);
    };
    const vals: tf.Scalar[] = [];
    for (const e of entries) {
      if (e.fn === null) continue;
      const outs = e.probes.map(outOf);
      const tg = e.probes.map((p) => targets.get(p) as tf.Tensor3D);
      let r: tf.Tensor;
      if (e.array)
        r =
          e.arity === 1
            ? (e.fn as (o: tf.Tensor3D[]) => tf.Tensor)(outs)
            : (e.fn as (o: tf.Tensor3D[], t: tf.Tensor3D[]) => tf.Tensor)(outs, tg);
      else
        r =
          e.arity === 1
            ? (e.fn as (o: tf.Tensor3D) => tf.Tensor)(outs[0])
            : (e.fn as (o: tf.Tensor3D, t: tf.Tensor3D) => tf.Tensor)(outs[0], tg[0]);
      if (!(r instanceof tf.Tensor))
        throw new ValidationError("objective functions must return a tf.Tensor", "objective", "Simulator");
      vals.push(tf.sum(r) as tf.Scalar);
    }
    return vals;
  }

  /** Targets of one minibatch window as [mb, w, size] tensors. */
  private windowTargets(c: CheckedData, idx: number[], a: number, w: number): Map<Probe, tf.Tensor3D> {
    const out = new Map<Probe, tf.Tensor3D>();
    for (const [p, arr] of c.targets) {
      const [, T, d] = arr.shape;
      const buf = new Float32Array(idx.length * w * d);
      idx.forEach((src, b) => buf.set(arr.data.subarray((src * T + a) * d, (src * T + a + w) * d), b * w * d));
      out.set(p, tf.tensor3d(buf, [idx.length, w, d]));
    }
    return out;
  }

  /** One optimizer update on a window; returns the loss and the state at the window's end. */
  private trainWindow(
    inArr: Float32Array,
    a: number,
    w: number,
    state0: StateList,
    targets: Map<Probe, tf.Tensor3D>,
    entries: ObjEntry[],
    optimizer: tf.Optimizer,
    seg: number,
  ): { loss: number; state: StateList } {
    const engine = tf.engine();
    let loss = 0;
    const state = tf.tidy(() => {
      const A = assemble(this.cm, this.params);
      const bounds: StateList[] = [state0];
      const probeSegs: tf.Tensor3D[] = [];
      for (let s = 0; s < w; s += seg) {
        const k = Math.min(seg, w - s);
        const r = this.forward(A, bounds[bounds.length - 1], inArr, a + s, a + s, k, true);
        bounds.push(r.state);
        probeSegs.push(r.probes);
      }
      const P = tf.transpose(tf.concat(probeSegs, 0), [1, 0, 2]) as tf.Tensor3D; // [mb, w, Ptot]
      const hasFn = entries.some((e) => e.fn !== null);
      let dP: tf.Tensor3D = tf.zerosLike(P);
      if (hasFn) {
        const g = engine.gradients(
          () => {
            const vals = this.objectiveValues(entries, P, targets);
            return vals.length === 1 ? vals[0] : (tf.addN(vals) as tf.Scalar);
          },
          [P],
          undefined,
          true,
        );
        loss = (g.value.dataSync() as Float32Array)[0];
        if (g.grads[0]) dP = g.grads[0] as tf.Tensor3D;
      }
      for (const e of entries) {
        if (e.fn !== null) continue;
        for (const p of e.probes) {
          const info = this.cm.probes.get(p) as { off: number; size: number };
          const Ptot = this.cm.probePlan.size;
          const d = targets.get(p) as tf.Tensor3D;
          dP = tf.add(
            dP,
            tf.pad(d, [
              [0, 0],
              [0, 0],
              [info.off, Ptot - info.off - info.size],
            ]),
          ) as tf.Tensor3D;
        }
      }
      // backward through segments, recomputing each under the tape
      let dState: (tf.Tensor | undefined)[] = [];
      const dA: (tf.Tensor | undefined)[] = new Array(A.length);
      const nSeg = probeSegs.length;
      for (let si = nSeg - 1; si >= 0; si--) {
        const s = si * seg;
        const k = Math.min(seg, w - s);
        const dSeg = tf.transpose(tf.slice(dP, [0, s, 0], [-1, k, -1]), [1, 0, 2]);
        const sIn = bounds[si];
        const g = engine.gradients(
          () => {
            const r = this.forward(A, sIn, inArr, a + s, a + s, k, true);
            let tot = tf.sum(tf.mul(r.probes, dSeg));
            r.state.forEach((t, i) => {
              const ds = dState[i];
              if (ds) tot = tf.add(tot, tf.sum(tf.mul(t, ds)));
            });
            return tot as tf.Scalar;
          },
          [...sIn, ...A],
          undefined,
          true,
        );
        dState = g.grads.slice(0, sIn.length);
        g.grads.slice(sIn.length).forEach((gr, i) => {
          if (gr) dA[i] = dA[i] ? tf.add(dA[i] as tf.Tensor, gr) : gr;
        });
      }
      const vars = [...this.params.vars.values()];
      if (vars.length > 0 && dA.some((x) => x !== undefined)) {
        const g = engine.gradients(
          () => {
            const A2 = assemble(this.cm, this.params);
            let tot: tf.Tensor = tf.scalar(0);
            A2.forEach((t, i) => {
              const d = dA[i];
              if (d) tot = tf.add(tot, tf.sum(tf.mul(t, d)));
            });
            return tot as tf.Scalar;
          },
          vars,
          undefined,
          true,
        );
        const named: Record<string, tf.Tensor> = {};
        vars.forEach((v, i) => (named[v.name] = g.grads[i] ?? tf.zerosLike(v)));
        optimizer.applyGradients(named);
      }
      return bounds[bounds.length - 1];
    });
    return { loss, state };
  }

  /** Optimise the trainable parameters on `data` (NengoDL 2.x `sim.train`); state and nSteps are restored after. */
  async train(opts: TrainOptions): Promise<void> {
    this.checkOpen();
    if (typeof opts !== "object" || opts === null)
      throw new ValidationError("train takes an options object", "opts", "Simulator.train");
    const optimizer = opts.optimizer;
    if (!optimizer || typeof (optimizer as tf.Optimizer).applyGradients !== "function") {
      throw new ValidationError("must be a tfjs optimizer (e.g. tf.train.adam(0.01))", "optimizer", "Simulator.train");
    }
    const nEpochs = opts.nEpochs ?? 1;
    if (!Number.isInteger(nEpochs) || nEpochs < 1)
      throw new ValidationError(`must be a positive integer, got ${String(nEpochs)}`, "nEpochs", "Simulator.train");
    const { c, entries, steps, batch } = this.prepare(opts.data, opts.objective);
    const truncation = opts.truncation ?? steps;
    if (!Number.isInteger(truncation) || truncation < 1) {
      throw new ValidationError(
        `must be a positive integer, got ${String(truncation)}`,
        "truncation",
        "Simulator.train",
      );
    }
    const seg = this.planMemory(Math.min(truncation, steps));
    const mb = this.minibatchSize;
    if (batch % mb !== 0) {
      process.emitWarning(
        `Number of data elements (${batch}) is not an even multiple of minibatch size (${mb}); inputs will be truncated`,
      );
    }
    if (steps % truncation !== 0) {
      process.emitWarning(
        `Length of training data (${steps}) is not an even multiple of truncation length (${truncation}); this may result in poor training results`,
      );
    }
    if (this.params.vars.size === 0)
      throw new ValidationError("the network has no trainable parameters", "network", "Simulator.train");
    const nBatches = Math.floor(batch / mb);
    const nWindows = Math.ceil(steps / truncation);
    const bar = createProgress({ label: "Training", total: nEpochs * nBatches * nWindows, enabled: this.progressBar });
    try {
      for (let epoch = 0; epoch < nEpochs; epoch++) {
        const perm =
          (opts.shuffle ?? true) ? Array.from(this.rng.permutation(batch)) : Array.from({ length: batch }, (_, i) => i);
        for (let bi = 0; bi < nBatches; bi++) {
          const idx = perm.slice(bi * mb, (bi + 1) * mb);
          const inArr = this.makeInputs(c.inputs, idx, 0, steps);
          let st: StateList = tf.tidy(() => initialState(this.cm, mb));
          for (let a = 0; a < steps; a += truncation) {
            const w = Math.min(truncation, steps - a);
            const targets = this.windowTargets(c, idx, a, w);
            const r = this.trainWindow(inArr, a, w, st, targets, entries, optimizer, Math.min(seg, w));
            tf.dispose([...targets.values()]);
            tf.dispose(st.filter((t) => !r.state.includes(t)));
            st = r.state;
            bar.increment(1, { epoch: epoch + 1, loss: r.loss });
          }
          tf.dispose(st);
          await new Promise((res) => setImmediate(res));
        }
      }
    } finally {
      bar.stop();
    }
  }

  /** The objective on `data` in inference mode from a fresh state, averaged over minibatches and summed over objectives. */
  async loss(opts: LossOptions): Promise<number> {
    this.checkOpen();
    const { c, entries, steps, batch } = this.prepare(opts.data, opts.objective);
    if (entries.some((e) => e.fn === null)) {
      throw new ValidationError(
        "a null objective (direct output gradient) has no loss value",
        "objective",
        "Simulator.loss",
      );
    }
    const mb = this.minibatchSize;
    const nBatches = Math.floor(batch / mb);
    const sums = new Float64Array(entries.length);
    const A = tf.tidy(() => assemble(this.cm, this.params));
    try {
      for (let bi = 0; bi < nBatches; bi++) {
        const idx = Array.from({ length: mb }, (_, i) => bi * mb + i);
        const inArr = this.makeInputs(c.inputs, idx, 0, steps);
        const vals = tf.tidy(() => {
          const s0 = initialState(this.cm, mb);
          const r = this.forward(A, s0, inArr, 0, 0, steps, false);
          const P = tf.transpose(r.probes, [1, 0, 2]) as tf.Tensor3D;
          const targets = this.windowTargets(c, idx, 0, steps);
          return this.objectiveValues(entries, P, targets).map((v) => v.dataSync()[0]);
        });
        vals.forEach((v, i) => (sums[i] += v));
        await new Promise((res) => setImmediate(res));
      }
    } finally {
      tf.dispose(A);
    }
    let total = 0;
    for (const s of sums) total += s / nBatches;
    return total;
  }
}
