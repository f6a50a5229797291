/** The differentiable simulator (NengoDL 2.x `nengo_dl.Simulator`) on tfjs. */
import { totalmem } from "node:os";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { toNested, type NestedArray } from "../arrays.js";
import { build } from "../builder/build.js";
import type { BuiltConnection, BuiltEnsemble, Model } from "../builder/model.js";
import type { Signal } from "../builder/signal.js";
import { SimulatorClosed, ValidationError } from "../errors.js";
import { Connection } from "../model/connection.js";
import { Ensemble, Neurons } from "../model/ensemble.js";
import { Network } from "../model/network.js";
import { Node } from "../model/node.js";
import { Probe } from "../model/probe.js";
import { Direct } from "../neurons/index.js";
import { RandomState } from "../rng/randomstate.js";
import type { ConnectionData, EnsembleData } from "../simulator/data.js";
import { nextRunDir, SummaryWriter } from "../tensorboard/writer.js";
import { createProgress, type Progress } from "../utils/progress.js";
import { Profiler } from "../utils/trace.js";
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
import { type GradientComparison, type GradientTolerance, checkGradient, gradientTolerance } from "./gradcheck.js";
import {
  type FreezeChange,
  type FreezeTarget,
  type ParamSlot,
  allConnections,
  allEnsembles,
  freezeConnection,
  freezeEnsemble,
  liveConnectionData,
  liveEnsembleData,
  extractState,
  insertState,
  parameterSignals,
  paramSlots,
  readParams,
  stateSlots,
  writeParams,
} from "./params.js";
import { hasJsKernels, runJsKernel } from "./neurons.js";
import { sliceRows } from "./tensorops.js";
import { getLifSmoothing, trainableSignals } from "./settings.js";
import { type SummaryItem, TrainSummaries } from "./summaries.js";

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
  /**
   * Directory for TensorBoard event files: created if needed; each simulator writes into a new
   * `run_N` subdirectory (see docs/tensorboard.md). Default: none (summaries are ignored with a warning).
   */
  tensorboard?: string;
}

/** `profile` option: `true` writes `nengo_dl_profile.json` in the working directory, a string names the file. */
export type ProfileOption = boolean | string;

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
  /**
   * TensorBoard summaries written after every update (needs the simulator's `tensorboard` option):
   * `"loss"`, an Ensemble (encoders), `ens.neurons` (biases), a Connection (weights) or a function
   * returning `Record<string, number | tf.Tensor>`.
   */
  summaries?: SummaryItem[];
  /** Write a Chrome trace of the training (`true`: `nengo_dl_profile.json`; or a file name). */
  profile?: ProfileOption;
  /**
   * Learning rate as a function of {@link Simulator.trainingStep} (updates done so far), applied to the
   * optimizer before every update (e.g. a piecewise-constant schedule).
   */
  learningRateSchedule?: (trainingStep: number) => number;
}

/** Options of {@link Simulator.checkGradients}. */
export interface CheckGradientsOptions extends GradientTolerance {
  /** Probes whose outputs are differentiated (default: every probe). */
  outputs?: Probe[];
  /** Input-node values `[minibatchSize][nSteps][size]` (default: the nodes' own outputs). */
  data?: Map<Node, DataInput>;
  /** Steps simulated (default: those of `data`, or 10). */
  nSteps?: number;
  /** Elements checked per parameter: a sample drawn with the simulator's seed (default: all). */
  samples?: number;
}

/** The check of one trainable parameter (see {@link GradientComparison}). */
export interface ParamGradientCheck extends GradientComparison {
  /** Structural key of the parameter (`Ensemble[0].encoders`, as in saved parameters). */
  key: string;
  /** The object it belongs to. */
  obj: Ensemble | Neurons | Connection;
}

/** What {@link Simulator.checkGradients} returns when every gradient passed. */
export interface GradientCheckReport {
  nSteps: number;
  outputs: Probe[];
  atol: number;
  rtol: number;
  delta: number;
  /** One entry per trainable parameter, in structural order. */
  params: ParamGradientCheck[];
  /** Largest `|analytic - numeric|` over every checked element. */
  maxError: number;
}

/** Options of {@link Simulator.saveParams} and {@link Simulator.loadParams} (NengoDL 2.x's `include_global`/`include_local`). */
export interface SaveParamsOptions {
  /** The trainable parameters and `trainingStep` (default true). */
  includeGlobal?: boolean;
  /** The non-trainable parameters and the simulation state: neuron and synapse states (default false). */
  includeLocal?: boolean;
}

/** Root mean square of `x`. */
function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return x.length > 0 ? Math.sqrt(s / x.length) : 0;
}

/** Validated `includeGlobal` / `includeLocal` options (at least one of them true). */
function checkIncludeOptions(opts: SaveParamsOptions, where: string): Required<SaveParamsOptions> {
  if (typeof opts !== "object" || opts === null)
    throw new ValidationError(`must be an options object, got ${String(opts)}`, "opts", where);
  const includeGlobal = opts.includeGlobal ?? true;
  const includeLocal = opts.includeLocal ?? false;
  for (const [name, v] of [
    ["includeGlobal", includeGlobal],
    ["includeLocal", includeLocal],
  ] as const) {
    if (typeof v !== "boolean") throw new ValidationError(`must be true or false, got ${String(v)}`, name, where);
  }
  if (!includeGlobal && !includeLocal)
    throw new ValidationError("includeGlobal and includeLocal are both false: nothing to save or load", "opts", where);
  return { includeGlobal, includeLocal };
}

/** Options of {@link Simulator.runSteps} and {@link Simulator.run}. */
export interface RunOptions {
  /** Input data `[minibatchSize][nSteps][size]` per input Node. */
  data?: DataMap;
  /** Write a Chrome trace of the run (`true`: `nengo_dl_profile.json`; or a file name). */
  profile?: ProfileOption;
}

