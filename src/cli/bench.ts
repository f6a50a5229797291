/**
 * The `nengo-ts bench` command: builds one of NengoDL's benchmark networks (see ./benchmarks.ts), times
 * building and running it on the reference simulator (or the `nengo-ts/dl` simulator when available),
 * prints a table and appends one JSON line per benchmark to a results file.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Command, Option } from "commander";
import { nonNegativeInt, positiveInt } from "./args.js";
import type { Network } from "../model/network.js";
import { Simulator } from "../simulator/simulator.js";
import { BENCHMARKS, NEURON_TYPES, countNeurons, makeBenchmark, type BenchmarkNetwork } from "./benchmarks.js";

/** The simulators `--simulator` accepts. */
export type SimulatorName = "reference" | "dl";

/** What to run: one benchmark configuration. */
export interface BenchConfig {
  /** Benchmark name (a key of {@link BENCHMARKS}). */
  benchmark: string;
  simulator: SimulatorName;
  dimensions: number;
  neuronsPerDim: number;
  /** Neuron type name (a key of {@link NEURON_TYPES}); default "LIF". */
  neuronType: string;
  /** Steps per run. */
  steps: number;
  /** Independent build + run repeats; medians are reported. */
  repeats: number;
  /** Untimed steps run after building and before the timed run (default 0: time a cold run). */
  warmup?: number;
  /** DL simulator only: minibatch size (default 1). */
  minibatchSize?: number;
  /** DL simulator only: time one epoch of `train` instead of `runSteps`. */
  train?: boolean;
  /** DL simulator with `train` only: truncation window (steps per optimizer update; default: all steps). */
  truncation?: number;
}

/** Seconds of one training run spent in each phase (from the profiler spans of the timed run). */
export interface TrainSplit {
  /** Forward pass over the window (training-mode steps, keeping only segment-boundary states). */
  forward: number;
  /** Objective value and its gradient with respect to the probe outputs. */
  objective: number;
  /** Backward pass: each segment's forward recomputed under the tape and its vector-Jacobian product. */
  backward: number;
  /** Part of `backward`: the gradient through the per-run parameter assembly into the variables. */
  parameterGradients: number;
  optimizer: number;
}

/** One result line (what `--json` prints last and what is appended to the results file). */
export interface BenchResult {
  benchmark: string;
  simulator: SimulatorName;
  dimensions: number;
  neuronsPerDim: number;
  neuronType: string;
  steps: number;
  repeats: number;
  /** Untimed warm-up steps before each timed run. */
  warmup: number;
  /** Neurons in the network. */
  neurons: number;
  /** Median seconds to build the simulator (`new Simulator` / `Simulator.create`), network construction excluded. */
  buildSeconds: number;
  /** Median seconds of `runSteps(steps)` (or of one training epoch with `train`). */
  runSeconds: number;
  /** `steps / runSeconds`. */
  stepsPerSecond: number;
  /** Every repeat's build time. */
  buildSecondsAll: number[];
  /** Every repeat's run time. */
  runSecondsAll: number[];
  /** Median seconds to construct the network objects. */
  networkSeconds: number;
  /** Peak resident memory of the process so far (MB, `process.resourceUsage().maxRSS`; never decreases). */
  peakMemoryMB: number;
  /** DL only: peak of `tf.memory().numBytes` (MB) during the timed runs: live tensor data at its highest. */
  peakTensorMB?: number;
  /** DL on wasm only: size of the wasm heap after the runs (MB); it only grows, so it is the heap's peak. */
  wasmHeapMB?: number;
  minibatchSize?: number;
  train?: boolean;
  truncation?: number;
  /** DL `train` only: median seconds per phase (see {@link TrainSplit}). */
  trainSplit?: TrainSplit;
  /** DL `train` only: trainSplit per step (ms): forward, backward (incl. recompute), and the rest. */
  forwardMsPerStep?: number;
  backwardMsPerStep?: number;
  /** ISO date of the run. */
  date: string;
  /** Node.js version. */
  node: string;
  platform: string;
  arch: string;
  /** CPU model. */
  cpu: string;
}

