/** The reference simulator (Nengo's nengo.Simulator) on float64 typed arrays with merged operators. */
import { build } from "../builder/build.js";
import type { BuiltConnection, BuiltEnsemble, Model } from "../builder/model.js";
import { SimulatorClosed, ValidationError } from "../errors.js";
import { toNested, type NestedArray } from "../arrays.js";
import { Connection } from "../model/connection.js";
import { Ensemble } from "../model/ensemble.js";
import type { Network } from "../model/network.js";
import { Probe } from "../model/probe.js";
import { createProgress } from "../utils/progress.js";
import { type Clock, type CompiledSteps, SignalStore, compileModel } from "./compile.js";
import { ConnectionData, EnsembleData, matRows } from "./data.js";
import { ProbeBuffer } from "./probes.js";

/** Options of `new nengo.Simulator(net, ...)`. */
export interface SimulatorOptions {
  /** Time step in seconds (default 0.001). */
  dt?: number;
  /** Seed overriding the network seed. */
  seed?: number;
  /** Show a progress bar for long runs (default: only on a TTY). */
  progressBar?: boolean;
}

/** `sim.data`: probe data and built parameters. */
export interface SimData {
  get(probe: Probe): number[][];
  get(ens: Ensemble): EnsembleData;
  get(conn: Connection): ConnectionData;
  get(obj: Probe | Ensemble | Connection): number[][] | EnsembleData | ConnectionData;
}

/** Built ensemble parameters as nested arrays. */
export function ensembleData(b: BuiltEnsemble): EnsembleData {
  const arr = (a: Float64Array | null): number[] | null => (a ? Array.from(a) : null);
  return new EnsembleData(
    matRows(b.encoders),
    matRows(b.scaledEncoders),
    arr(b.gain),
    arr(b.bias),
    arr(b.maxRates),
    arr(b.intercepts),
    matRows(b.evalPoints),
  );
}

/** Built connection parameters as nested arrays. */
export function connectionData(b: BuiltConnection, weights: Float64Array = b.weights): ConnectionData {
  return new ConnectionData(
    toNested(weights, b.weightsShape) as NestedArray | number,
    b.evalPoints ? matRows(b.evalPoints) : null,
    b.solverInfo,
  );
}

/** Runs a network's built model step by step, as Nengo's reference simulator. */
export class Simulator {
  /** The built model. */
  readonly model: Model;
  readonly dt: number;
  private readonly store = new SignalStore();
  private readonly clock: Clock = { t: 0 };
  private readonly steps: CompiledSteps;
  /** True until the first step after construction or reset (constant operators run then). */
  private fresh = true;
  private readonly probeBuffers = new Map<Probe, ProbeBuffer>();
  /** Per-step probe recording without map lookups. */
  private readonly probeRecords: { buffer: ProbeBuffer; values: Float64Array; period: number }[] = [];
  private closed = false;
  private readonly progressBar?: boolean;
  /** Steps simulated since the last reset. */
  nSteps = 0;

  /** Build `net` and prepare to simulate it. */
  constructor(
    readonly network: Network,
    opts: SimulatorOptions = {},
  ) {
    this.model = build(network, { dt: opts.dt, seed: opts.seed });
    this.dt = this.model.dt;
    this.progressBar = opts.progressBar;
    this.steps = compileModel(this.model, this.store, this.clock);
    for (const [probe, bp] of this.model.probes) {
      const p = probe as Probe;
      this.probeBuffers.set(p, new ProbeBuffer(bp.signal.size));
      this.probeRecords.push({
        buffer: this.probeBuffers.get(p) as ProbeBuffer,
        values: this.store.get(bp.signal),
        period: bp.period,
      });
    }
  }

  /** Current simulation time (nSteps * dt). */
  get time(): number {
    return this.nSteps * this.dt;
  }

  private checkOpen(): void {
    if (this.closed) throw new SimulatorClosed("Simulator cannot run because it is closed.");
  }

  /** Advance one step. */
  step(): void {
    this.checkOpen();
    this.stepInner();
  }

  private stepInner(): void {
    this.nSteps++;
    this.clock.t = this.nSteps * this.dt;
    const steps = this.fresh ? this.steps.all : this.steps.everyStep;
    this.fresh = false;
    for (let i = 0; i < steps.length; i++) steps[i]();
    const recs = this.probeRecords;
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i];
      if (r.period === 1 || this.nSteps % r.period < 1) r.buffer.push(r.values);
    }
  }

  /** Run `nSteps` steps. */
  runSteps(nSteps: number): void {
    this.checkOpen();
    if (!Number.isInteger(nSteps) || nSteps < 0) {
      throw new ValidationError(`must be a non-negative integer, got ${nSteps}`, "nSteps", "Simulator.runSteps");
    }
    for (const buf of this.probeBuffers.values()) buf.reserve(nSteps);
    const bar = createProgress({ label: "Simulating", total: nSteps, enabled: this.progressBar && nSteps > 0 });
    const every = Math.max(1, Math.floor(nSteps / 100));
    for (let i = 0; i < nSteps; i++) {
      this.stepInner();
      if (i % every === 0) bar.update(i + 1);
    }
    bar.update(nSteps);
    bar.stop();
  }

  /** Run for `timeInSeconds` (rounded to whole steps). */
  run(timeInSeconds: number): void {
    if (typeof timeInSeconds !== "number" || !Number.isFinite(timeInSeconds) || timeInSeconds < 0) {
      throw new ValidationError(
        `must be a non-negative number, got ${String(timeInSeconds)}`,
        "timeInSeconds",
        "Simulator.run",
      );
    }
    this.runSteps(Math.round(timeInSeconds / this.dt));
  }

  /** Times of the recorded samples: dt * [1..nSteps] (or every `sampleEvery` for that probe). */
  trange(opts: { sampleEvery?: number } = {}): number[] {
    const period = opts.sampleEvery === undefined ? 1 : opts.sampleEvery / this.dt;
    const out: number[] = [];
    for (let k = 1; k <= this.nSteps; k++) if (period === 1 || k % period < 1) out.push(k * this.dt);
    return out;
  }

  /** Reset to time 0: signals to their initial values, probe data cleared. */
  reset(): void {
    this.checkOpen();
    this.store.reset();
    this.fresh = true;
    this.nSteps = 0;
    this.clock.t = 0;
    for (const b of this.probeBuffers.values()) b.clear();
  }

  /** Release resources; later calls throw SimulatorClosed. */
  close(): void {
    this.closed = true;
  }

  /** Probe data and built parameters. */
  get data(): SimData {
    return {
      get: (obj: Probe | Ensemble | Connection) => {
        if (obj instanceof Probe) {
          const buf = this.probeBuffers.get(obj);
          if (!buf) throw new ValidationError(`${String(obj)} is not in this simulator's network`, "data", "Simulator");
          const shape = (this.model.probes.get(obj) as { shape: number[] }).shape;
          return toNested(buf.view(), [buf.length, ...shape]) as number[][];
        }
        const b = this.model.params.get(obj);
        if (!b) throw new ValidationError(`${String(obj)} is not in this simulator's network`, "data", "Simulator");
        if (obj instanceof Ensemble) return ensembleData(b as BuiltEnsemble);
        return connectionData(b as BuiltConnection);
      },
    } as SimData;
  }
}