/** Options of {@link Simulator.loss}. */
export interface LossOptions {
  data: DataMap | number;
  objective?: ObjectiveMap;
}

/** `sim.data`: probe data `[minibatch][nSteps][size]`, and live (trained) ensemble and connection parameters. */
export interface DLSimData {
  get(probe: Probe): number[][][];
  get(ens: Ensemble): EnsembleData;
  get(conn: Connection): ConnectionData;
  get(obj: Probe | Ensemble | Connection): number[][][] | EnsembleData | ConnectionData;
}

/** Default file of `profile: true`. */
export const DEFAULT_PROFILE_FILE = "nengo_dl_profile.json";

/** The absolute profile path of a `profile` option (null when off); its directory must be writable. */
async function checkProfileOption(p: unknown, where: string): Promise<string | null> {
  let path: string;
  if (p === undefined || p === false) return null;
  if (p === true) path = resolve(DEFAULT_PROFILE_FILE);
  else if (typeof p === "string" && p.length > 0) path = resolve(p);
  else throw new ValidationError(`must be true, false or a file name, got ${String(p)}`, "profile", where);
  try {
    await access(dirname(path), constants.W_OK);
  } catch (e) {
    throw new ValidationError(`cannot write ${JSON.stringify(path)}: ${(e as Error).message}`, "profile", where);
  }
  return path;
}

interface ObjEntry {
  probes: Probe[];
  fn: Objective | null;
  arity: 1 | 2 | 0;
  array: boolean;
}

/**
 * Copy a float32 tensor's values into `out` at `off`: on the JS-kernel backends a kernel reads them in
 * place (`dataSync` would allocate a copy per call).
 */
function readInto(t: tf.Tensor, out: Float32Array, off: number): void {
  if (t.size === 0) return;
  if (hasJsKernels()) tf.dispose(runJsKernel([t], [0], (ins) => out.set(ins[0], off)));
  else out.set(t.dataSync() as Float32Array, off);
}

/**
 * Set a tfjs optimizer's learning rate: `setLearningRate` where the optimizer has it (SGD, momentum),
 * otherwise its `learningRate` field, which Adam, RMSProp, Adagrad, Adadelta and Adamax read per update.
 */
