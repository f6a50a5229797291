/**
 * The `nengo-ts bench` command: builds one of NengoDL's benchmark networks (see ./benchmarks.ts), times
 * building and running it on the reference simulator (or the `nengo-ts/dl` simulator when available),
 * prints a table and appends one JSON line per benchmark to a results file.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
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
  /** Peak resident memory of the process so far (MB). */
  peakMemoryMB: number;
  minibatchSize?: number;
  train?: boolean;
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

/** Thrown when the DL simulator is asked for but `nengo-ts/dl` has no Simulator yet. */
export class SimulatorUnavailable extends Error {}

/** The parts of `nengo-ts/dl` the runner uses (typed loosely: that module is optional here). */
interface DLSimulatorLike {
  runSteps(n: number, opts?: { data?: Map<unknown, number[][][]> }): Promise<unknown>;
  train(opts: Record<string, unknown>): Promise<unknown>;
  close(): void;
}
interface DLModuleLike {
  Simulator: { create(net: Network, opts: Record<string, unknown>): Promise<DLSimulatorLike> };
  tf?: { train?: { sgd?(lr: number): unknown } };
}

/** Load `nengo-ts/dl` if it exists and exports `Simulator.create`, else undefined. */
export async function loadDL(): Promise<DLModuleLike | undefined> {
  const url = new URL("../dl/index.js", import.meta.url).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dl/index.js")) return undefined;
    throw e;
  }
  const sim = mod.Simulator as { create?: unknown } | undefined;
  return sim !== undefined && typeof sim.create === "function" ? (mod as unknown as DLModuleLike) : undefined;
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
}

/**
 * Run one benchmark configuration: for each repeat, construct the network, build a simulator (timed) and
 * run `steps` steps (timed); report medians. `log` receives progress lines (default: nothing).
 * @throws SimulatorUnavailable for `simulator: "dl"` when `nengo-ts/dl` does not export a Simulator.
 */
export async function runBenchmark(cfg: BenchConfig, log: (line: string) => void = () => {}): Promise<BenchResult> {
  checkConfig(cfg);
  let dl: DLModuleLike | undefined;
  if (cfg.simulator === "dl") {
    dl = await loadDL();
    if (dl === undefined) {
      throw new SimulatorUnavailable(
        "the dl simulator is not available yet: nengo-ts/dl (src/dl/index.ts) does not export a Simulator; use --simulator reference",
      );
    }
  }
  const warmup = cfg.warmup ?? 0;
  const buildAll: number[] = [];
  const runAll: number[] = [];
  const netAll: number[] = [];
  let neurons = 0;
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
          t0 = process.hrtime.bigint();
          await sim.train({ data, optimizer: sgd(0.001), nEpochs: 1 });
          runAll.push(seconds(t0));
        } else {
          t0 = process.hrtime.bigint();
          await sim.runSteps(cfg.steps, { data });
          runAll.push(seconds(t0));
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
  }
  return result;
}

/** Format results as an aligned text table. */
export function formatTable(results: readonly BenchResult[]): string {
  const head = ["benchmark", "simulator", "D", "N/D", "neurons", "steps", "build s", "run s", "steps/s", "peak MB"];
  const rows = results.map((r) => [
    r.benchmark +
      (r.train ? " (train)" : "") +
      (r.minibatchSize && r.minibatchSize > 1 ? ` mb=${r.minibatchSize}` : ""),
    r.simulator,
    String(r.dimensions),
    String(r.neuronsPerDim),
    String(r.neurons),
    String(r.steps),
    r.buildSeconds.toFixed(3),
    r.runSeconds.toFixed(3),
    r.stepsPerSecond.toFixed(0),
    r.peakMemoryMB.toFixed(0),
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

function positiveInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}".`);
    return n;
  };
}

function nonNegativeInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${v}".`);
    return n;
  };
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