/** Default settings of `nengo-ts bench`. */
export const BENCH_DEFAULTS = {
  simulator: "reference" as SimulatorName,
  dimensions: 32,
  neuronsPerDim: 64,
  neuronType: "LIF",
  steps: 1000,
  repeats: 3,
  warmup: 0,
  out: "bench/results.jsonl",
};

/** Benchmarks run by a bare `nengo-ts bench` (with the default or given sizes). */
export const DEFAULT_SUITE: readonly string[] = ["integrator", "cconv", "pes"];

/** The parts of `nengo-ts/dl` the runner uses (typed loosely: it is loaded lazily). */
interface DLSimulatorLike {
  runSteps(n: number, opts?: { data?: Map<unknown, number[][][]> }): Promise<unknown>;
  train(opts: Record<string, unknown>): Promise<unknown>;
  close(): void;
}
interface TfEngineLike {
  state: { numBytes: number };
}
interface DLModuleLike {
  Simulator: { create(net: Network, opts: Record<string, unknown>): Promise<DLSimulatorLike> };
  tf?: {
    train?: { sgd?(lr: number): unknown };
    engine?(): TfEngineLike;
    getBackend?(): string;
    backend?(): unknown;
  };
}

/**
 * Track the peak of the tfjs engine's live tensor bytes (`tf.memory().numBytes`) by intercepting its
 * updates: exact at every allocation, no polling. Returns a reader and an uninstaller.
 */
function trackTensorBytes(dl: DLModuleLike): { peak(): number; reset(): void; stop(): void } {
  const engine = dl.tf?.engine?.();
  if (engine === undefined) return { peak: () => NaN, reset: () => {}, stop: () => {} };
  const state = engine.state;
  let cur = state.numBytes;
  let peak = cur;
  Object.defineProperty(state, "numBytes", {
    configurable: true,
    enumerable: true,
    get: () => cur,
    set: (v: number) => {
      cur = v;
      if (v > peak) peak = v;
    },
  });
  return {
    peak: () => peak,
    reset: () => (peak = cur),
    stop: () => {
      Object.defineProperty(state, "numBytes", { configurable: true, enumerable: true, writable: true, value: cur });
    },
  };
}

/** Bytes of the wasm backend's heap (it never shrinks), or undefined on other backends. */
function wasmHeapBytes(dl: DLModuleLike): number | undefined {
  if (dl.tf?.getBackend?.() !== "wasm") return undefined;
  const b = dl.tf.backend?.() as { wasm?: { HEAPU8?: Uint8Array } } | undefined;
  return b?.wasm?.HEAPU8?.buffer.byteLength;
}

/** Seconds per training phase from a Chrome trace written by `train({ profile })`. */
function readTrainSplit(file: string): TrainSplit {
  const trace = JSON.parse(readFileSync(file, "utf8")) as
    { traceEvents?: { name: string; cat?: string; dur?: number }[] } | { name: string; cat?: string; dur?: number }[];
  const events = Array.isArray(trace) ? trace : (trace.traceEvents ?? []);
  const sum = (name: string): number =>
    events.filter((e) => e.cat === "train" && e.name === name).reduce((a, e) => a + (e.dur ?? 0), 0) / 1e6;
  return {
    forward: sum("forward"),
    objective: sum("objective"),
    backward: sum("backward"),
    parameterGradients: sum("parameter gradients"),
    optimizer: sum("optimizer"),
  };
}