function setLearningRate(opt: tf.Optimizer, lr: number): void {
  if (typeof lr !== "number" || !Number.isFinite(lr)) {
    throw new ValidationError(
      `must return a finite number, got ${String(lr)}`,
      "learningRateSchedule",
      "Simulator.train",
    );
  }
  const o = opt as unknown as { setLearningRate?: (x: number) => void; learningRate?: number };
  if (typeof o.setLearningRate === "function") o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Wasm heap limit (bytes) used to reject runs that cannot fit. */
const WASM_LIMIT = 3.5 * 2 ** 30;
/** Bytes of kept tape per recomputation segment (longer segments: fewer, larger recomputations). */
const TAPE_BUDGET = 192 * 2 ** 20;

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
  /** Optimizer updates done so far (all `train` calls since the last `reset`; the step of TensorBoard summaries). */
  trainingStep = 0;
  /** The TensorBoard writer (`tensorboard` option), or null. */
  private writer: SummaryWriter | null = null;
  /** Per tag, how many `train` calls have written it (for the `_1`, `_2` suffixes). */
  private readonly tagUses = new Map<string, number>();
  /** Build and compile times (microseconds, performance clock), added to every profile. */
  private readonly buildSpans: { name: string; start: number; end: number }[] = [];
  private warnedSummaries = false;
  private warnedClosedData = false;
  private readonly cm: CompiledModel;
  private readonly params: ParamStore;
  /** The trainable parameters (a subset of `params.vars`). */
  private readonly trainable: Set<Signal>;
  /** Non-trainable parameters whose values were loaded (`loadParams` with `includeLocal`) since the last reset. */
  private readonly loadedLocal = new Set<Signal>();
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
    bar: Progress,
  ) {
    this.backend = backend;
    const mb = opts.minibatchSize ?? 1;
    if (!Number.isInteger(mb) || mb < 1)
      throw new ValidationError(`must be a positive integer, got ${String(mb)}`, "minibatchSize", "Simulator");
    this.minibatchSize = mb;
    const now = (): number => performance.now() * 1000;
    const t0 = now();
    this.model = build(network, { dt: opts.dt, seed: opts.seed });
    const t1 = now();
    this.buildSpans.push({ name: "build", start: t0, end: t1 });
    bar.update(1);
    this.dt = this.model.dt;
    this.seed =
      opts.seed ??
      (network.seed !== undefined && network.seed !== null ? network.seed + 1 : Math.floor(Math.random() * 2 ** 31));
    this.rng = new RandomState(this.seed);
    this.progressBar = opts.progressBar;
    this.segmentLength = opts.segmentLength;
    this.trainable = trainableSignals(network, this.model);
    // every parameter lives in a variable (the trainable ones first), so that loadParams({ includeLocal: true })
    // can set the non-trainable ones too; only those in `trainable` are optimized
    const params = new Set(this.trainable);
    for (const s of parameterSignals(network, this.model)) params.add(s);
    this.cm = compileModel(this.model, { trainable: params, lifSmoothing: getLifSmoothing(network) });
    this.params = new ParamStore(params);
    this.state = tf.tidy(() => initialState(this.cm, mb));
    this.buildSpans.push({ name: "compile", start: t1, end: now() });
    bar.update(2);
    this.inputNodeSet = new Set(this.cm.inputNodes.map((n) => n.node));
    this.probeSet = new Set([...this.model.probes.keys()] as Probe[]);
  }

  /**
   * Build `net` and prepare it for simulation and training on the selected tfjs backend. With
   * `tensorboard: dir`, `dir` is created if needed and the simulator writes into a new `dir/run_N`.
   */
  static async create(net: Network, opts: DLSimulatorOptions = {}): Promise<Simulator> {
    if (opts.tensorboard !== undefined && (typeof opts.tensorboard !== "string" || opts.tensorboard.length === 0)) {
      throw new ValidationError(
        `must be a directory path, got ${String(opts.tensorboard)}`,
        "tensorboard",
        "Simulator",
      );
    }
    const backend = await selectBackend(opts.backend ?? "wasm");
    const bar = createProgress({ label: "Building", total: 2, enabled: opts.progressBar });
    let sim: Simulator;
    try {
      sim = new Simulator(net, opts, backend, bar);
    } finally {
      bar.stop();
    }
    if (opts.tensorboard !== undefined) {
      try {
        sim.writer = await SummaryWriter.create(await nextRunDir(opts.tensorboard, { reserve: true }));
      } catch (e) {
        await sim.close();
        throw new ValidationError(
          `cannot create TensorBoard logs in ${JSON.stringify(opts.tensorboard)}: ${(e as Error).message}`,
          "tensorboard",
          "Simulator",
        );
      }
    }
    return sim;
  }

  /** The TensorBoard run directory of this simulator (`<tensorboard>/run_N`), or null. */
  get tensorboardDir(): string | null {
    return this.writer?.logdir ?? null;
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
    return [...this.params.vars].filter(([s]) => this.trainable.has(s)).map(([, v]) => v);
  }

  // ------------------------------------------------------------------ running

  /**
   * Input-vector values [steps][mb * nIn] from step `start` of the data (time base {@link inputTimeBase}),
   * written into `buf` when given (every entry is written).
   */
  private makeInputs(
    inputs: Map<Node, Array3>,
    batchIdx: number[] | null,
    start: number,
    steps: number,
    buf?: Float32Array,
  ): Float32Array {
    const mb = this.minibatchSize;
    const nIn = this.cm.inputSize;
    const out = buf ? buf.subarray(0, steps * mb * nIn) : new Float32Array(steps * mb * nIn);
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

  /** runSteps' input buffer, one segment long, kept across runs (a run-long copy of the data is garbage). */
  private inputBuf = new Float32Array(0);

  /** runSteps' assembled tensors and the trainable variables' data they were made from. */
  private runA: { ids: unknown[]; A: tf.Tensor[] } | null = null;

  /**
   * The assembled tensors for runSteps, made again only when a trainable variable has changed (an assigned
   * variable has new data): assembling takes an op per parameter piece, so per ensemble.
   */
  private runTensors(): tf.Tensor[] {
    const ids = [...this.params.vars.values()].map((v) => v.dataId);
    const c = this.runA;
    if (c && c.ids.length === ids.length && c.ids.every((id, i) => id === ids[i])) return c.A;
    if (c) tf.dispose(c.A);
    const A = tf.tidy(() => assemble(this.cm, this.params));
    this.runA = { ids, A };
    return A;
  }

  /** Run `n` steps from `state` (no tape); returns the new state and probe values [n, mb, P]. */
  private forward(
    A: tf.Tensor[],
    state: StateList,
    inputs: Float32Array,
    stepOffset: number,
    timeStep0: number,
    n: number,
    training: boolean,
    prof?: Profiler,
  ): { state: StateList; probes: tf.Tensor3D } {
    const mb = this.minibatchSize;
    const nIn = this.cm.inputSize;
    let s = state;
    const outs: tf.Tensor2D[] = [];
    const ctx = { dt: this.dt, mb, training, prof };
    for (let i = 0; i < n; i++) {
      const k = stepOffset + i;
      prof?.begin("step", "step", { step: timeStep0 + i + 1 });
      const inp = nIn > 0 ? tf.tensor2d(inputs.subarray(k * mb * nIn, (k + 1) * mb * nIn), [mb, nIn]) : null;
      const r = stepModel(this.cm, A, s, inp, (timeStep0 + i + 1) * this.dt, ctx);
      s = r.state;
      outs.push(r.probes);
      prof?.end();
    }
    const probes = (outs.length > 0 ? tf.stack(outs) : tf.zeros([0, mb, this.cm.probePlan.size])) as tf.Tensor3D;
    return { state: s, probes };
  }

  /** A profiler for `profile` (null when off), with the build/compile spans of this simulator. */
  private makeProfiler(path: string | null): Profiler | null {
    if (path === null) return null;
    const prof = new Profiler({ processName: "nengo-ts/dl" });
    for (const b of this.buildSpans) prof.complete(b.name, "build", b.start, b.end);
    return prof;
  }

  private async saveProfile(prof: Profiler | null, path: string | null, where: string): Promise<void> {
    if (prof === null || path === null) return;
    try {
      await prof.save(path);
    } catch (e) {
      throw new ValidationError(
        `cannot write the profile to ${JSON.stringify(path)}: ${(e as Error).message}`,
        "profile",
        where,
      );
    }
  }

  /**
   * Run `nSteps` steps; `data` feeds input nodes `[minibatchSize][nSteps][size]`; `profile` writes a
   * Chrome trace with one span per step and per operator group.
   */
  async runSteps(nSteps: number, opts: RunOptions = {}): Promise<void> {
    this.checkOpen();
    const profPath = await checkProfileOption(opts.profile, "Simulator.runSteps");
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
        probes: this.probeSet,
        minibatchSize: this.minibatchSize,
      });
      const [probe] = c.targets.keys();
      if (probe !== undefined) {
        throw new ValidationError(
          `${String(probe)} is a Probe: runSteps takes data for input Nodes only (targets are for train and loss)`,
          "data",
          "Simulator.runSteps",
        );
      }
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
    const prof = this.makeProfiler(profPath);
    prof?.begin("run", "sim", { nSteps });
    const seg = 100;
    const inSize = Math.min(seg, nSteps) * this.minibatchSize * this.cm.inputSize;
    if (this.inputBuf.length < inSize) this.inputBuf = new Float32Array(inSize);
    const bar = createProgress({
      label: "Simulating",
      total: nSteps,
      enabled: nSteps > 0 ? this.progressBar : false,
    });
    prof?.begin("assemble", "sim");
    const A = this.runTensors();
    prof?.end();
    // one probe buffer per run, filled in place (a copy per segment would be garbage in proportion to the
    // probed size, and its collections cost in proportion to everything else the process holds)
    const P = this.cm.probePlan.size;
    const chunk = { data: new Float32Array(nSteps * this.minibatchSize * P), steps: 0, start: this.nSteps };
    if (nSteps > 0) this.probeChunks.push(chunk);
    try {
      const t0 = this.nSteps;
      for (let a = 0; a < nSteps; a += seg) {
        const k = Math.min(seg, nSteps - a);
        const start = this.nSteps;
        this.inputTimeBase = t0;
        let inArr: Float32Array;
        try {
          inArr = this.makeInputs(inputs, null, a, k, this.inputBuf);
        } finally {
          this.inputTimeBase = 0;
        }
        prof?.begin("segment", "sim", { start, steps: k });
        const r = tf.tidy(() => {
          const res = this.forward(A, this.state, inArr, 0, start, k, false, prof ?? undefined);
          return { state: res.state, probes: res.probes };
        });
        prof?.begin("read probes", "sim");
        readInto(r.probes, chunk.data, a * this.minibatchSize * P);
        r.probes.dispose();
        prof?.end();
        this.replaceState(r.state);
        chunk.steps += k;
        this.nSteps += k;
        prof?.end();
        bar.update(a + k);
      }
    } finally {
      bar.stop();
    }
    prof?.end();
    await this.saveProfile(prof, profPath, "Simulator.runSteps");
  }

  private replaceState(s: StateList): void {
    const keep = new Set(s);
    for (const t of this.state) if (!keep.has(t)) t.dispose();
    this.state = s;
  }

  /** Run for `timeInSeconds` (rounded to whole steps). */
  async run(timeInSeconds: number, opts: RunOptions = {}): Promise<void> {
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

  /**
   * Back to time 0: state, probe data, RNG, every parameter (training and loaded parameters are reverted)
   * and `trainingStep` (0), as NengoDL.
   */
  reset(): void {
    this.checkOpen();
    this.replaceState(tf.tidy(() => initialState(this.cm, this.minibatchSize)));
    this.probeChunks = [];
    this.nSteps = 0;
    this.rng = new RandomState(this.seed);
    this.params.resetTrainables();
    this.loadedLocal.clear();
    this.trainingStep = 0;
  }

  /** Clear recorded probe data (state and time are kept). */
  clearProbes(): void {
    this.probeChunks = [];
  }

  /**
   * Release every tensor the simulator created (synchronously) and close the TensorBoard event file;
   * later calls throw SimulatorClosed. The returned promise resolves when the event file is complete
   * (a failed write is reported with `process.emitWarning`); it never rejects. Safe to call twice.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    tf.dispose(this.state);
    this.state = [];
    if (this.runA) tf.dispose(this.runA.A);
    this.runA = null;
    this.params.dispose();
    const w = this.writer;
    this.writer = null;
    if (w === null) return Promise.resolve();
    return w.close().catch((e: unknown) => {
      process.emitWarning(`TensorBoard event file ${w.path} could not be completed: ${String(e)}`);
    });
  }

  /** Current values of a parameter signal (the variable's value, or the build value). */
  private paramValue(s: Signal): Float32Array | Float64Array {
    if (this.closed) return s.initial as Float64Array;
    const v = this.trainable.has(s) || this.loadedLocal.has(s) ? this.params.vars.get(s) : undefined;
    return v ? Float32Array.from(v.dataSync() as Float32Array) : (s.initial as Float64Array);
  }

  /**
   * Probe data `[minibatch][nSteps][...]`, or the live (trained) parameters of an Ensemble or
   * Connection, derived as NengoDL does (after `close()`: the build values, with a warning).
   */
  get data(): DLSimData {
    const get = (obj: Probe | Ensemble | Connection): number[][][] | EnsembleData | ConnectionData => {
      if (obj instanceof Probe) {
        const info = this.cm.probes.get(obj);
        if (!info) throw new ValidationError(`${String(obj)} is not in this simulator's network`, "data", "Simulator");
        return this.probeData(obj, info);
      }
      if (obj instanceof Ensemble || obj instanceof Connection) {
        const built = this.model.params.get(obj);
        if (!built) throw new ValidationError(`${String(obj)} is not in this simulator's network`, "data", "Simulator");
        if (this.closed && !this.warnedClosedData) {
          this.warnedClosedData = true;
          process.emitWarning("Simulator is closed: sim.data returns the build-time parameter values");
        }
        if (obj instanceof Ensemble) {
          const bsig = this.model.sig.get(obj.neurons)?.bias;
          return liveEnsembleData(
            obj,
            built as BuiltEnsemble,
            this.paramValue((this.model.sig.get(obj) as Record<string, Signal>).encoders),
            bsig ? this.paramValue(bsig) : null,
          );
        }
        return liveConnectionData(
          built as BuiltConnection,
          this.paramValue((this.model.sig.get(obj) as Record<string, Signal>).weights),
        );
      }
      throw new ValidationError(
        `${String(obj)} is not a Probe, Ensemble or Connection of this simulator`,
        "data",
        "Simulator",
      );
    };
    return { get } as DLSimData;
  }

  // ------------------------------------------------------------------ parameters

  /** The trainable (`true`) or non-trainable (`false`) parameters in their structural order (docs/dl.md, "Saving parameters"). */
  private slots(trainable: boolean): ParamSlot[] {
    const shapes = new Map<Signal, readonly number[]>();
    for (const [s, v] of this.params.vars) if (this.trainable.has(s) === trainable) shapes.set(s, v.shape);
    return paramSlots(this.network, this.model, shapes);
  }

  /**
   * The tfjs variable holding a trainable parameter: `ens` (scaled encoders), `ens.neurons` (biases) or
   * a Connection (weights); null when that parameter is not trainable. Assigning to it changes the model.
   */
  parameterVariable(obj: Ensemble | Neurons | Connection): tf.Variable | null {
    this.checkOpen();
    const rec = this.model.sig.get(obj);
    if (!rec) throw new ValidationError(`${String(obj)} is not in this simulator's network`, "obj", "Simulator");
    const s = obj instanceof Ensemble ? rec.encoders : obj instanceof Connection ? rec.weights : rec.bias;
    return (s && this.trainable.has(s) && this.params.vars.get(s)) || null;
  }

  /**
   * Save parameters to the directory `path` (created if needed): `params.json` (manifest) and
   * `params.bin` (float32), written atomically. `includeGlobal` (default true): the trainable parameters
   * and `trainingStep`; `includeLocal` (default false): the non-trainable parameters and the simulation state
   * (neuron and synapse states). Entries are identified by structure, so the global part loads into any network
   * built the same way (neuron types may differ). Optimizer state is not saved (the optimizer is the caller's).
   */
  async saveParams(path: string, opts: SaveParamsOptions = {}): Promise<void> {
    this.checkOpen();
    const where = "Simulator.saveParams";
    if (typeof path !== "string" || path.length === 0)
      throw new ValidationError(`must be a non-empty directory path, got ${String(path)}`, "path", where);
    const { includeGlobal, includeLocal } = checkIncludeOptions(opts, where);
    const values = (slots: ParamSlot[]): Float32Array[] =>
      slots.map((s) => Float32Array.from((this.params.vars.get(s.signal) as tf.Variable).dataSync()));
    const global = includeGlobal ? this.slots(true) : null;
    const local = includeLocal
      ? { params: this.slots(false), state: stateSlots(this.network, this.cm, this.minibatchSize) }
      : null;
    await writeParams(path, {
      global: global && { params: global, values: values(global), trainingStep: this.trainingStep },
      local: local && {
        params: local.params,
        values: values(local.params),
        state: local.state,
        stateValues: extractState(
          local.state,
          this.state.map((t) => t.dataSync() as Float32Array),
          this.minibatchSize,
        ),
      },
    });
  }

  /**
   * Load parameters saved by {@link Simulator.saveParams}: `includeGlobal` (default true) the trainable
   * parameters and `trainingStep`, `includeLocal` (default false) the non-trainable parameters and the
   * simulation state (the time, `nSteps`, and probe data are kept). Everything is validated (files, format,
   * version, that the requested parts were saved, the structure and every shape) before anything changes; on
   * error nothing changes and a ValidationError names the first mismatch. `reset()` reverts loaded values.
   */
  async loadParams(path: string, opts: SaveParamsOptions = {}): Promise<void> {
    this.checkOpen();
    const { includeGlobal, includeLocal } = checkIncludeOptions(opts, "Simulator.loadParams");
    const global = includeGlobal ? this.slots(true) : null;
    const local = includeLocal
      ? { params: this.slots(false), state: stateSlots(this.network, this.cm, this.minibatchSize) }
      : null;
    const got = await readParams(path, { global, local });
    this.checkOpen();
    const assign = (slots: ParamSlot[], values: Float32Array[]): void =>
      slots.forEach((s, i) => {
        const v = this.params.vars.get(s.signal) as tf.Variable;
        const t = tf.tensor(values[i], v.shape);
        v.assign(t);
        t.dispose();
      });
    if (global && got.global) {
      assign(global, got.global.values);
      this.trainingStep = got.global.trainingStep;
    }
    if (local && got.local) {
      assign(local.params, got.local.values);
      for (const s of local.params) this.loadedLocal.add(s.signal);
      const mb = this.minibatchSize;
      const st = insertState(
        local.state,
        got.local.stateValues,
        this.state.map((t) => t.dataSync() as Float32Array),
        mb,
      );
      this.replaceState(st.map((v) => tf.tensor2d(v, [mb, v.length / mb])));
    }
  }

  /**
   * Write the trained values into the model objects, so that any simulator built from the network
   * afterwards uses them (NengoDL's freeze_params): a Network (all its ensembles and connections,
   * recursively), an Ensemble, a Connection, or an array of them.
   */
  freezeParams(objs: FreezeTarget | FreezeTarget[]): void {
    this.checkOpen();
    const list = Array.isArray(objs) ? objs : [objs];
    const targets: (Ensemble | Connection)[] = [];
    for (const o of list) {
      if (o instanceof Network) {
        if (!this.model.seeds.has(o))
          throw new ValidationError(`${String(o)} is not in this simulator's model`, "objs", "Simulator.freezeParams");
        targets.push(
          ...allEnsembles(o).filter((e) => !(e.neuronType instanceof Direct) || this.encodersTrained(e)),
          ...allConnections(o),
        );
      } else if (o instanceof Ensemble || o instanceof Connection) {
        if (!this.model.params.has(o))
          throw new ValidationError(`${String(o)} is not in this simulator's model`, "objs", "Simulator.freezeParams");
        targets.push(o);
      } else {
        throw new ValidationError(
          `must be a Network, Ensemble or Connection (or an array of them), got ${String(o)}`,
          "objs",
          "Simulator.freezeParams",
        );
      }
    }
    const changes: FreezeChange[] = targets.map((o) => {
      const rec = this.model.sig.get(o) as Record<string, Signal>;
      if (o instanceof Ensemble) {
        const b = this.model.sig.get(o.neurons)?.bias;
        return freezeEnsemble(
          o,
          this.model.params.get(o) as BuiltEnsemble,
          this.paramValue(rec.encoders),
          b ? this.paramValue(b) : null,
        );
      }
      return freezeConnection(o, this.model.params.get(o) as BuiltConnection, this.paramValue(rec.weights));
    });
    for (const c of changes) c.apply();
  }

  /** Whether a (Direct) ensemble's encoders differ from their build values. */
  private encodersTrained(e: Ensemble): boolean {
    const s = (this.model.sig.get(e) as Record<string, Signal>).encoders;
    const v = this.paramValue(s);
    return Array.from(s.initial).some((x, i) => Math.fround(x) !== v[i]);
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

  /**
   * Choose the recomputation segment length and reject runs that cannot fit in memory. Calibrated on the
   * integrator benchmark (D=128, N=32, minibatch 64, wasm, tf.memory().numBytes peaks): the tape keeps about
   * 2.5 x 4 bytes per vector entry and step (3 is used), the window's probe outputs, targets, objective and
   * its gradient about 16 probe-sized [mb, steps, P] tensors. The segment uses {@link TAPE_BUDGET}.
   */
  private planMemory(steps: number): number {
    const mb = this.minibatchSize;
    const stepBytes = mb * this.cm.totalVecSize * 4 * 3;
    let seg = this.segmentLength ?? Math.max(1, Math.floor(TAPE_BUDGET / Math.max(1, stepBytes)));
    seg = Math.max(1, Math.min(seg, steps));
    const stateBytes = this.cm.stateInit.reduce((a, v) => a + v.length, 0) * mb * 4;
    const total = seg * stepBytes + Math.ceil(steps / seg) * stateBytes + 16 * mb * steps * this.cm.probePlan.size * 4;
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
    prof: Profiler | undefined,
    wantEntryLosses: boolean,
  ): { loss: number; entryLosses: (number | null)[]; state: StateList } {
    const engine = tf.engine();
    let loss = 0;
    let entryLosses: (number | null)[] = [];
    const state = tf.tidy(() => {
      prof?.begin("forward", "train");
      prof?.begin("assemble", "train");
      const A = assemble(this.cm, this.params);
      prof?.end();
      const bounds: StateList[] = [state0];
      const probeSegs: tf.Tensor3D[] = [];
      for (let s = 0; s < w; s += seg) {
        const k = Math.min(seg, w - s);
        const r = this.forward(A, bounds[bounds.length - 1], inArr, a + s, a + s, k, true, prof);
        bounds.push(r.state);
        probeSegs.push(r.probes);
      }
      const P = tf.transpose(tf.concat(probeSegs, 0), [1, 0, 2]) as tf.Tensor3D; // [mb, w, Ptot]
      prof?.end();
      prof?.begin("objective", "train");
      const hasFn = entries.some((e) => e.fn !== null);
      let dP: tf.Tensor3D = tf.zerosLike(P);
      if (hasFn) {
        let vals: number[] = [];
        const g = engine.gradients(
          () => {
            const v = this.objectiveValues(entries, P, targets);
            if (wantEntryLosses) vals = v.map((x) => x.dataSync()[0]);
            return v.length === 1 ? v[0] : (tf.addN(v) as tf.Scalar);
          },
          [P],
          undefined,
          true,
        );
        loss = (g.value.dataSync() as Float32Array)[0];
        if (wantEntryLosses) {
          let k = 0;
          entryLosses = entries.map((e) => (e.fn === null ? null : vals[k++]));
        }
        if (g.grads[0]) dP = g.grads[0] as tf.Tensor3D;
      } else if (wantEntryLosses) entryLosses = entries.map(() => null);
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
      prof?.end();
      // backward through segments, recomputing each under the tape
      prof?.begin("backward", "train");
      let dState: (tf.Tensor | undefined)[] = [];
      const dA: (tf.Tensor | undefined)[] = new Array(A.length);
      const nSeg = probeSegs.length;
      const dPt = tf.transpose(dP, [1, 0, 2]); // [w, mb, Ptot]
      for (let si = nSeg - 1; si >= 0; si--) {
        const s = si * seg;
        const k = Math.min(seg, w - s);
        const dSeg = sliceRows(dPt, s, k);
        const sIn = bounds[si];
        const g = engine.gradients(
          () => {
            const r = this.forward(A, sIn, inArr, a + s, a + s, k, true, prof);
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
      const vars = this.trainableVariables;
      if (vars.length > 0 && dA.some((x) => x !== undefined)) {
        prof?.begin("parameter gradients", "train");
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
        prof?.end();
        prof?.end(); // backward
        prof?.begin("optimizer", "train");
        optimizer.applyGradients(named);
        prof?.end();
      } else prof?.end(); // backward
      return bounds[bounds.length - 1];
    });
    return { loss, entryLosses, state };
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
    const schedule = opts.learningRateSchedule;
    if (schedule !== undefined && typeof schedule !== "function") {
      throw new ValidationError("must be a function of the training step", "learningRateSchedule", "Simulator.train");
    }
    const profPath = await checkProfileOption(opts.profile, "Simulator.train");
    const { c, entries, steps, batch } = this.prepare(opts.data, opts.objective);
    const truncation = opts.truncation ?? steps;
    if (!Number.isInteger(truncation) || truncation < 1) {
      throw new ValidationError(
        `must be a positive integer, got ${String(truncation)}`,
        "truncation",
        "Simulator.train",
      );
    }
    let summaries: TrainSummaries | null = null;
    if (opts.summaries !== undefined && opts.summaries !== null) {
      // validated even without a TensorBoard directory (an unknown object is an error before training)
      const parsed = new TrainSummaries(opts.summaries, this.model, this.tagUses);
      if (this.writer === null) {
        if (!this.warnedSummaries && opts.summaries.length > 0) {
          this.warnedSummaries = true;
          process.emitWarning(
            "train({ summaries }) needs a simulator created with the `tensorboard` option; summaries are ignored",
          );
        }
      } else if (opts.summaries.length > 0) summaries = parsed;
    }
    if (steps === 1)
      warnOneStepWithSynapses(
        this.network,
        entries.flatMap((e) => e.probes),
      );
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
    if (this.trainable.size === 0)
      throw new ValidationError("the network has no trainable parameters", "network", "Simulator.train");
    const nBatches = Math.floor(batch / mb);
    const nWindows = Math.ceil(steps / truncation);
    const prof = this.makeProfiler(profPath) ?? undefined;
    const writer = this.writer;
    const bar = createProgress({ label: "Training", total: nEpochs * nBatches * nWindows, enabled: this.progressBar });
    prof?.begin("train", "train", { nEpochs, nBatches, nWindows });
    try {
      for (let epoch = 0; epoch < nEpochs; epoch++) {
        prof?.begin("epoch", "train", { epoch: epoch + 1 });
        const perm =
          (opts.shuffle ?? true) ? Array.from(this.rng.permutation(batch)) : Array.from({ length: batch }, (_, i) => i);
        for (let bi = 0; bi < nBatches; bi++) {
          prof?.begin("minibatch", "train", { minibatch: bi + 1 });
          const idx = perm.slice(bi * mb, (bi + 1) * mb);
          const inArr = this.makeInputs(c.inputs, idx, 0, steps);
          let st: StateList = tf.tidy(() => initialState(this.cm, mb));
          try {
            for (let a = 0; a < steps; a += truncation) {
              const w = Math.min(truncation, steps - a);
              if (schedule) setLearningRate(optimizer, schedule(this.trainingStep));
              prof?.begin("update", "train", { trainingStep: this.trainingStep + 1, window: a });
              const targets = this.windowTargets(c, idx, a, w);
              let r: { loss: number; entryLosses: (number | null)[]; state: StateList };
              try {
                r = this.trainWindow(
                  inArr,
                  a,
                  w,
                  st,
                  targets,
                  entries,
                  optimizer,
                  Math.min(seg, w),
                  prof,
                  summaries?.wantsLoss ?? false,
                );
              } finally {
                tf.dispose([...targets.values()]);
              }
              const rs = r.state;
              tf.dispose(st.filter((t) => !rs.includes(t)));
              st = rs;
              this.trainingStep++;
              if (summaries && writer) {
                prof?.begin("summaries", "train");
                const perProbe = entries.map((e, i) => ({ probes: e.probes, value: r.entryLosses[i] ?? null }));
                writer.write(
                  summaries.collect(r.loss, perProbe, (sig) => this.paramValue(sig)),
                  this.trainingStep,
                );
                prof?.end();
              }
              prof?.end(); // update
              prof?.counter("loss", { loss: r.loss }, "train");
              bar.increment(1, { epoch: epoch + 1, minibatch: bi + 1, loss: r.loss });
            }
          } finally {
            tf.dispose(st);
          }
          prof?.end(); // minibatch
          await new Promise((res) => setImmediate(res));
        }
        prof?.end(); // epoch
      }
    } finally {
      bar.stop();
    }
    prof?.end(); // train
    await this.saveProfile(prof ?? null, profPath, "Simulator.train");
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

  /**
   * Check the gradients training uses against finite differences (NengoDL's `check_gradients`; docs/dl.md,
   * "Checking gradients"). In training mode, from the initial state, for `nSteps` steps, the objective is per
   * `outputs` probe (default: all) the mean of its values divided by their RMS, each value weighted by a fixed
   * pseudo-random factor in [0.5, 1.5] so that errors cannot cancel, summed over the probes. Its gradient with
   * respect to every trainable parameter, computed as `train` computes it, is compared elementwise with
   * fourth-order central differences (step `delta * s`, `s = max(|x|, rms of the parameter)`): an element passes
   * when `|analytic - numeric| <= atol / s + rtol * |numeric|`. Throws a SimulationError naming the parameter,
   * the element and the largest error when that fails (or a gradient is not finite); returns a report otherwise.
   * The simulator (state, time, probe data, parameters, trainingStep) is left as it was.
   */
  async checkGradients(opts: CheckGradientsOptions = {}): Promise<GradientCheckReport> {
    this.checkOpen();
    const where = "Simulator.checkGradients";
    if (typeof opts !== "object" || opts === null)
      throw new ValidationError(`must be an options object, got ${String(opts)}`, "opts", where);
    const tol = gradientTolerance(opts, where);
    const outputs = opts.outputs ?? [...this.probeSet];
    if (!Array.isArray(outputs) || outputs.length === 0)
      throw new ValidationError("must be a non-empty array of Probes (the network has no probes?)", "outputs", where);
    for (const p of outputs) {
      if (!(p instanceof Probe) || !this.probeSet.has(p))
        throw new ValidationError(`${String(p)} is not a Probe of this simulator's network`, "outputs", where);
    }
    let inputs = new Map<Node, Array3>();
    let nSteps = opts.nSteps;
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
          where,
        );
      }
      if (c.steps >= 0 && nSteps !== undefined && c.steps !== nSteps) {
        throw new ValidationError(
          `Number of timesteps in input data (${c.steps}) does not match nSteps (${nSteps})`,
          "data",
          where,
        );
      }
      if (c.steps >= 0) nSteps = c.steps;
      inputs = c.inputs;
    }
    nSteps ??= 10;
    if (!Number.isInteger(nSteps) || nSteps < 1)
      throw new ValidationError(`must be a positive integer, got ${String(nSteps)}`, "nSteps", where);
    const samples = opts.samples ?? Infinity;
    if (samples !== Infinity && (!Number.isInteger(samples) || samples < 1))
      throw new ValidationError(`must be a positive integer, got ${String(samples)}`, "samples", where);
    const slots = this.slots(true);
    if (slots.length === 0) throw new ValidationError("the network has no trainable parameters", "network", where);
    const seg = this.planMemory(nSteps);
    const mb = this.minibatchSize;
    const T = nSteps;
    const inArr = this.makeInputs(inputs, null, 0, T);

    // the objective: per output, the mean of its values divided by their RMS, each value weighted by a fixed
    // factor in [0.5, 1.5]; summed over the outputs (computed in float64 from the float32 outputs)
    const outs = outputs.map((p) => this.cm.probes.get(p) as { off: number; size: number });
    const Ptot = this.cm.probePlan.size;
    const run = (): Float32Array => {
      const P = tf.tidy(() => {
        const A = assemble(this.cm, this.params);
        return this.forward(A, initialState(this.cm, mb), inArr, 0, 0, T, true).probes;
      });
      const d = Float32Array.from(P.dataSync() as Float32Array);
      P.dispose();
      return d;
    };
    const at = (d: Float32Array, o: { off: number; size: number }, b: number, t: number, k: number): number =>
      d[(t * mb + b) * Ptot + o.off + k];
    const base = run();
    const rng = new RandomState(this.seed);
    const W = outs.map((o) => {
      const n = mb * T * o.size;
      let ss = 0;
      for (let b = 0; b < mb; b++)
        for (let t = 0; t < T; t++) for (let k = 0; k < o.size; k++) ss += at(base, o, b, t, k) ** 2;
      const r = Math.sqrt(ss / n) || 1;
      return Float32Array.from(rng.uniform(0.5, 1.5, n), (w) => w / (n * r));
    });
    const objective = (ys: tf.Tensor3D[]): tf.Tensor =>
      tf.addN(ys.map((y, i) => tf.sum(tf.mul(y, tf.tensor3d(W[i], [mb, T, outs[i].size])))));
    const value = (): number => {
      const d = run();
      let L = 0;
      outs.forEach((o, i) => {
        for (let b = 0; b < mb; b++)
          for (let t = 0; t < T; t++)
            for (let k = 0; k < o.size; k++) L += W[i][(b * T + t) * o.size + k] * at(d, o, b, t, k);
      });
      return L;
    };

    // analytic: the gradients train hands to the optimizer
    const grads = new Map<string, Float64Array>();
    const recorder = {
      applyGradients(named: Record<string, tf.Tensor>): void {
        for (const [k, g] of Object.entries(named)) grads.set(k, Float64Array.from(g.dataSync()));
      },
    } as unknown as tf.Optimizer;
    const entry: ObjEntry = { probes: outputs, fn: objective as Objective, arity: 1, array: true };
    const s0 = tf.tidy(() => initialState(this.cm, mb));
    try {
      const r = this.trainWindow(inArr, 0, T, s0, new Map(), [entry], recorder, seg, undefined, false);
      tf.dispose(r.state.filter((t) => !s0.includes(t)));
    } finally {
      tf.dispose(s0);
    }

    // numeric: central differences, one element at a time
    const report: GradientCheckReport = { nSteps: T, outputs: [...outputs], ...tol, params: [], maxError: 0 };
    for (const slot of slots) {
      const v = this.params.vars.get(slot.signal) as tf.Variable;
      const x0 = Float32Array.from(v.dataSync() as Float32Array);
      const set = (x: Float32Array): void => {
        const t = tf.tensor(x, v.shape);
        v.assign(t);
        t.dispose();
      };
      const indices =
        samples >= x0.length
          ? Array.from({ length: x0.length }, (_, i) => i)
          : Array.from(rng.permutation(x0.length).subarray(0, samples)).sort((a, b) => a - b);
      let res: GradientComparison;
      try {
        res = checkGradient(
          `${slot.describe} (${where}, ${T} steps)`,
          (x) => {
            set(x);
            return value();
          },
          x0,
          grads.get(v.name) ?? new Float64Array(x0.length),
          { ...tol, indices, scale: rms(x0) || 1 },
        );
      } finally {
        set(x0);
      }
      report.params.push({ key: slot.key, obj: slot.obj, ...res });
      report.maxError = Math.max(report.maxError, res.maxError);
    }
    return report;
  }
}

/**
 * NengoDL's warning when training on one time step while synapses would delay the signal by a step
 * (connections with a synapse, or target probes with a synapse): their effect is then invisible to training.
 */
function warnOneStepWithSynapses(net: Network, targets: readonly Probe[]): void {
  const filtered = net.allConnections.some((c) => c.synapse !== null) || targets.some((p) => p.synapse !== null);
  if (filtered) {
    process.emitWarning(
      "Training for one timestep, but the network contains synaptic filters (which will introduce at least a " +
        "one-timestep delay); did you mean to set synapse=null on all connections and probes?",
    );
  }
}
