/**
 * Turns the built model's operators into allocation-free step functions on float64 arrays.
 * Neuron operators of one neuron type are merged (their signals share contiguous storage) so each
 * step runs one neuron update per type.
 */
import { writeFuncResult } from "../builder/node.js";
import type { Model } from "../builder/model.js";
import { type Op, opSignals } from "../builder/ops.js";
import { planOps } from "../builder/plan.js";
import { Signal } from "../builder/signal.js";
import type { NeuronRng } from "../neurons/base.js";
import { RandomState } from "../rng/randomstate.js";
import { makeFilterStep } from "./filters.js";

/** Signal storage: one Float64Array per signal (possibly views into a merged block). */
export class SignalStore {
  readonly arrays = new Map<Signal, Float64Array>();

  /** The array of a signal (allocated and initialised on first use). */
  get(s: Signal): Float64Array {
    let a = this.arrays.get(s);
    if (!a) {
      a = Float64Array.from(s.initial);
      this.arrays.set(s, a);
    }
    return a;
  }

  /** Allocate several signals as consecutive views of one block; returns the block. */
  allocateContiguous(signals: readonly Signal[]): Float64Array {
    const total = signals.reduce((a, s) => a + s.size, 0);
    const block = new Float64Array(total);
    let off = 0;
    for (const s of signals) {
      const view = block.subarray(off, off + s.size);
      view.set(s.initial);
      this.arrays.set(s, view);
      off += s.size;
    }
    return block;
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

/** Merge key used by the reference simulator: neurons of one type. */
function refKey(op: Op): string | null {
  return op.type === "neurons" ? `neurons:${op.neuronType.mergeKey}` : null;
}

/** Compile the model's operators into step functions (one per merged group). */
/** Compiled steps: all of them run on the first step after a reset, only `everyStep` afterwards. */
export interface CompiledSteps {
  all: (() => void)[];
  everyStep: (() => void)[];
}

export function compileModel(model: Model, store: SignalStore, clock: Clock): CompiledSteps {
  const groups = planOps(model.ops, refKey);
  // contiguous storage for merged neuron groups first
  for (const g of groups) {
    if (g.length > 1 && g[0].type === "neurons") {
      const ops = g as Extract<Op, { type: "neurons" }>[];
      store.allocateContiguous(ops.map((o) => o.J));
      store.allocateContiguous(ops.map((o) => o.output));
      for (const key of Object.keys(ops[0].states)) store.allocateContiguous(ops.map((o) => o.states[key]));
    }
  }
  const pesFactors = planPesFactors(model.ops);
  // outputs of spiking neurons are mostly zero: dot products over them skip zeros
  const sparseInputs = new Set<Signal>();
  for (const op of model.ops) if (op.type === "neurons" && op.neuronType.spiking) sparseInputs.add(op.output);
  const constant = constantOps(model.ops);
  const all: (() => void)[] = [];
  const everyStep: (() => void)[] = [];
  for (const g of groups) {
    const f =
      g.length === 1
        ? compileOp(model, g[0], store, clock, sparseInputs, pesFactors)
        : compileNeuronGroup(model, g, store);
    all.push(f);
    if (!(g.length === 1 && constant.has(g[0]))) everyStep.push(f);
  }
  return { all, everyStep };
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

function compileNeuronGroup(model: Model, g: Op[], store: SignalStore): () => void {
  const ops = g as Extract<Op, { type: "neurons" }>[];
  const first = ops[0];
  const total = ops.reduce((a, o) => a + o.J.size, 0);
  const block = (s: Signal): Float64Array => {
    const v = store.get(s);
    return new Float64Array(v.buffer, v.byteOffset, total);
  };
  const J = block(first.J);
  const out = block(first.output);
  const states: Record<string, Float64Array> = {};
  for (const key of Object.keys(first.states)) states[key] = block(first.states[key]);
  const nt = first.neuronType;
  const dt = model.dt;
  const rng = neuronRng(first.neuronType.needsRng, first.seed);
  return () => nt.step(dt, J, out, states, rng);
}

function compileOp(
  model: Model,
  op: Op,
  store: SignalStore,
  clock: Clock,
  sparseInputs: ReadonlySet<Signal>,
  pesFactors: ReadonlyMap<Signal, PesFactors>,
): () => void {
  const dt = model.dt;
  switch (op.type) {
    case "reset": {
      const dst = store.get(op.dst);
      const v = op.value;
      const n = dst.length;
      return () => {
        for (let i = 0; i < n; i++) dst[i] = v;
      };
    }
    case "copy": {
      const factors = op.inc && !op.srcIdx && !op.dstIdx ? pesFactors.get(op.src) : undefined;
      if (factors) {
        // weights += outer(alpha * error, preFiltered), without materialising delta
        const W = store.get(op.dst);
        const fe = store.get(factors.err);
        const fp = store.get(factors.pre);
        const nErr = fe.length;
        const nPre = fp.length;
        return () => {
          const n4 = nPre - (nPre % 4);
          for (let i = 0, off = 0; i < nErr; i++, off += nPre) {
            const e = fe[i];
            if (e === 0) continue;
            let j = 0;
            for (; j < n4; j += 4) {
              W[off + j] += e * fp[j];
              W[off + j + 1] += e * fp[j + 1];
              W[off + j + 2] += e * fp[j + 2];
              W[off + j + 3] += e * fp[j + 3];
            }
            for (; j < nPre; j++) W[off + j] += e * fp[j];
          }
        };
      }
      const src = store.get(op.src);
      const dst = store.get(op.dst);
      const si = op.srcIdx;
      const di = op.dstIdx;
      const n = si ? si.length : src.length;
      // index arrays resolved at compile time (identity where absent), one loop shape per case
      const sIdx = si ?? Int32Array.from({ length: n }, (_, i) => i);
      const dIdx = di ?? Int32Array.from({ length: n }, (_, i) => i);
      if (op.inc) {
        if (!si && !di) {
          return () => {
            for (let i = 0; i < n; i++) dst[i] += src[i];
          };
        }
        return () => {
          for (let i = 0; i < n; i++) dst[dIdx[i]] += src[sIdx[i]];
        };
      }
      if (!si && !di) {
        return () => {
          for (let i = 0; i < n; i++) dst[i] = src[i];
        };
      }
      return () => {
        for (let i = 0; i < n; i++) dst[dIdx[i]] = src[sIdx[i]];
      };
    }
    case "elementwiseInc": {
      const A = store.get(op.A);
      const X = store.get(op.X);
      const Y = store.get(op.Y);
      const n = Y.length;
      if (A.length === 1)
        return () => {
          const a = A[0];
          for (let i = 0; i < n; i++) Y[i] += a * X[X.length === 1 ? 0 : i];
        };
      return () => {
        for (let i = 0; i < n; i++) Y[i] += A[i] * X[X.length === 1 ? 0 : i];
      };
    }
    case "dotInc": {
      const A = store.get(op.A);
      const X = store.get(op.X);
      const Y = store.get(op.Y);
      const rows = Y.length;
      const cols = X.length;
      if (cols === 1) {
        return () => {
          const x = X[0];
          if (x !== 0) for (let i = 0; i < rows; i++) Y[i] += A[i] * x;
        };
      }
      if (cols === 2 && !sparseInputs.has(op.X)) {
        // 2-D ensembles (e.g. the products of CircularConvolution) are common: unrolled
        return () => {
          const x0 = X[0];
          const x1 = X[1];
          for (let i = 0, k = 0; i < rows; i++, k += 2) Y[i] += A[k] * x0 + A[k + 1] * x1;
        };
      }
      if (sparseInputs.has(op.X)) {
        if (op.A.readonly) {
          // spikes are mostly zero: add one contiguous row of Aᵀ per spiking neuron
          const AT = new Float64Array(rows * cols);
          for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) AT[j * rows + i] = A[i * cols + j];
          return () => {
            for (let j = 0; j < cols; j++) {
              const x = X[j];
              if (x === 0) continue;
              for (let i = 0, k = j * rows; i < rows; i++, k++) Y[i] += AT[k] * x;
            }
          };
        }
        // learned weights change every step: read columns of A in place for the few spiking neurons
        return () => {
          for (let j = 0; j < cols; j++) {
            const x = X[j];
            if (x === 0) continue;
            for (let i = 0, k = j; i < rows; i++, k += cols) Y[i] += A[k] * x;
          }
        };
      }
      return () => {
        const c4 = cols - (cols % 4);
        for (let i = 0, off = 0; i < rows; i++, off += cols) {
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          let j = 0;
          for (; j < c4; j += 4) {
            s0 += A[off + j] * X[j];
            s1 += A[off + j + 1] * X[j + 1];
            s2 += A[off + j + 2] * X[j + 2];
            s3 += A[off + j + 3] * X[j + 3];
          }
          for (; j < cols; j++) s0 += A[off + j] * X[j];
          Y[i] += s0 + s1 + (s2 + s3);
        }
      };
    }
    case "neurons": {
      const J = store.get(op.J);
      const out = store.get(op.output);
      const states: Record<string, Float64Array> = {};
      for (const [k, s] of Object.entries(op.states)) states[k] = store.get(s);
      const nt = op.neuronType;
      const rng = neuronRng(nt.needsRng, op.seed);
      return () => nt.step(dt, J, out, states, rng);
    }
    case "synapse":
      return makeFilterStep(op.synapse, dt, store.get(op.input), store.get(op.output), store.get(op.state));
    case "func": {
      const x = op.x ? store.get(op.x) : new Float64Array(0);
      const out = op.output ? store.get(op.output) : null;
      const fn = op.fn;
      const name = op.name;
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
    case "pes": {
      const pre = store.get(op.preFiltered);
      const err = store.get(op.error);
      const nPre = pre.length;
      const nErr = err.length;
      const alpha = (-op.learningRate * dt) / nPre;
      const factors = pesFactors.get(op.delta);
      if (factors) {
        const fe = store.get(factors.err);
        const fp = store.get(factors.pre);
        return () => {
          for (let i = 0; i < nErr; i++) fe[i] = alpha * err[i];
          for (let j = 0; j < nPre; j++) fp[j] = pre[j];
        };
      }
      const delta = store.get(op.delta);
      return () => {
        for (let i = 0; i < nErr; i++) {
          const e = alpha * err[i];
          const off = i * nPre;
          for (let j = 0; j < nPre; j++) delta[off + j] = e * pre[j];
        }
      };
    }
    case "probeRead":
      return () => undefined;
  }
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