/** Load `nengo-ts/dl` only when a dl benchmark runs (reference benchmarks do not pay for tfjs). */
async function loadDL(): Promise<DLModuleLike> {
  return (await import("../dl/index.js")) as unknown as DLModuleLike;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function randn(): number {
  let u = 0;
  while (u === 0) u = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

/** Random normal data `[n][steps][size]` (NengoDL's benchmark inputs and targets). */
function randomData(n: number, steps: number, size: number): number[][][] {
  return Array.from({ length: n }, () => Array.from({ length: steps }, () => Array.from({ length: size }, randn)));
}

/** Validate a config, throwing an Error with a message fit for the command line. */
export function checkConfig(cfg: BenchConfig): void {
  if (!Object.prototype.hasOwnProperty.call(BENCHMARKS, cfg.benchmark)) {
    throw new Error(`unknown benchmark "${cfg.benchmark}"; choose one of ${Object.keys(BENCHMARKS).join(", ")}`);
  }
  if (!Object.prototype.hasOwnProperty.call(NEURON_TYPES, cfg.neuronType)) {
    throw new Error(`unknown neuron type "${cfg.neuronType}"; choose one of ${Object.keys(NEURON_TYPES).join(", ")}`);
  }
  if (cfg.simulator !== "reference" && cfg.simulator !== "dl") {
    throw new Error(`unknown simulator "${String(cfg.simulator)}"; choose reference or dl`);
  }
  if (cfg.simulator === "reference" && (cfg.minibatchSize !== undefined || cfg.train)) {
    throw new Error("--minibatch-size and --train need --simulator dl");
  }
  if (cfg.truncation !== undefined && !cfg.train) throw new Error("--truncation needs --train");
}

/**
 * Run one benchmark configuration: for each repeat, construct the network, build a simulator (timed) and
 * run `steps` steps (timed); report medians. `log` receives progress lines (default: nothing).
 */
export async function runBenchmark(cfg: BenchConfig, log: (line: string) => void = () => {}): Promise<BenchResult> {
  checkConfig(cfg);
  const dl = cfg.simulator === "dl" ? await loadDL() : undefined;
  const warmup = cfg.warmup ?? 0;
  const buildAll: number[] = [];
  const runAll: number[] = [];
  const netAll: number[] = [];
  let neurons = 0;
  const splits: TrainSplit[] = [];
  const tensorPeaks: number[] = [];
  const tracker = dl === undefined ? null : trackTensorBytes(dl);
  const profDir = cfg.train ? mkdtempSync(join(tmpdir(), "nengo-ts-bench-")) : null;
  try {
    for (let r = 0; r < cfg.repeats; r++) {
      let t0 = process.hrtime.bigint();
      const bn: BenchmarkNetwork = makeBenchmark(cfg.benchmark, cfg.dimensions, cfg.neuronsPerDim, cfg.neuronType);
      netAll.push(seconds(t0));
      neurons = countNeurons(bn.net);
      if (dl === undefined) {
        t0 = process.hrtime.bigint();
        const sim = new Simulator(bn.net, { progressBar: false });
        buildAll.push(seconds(t0));
        if (warmup > 0) sim.runSteps(warmup);
        t0 = process.hrtime.bigint();
        sim.runSteps(cfg.steps);
        runAll.push(seconds(t0));
        sim.close();
      } else {
        const mb = cfg.minibatchSize ?? 1;
        t0 = process.hrtime.bigint();
        const sim = await dl.Simulator.create(bn.net, { minibatchSize: mb, progressBar: false, seed: 0 });
        buildAll.push(seconds(t0));
        try {
          if (warmup > 0) {
            await sim.runSteps(warmup, { data: new Map(bn.inputs.map((n) => [n, randomData(mb, warmup, n.sizeOut)])) });
          }
          const data = new Map<unknown, number[][][]>(bn.inputs.map((n) => [n, randomData(mb, cfg.steps, n.sizeOut)]));
          if (cfg.train) {
            data.set(bn.probe, randomData(mb, cfg.steps, bn.probe.sizeIn));
            const sgd = dl.tf?.train?.sgd;
            if (sgd === undefined) throw new Error("nengo-ts/dl does not re-export tf.train.sgd; cannot time training");
            const profile = join(profDir as string, `train-${r}.json`);
            tracker?.reset();
            t0 = process.hrtime.bigint();
            await sim.train({ data, optimizer: sgd(0.001), nEpochs: 1, truncation: cfg.truncation, profile });
            runAll.push(seconds(t0));
            tensorPeaks.push(tracker?.peak() ?? NaN);
            splits.push(readTrainSplit(profile));
          } else {
            tracker?.reset();
            t0 = process.hrtime.bigint();
            await sim.runSteps(cfg.steps, { data });
            runAll.push(seconds(t0));
            tensorPeaks.push(tracker?.peak() ?? NaN);
          }
        } finally {
          sim.close();
        }
      }
      log(
        `${cfg.benchmark} D=${cfg.dimensions} N=${cfg.neuronsPerDim} repeat ${r + 1}/${cfg.repeats}: ` +
          `build ${buildAll[r].toFixed(3)} s, run ${runAll[r].toFixed(3)} s`,
      );
    }
  } finally {
    tracker?.stop();
    if (profDir !== null) rmSync(profDir, { recursive: true, force: true });
  }
  const runSeconds = median(runAll);
  const result: BenchResult = {
    benchmark: cfg.benchmark,
    simulator: cfg.simulator,
    dimensions: cfg.dimensions,
    neuronsPerDim: cfg.neuronsPerDim,
    neuronType: cfg.neuronType,
    steps: cfg.steps,
    repeats: cfg.repeats,
    warmup,
    neurons,
    buildSeconds: median(buildAll),
    runSeconds,
    stepsPerSecond: runSeconds > 0 ? cfg.steps / runSeconds : Infinity,
    buildSecondsAll: buildAll,
    runSecondsAll: runAll,
    networkSeconds: median(netAll),
    peakMemoryMB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    date: new Date().toISOString(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpu: cpus()[0]?.model ?? "unknown",
  };
  if (cfg.simulator === "dl") {
    result.minibatchSize = cfg.minibatchSize ?? 1;
    result.train = cfg.train ?? false;
    const mb = 2 ** 20;
    result.peakTensorMB = Math.round((Math.max(...tensorPeaks) / mb) * 10) / 10;
    const heap = dl === undefined ? undefined : wasmHeapBytes(dl);
    if (heap !== undefined) result.wasmHeapMB = Math.round((heap / mb) * 10) / 10;
    if (cfg.train) {
      if (cfg.truncation !== undefined) result.truncation = cfg.truncation;
      const med = (k: keyof TrainSplit): number => median(splits.map((x) => x[k]));
      result.trainSplit = {
        forward: med("forward"),
        objective: med("objective"),
        backward: med("backward"),
        parameterGradients: med("parameterGradients"),
        optimizer: med("optimizer"),
      };
      result.forwardMsPerStep = Math.round((result.trainSplit.forward / cfg.steps) * 1e5) / 100;
      result.backwardMsPerStep = Math.round((result.trainSplit.backward / cfg.steps) * 1e5) / 100;
    }
  }
  return result;
}

/** Format results as an aligned text table. */
export function formatTable(results: readonly BenchResult[]): string {
  const head = [
    "benchmark",
    "simulator",
    "D",
    "N/D",
    "neurons",
    "steps",
    "build s",
    "run s",
    "steps/s",
    "fwd/bwd ms/step",
    "peak MB",
    "tensor MB",
    "heap MB",
  ];
  const rows = results.map((r) => [
    r.benchmark +
      (r.train ? " (train" + (r.truncation !== undefined ? ` T=${r.truncation}` : "") + ")" : "") +
      (r.minibatchSize && r.minibatchSize > 1 ? ` mb=${r.minibatchSize}` : ""),
    r.simulator,
    String(r.dimensions),
    String(r.neuronsPerDim),
    String(r.neurons),
    String(r.steps),
    r.buildSeconds.toFixed(3),
    r.runSeconds.toFixed(3),
    r.stepsPerSecond.toFixed(0),
    r.forwardMsPerStep !== undefined
      ? `${r.forwardMsPerStep.toFixed(1)}/${(r.backwardMsPerStep ?? NaN).toFixed(1)}`
      : "",
    r.peakMemoryMB.toFixed(0),
    r.peakTensorMB !== undefined ? r.peakTensorMB.toFixed(0) : "",
    r.wasmHeapMB !== undefined ? r.wasmHeapMB.toFixed(0) : "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Append results to a JSON-lines file (its directory is created when missing). */
export function appendResults(file: string, results: readonly BenchResult[]): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, results.map((r) => JSON.stringify(r) + "\n").join(""));
}

/** Options as commander parses them. */
interface BenchCliOptions {
  simulator: SimulatorName;
  dimensions: number;
  neuronsPerDim: number;
  neuronType: string;
  steps: number;
  repeats: number;
  warmup: number;
  minibatchSize?: number;
  train?: boolean;
  truncation?: number;
  out: string;
  save: boolean;
  json?: boolean;
}

/** Add the `bench` command to a commander program. */
export function registerBench(program: Command): Command {
  return program
    .command("bench")
    .description(
      "run NengoDL's benchmark networks and time build and run; with no benchmark name, runs " +
        DEFAULT_SUITE.join(", "),
    )
    .argument("[benchmark]", `one of ${Object.keys(BENCHMARKS).join(", ")}`)
    .addOption(
      new Option("--simulator <name>", "simulator to time")
        .choices(["reference", "dl"])
        .default(BENCH_DEFAULTS.simulator),
    )
    .option("-d, --dimensions <D>", "dimensions", positiveInt("--dimensions"), BENCH_DEFAULTS.dimensions)
    .option(
      "-n, --neurons-per-dim <N>",
      "neurons per dimension",
      positiveInt("--neurons-per-dim"),
      BENCH_DEFAULTS.neuronsPerDim,
    )
    .addOption(
      new Option("--neuron-type <type>", "neuron type")
        .choices(Object.keys(NEURON_TYPES))
        .default(BENCH_DEFAULTS.neuronType),
    )
    .option("-s, --steps <S>", "simulation steps per run", positiveInt("--steps"), BENCH_DEFAULTS.steps)
    .option(
      "-r, --repeats <R>",
      "build+run repeats (medians are reported)",
      positiveInt("--repeats"),
      BENCH_DEFAULTS.repeats,
    )
    .option(
      "-w, --warmup <W>",
      "untimed steps before each timed run (default 0: cold run)",
      nonNegativeInt("--warmup"),
      BENCH_DEFAULTS.warmup,
    )
    .option("--minibatch-size <M>", "minibatch size (dl simulator only)", positiveInt("--minibatch-size"))
    .option("--train", "time one training epoch instead of a run (dl simulator only)")
    .option(
      "--truncation <T>",
      "with --train: steps per truncation window (one optimizer update each; default: all steps)",
      positiveInt("--truncation"),
    )
    .option("-o, --out <file>", "append one JSON line per benchmark to this file", BENCH_DEFAULTS.out)
    .option("--no-save", "do not write the results file")
    .option("--json", "print each result as a JSON line after the table (the last stdout line is JSON)")
    .action(async (benchmark: string | undefined, opts: BenchCliOptions, cmd: Command) => {
      const names = benchmark === undefined ? [...DEFAULT_SUITE] : [benchmark];
      const configs: BenchConfig[] = names.map((name) => ({
        benchmark: name,
        simulator: opts.simulator,
        dimensions: opts.dimensions,
        neuronsPerDim: opts.neuronsPerDim,
        neuronType: opts.neuronType,
        steps: opts.steps,
        repeats: opts.repeats,
        warmup: opts.warmup,
        minibatchSize: opts.minibatchSize,
        train: opts.train,
        truncation: opts.truncation,
      }));
      const results: BenchResult[] = [];
      try {
        for (const c of configs) checkConfig(c);
        for (const c of configs) results.push(await runBenchmark(c, (l) => process.stderr.write(l + "\n")));
      } catch (e) {
        cmd.error(`error: ${(e as Error).message}`, { exitCode: 1 });
      }
      process.stdout.write(formatTable(results) + "\n");
      if (opts.save) {
        const file = resolve(opts.out);
        appendResults(file, results);
        process.stderr.write(`appended ${results.length} result line(s) to ${file}\n`);
      }
      if (opts.json) for (const r of results) process.stdout.write(JSON.stringify(r) + "\n");
    });
}
