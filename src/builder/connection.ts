/** Connection builder, as Nengo's build_connection (decoders, weights, synapse, learning rule). */
import { BuildError } from "../errors.js";
import { type Mat, matmul, transpose, zeros } from "../linalg/mat.js";
import { Connection } from "../model/connection.js";
import { Ensemble, Neurons } from "../model/ensemble.js";
import { LearningRule, PES } from "../model/learning.js";
import { Node } from "../model/node.js";
import { Direct } from "../neurons/index.js";
import { RandomState } from "../rng/randomstate.js";
import { NoSolver } from "../solvers/index.js";
import type { BuiltConnection, BuiltEnsemble, Model } from "./model.js";
import { genEvalPoints, getSamples } from "./samples.js";
import { spec } from "./ensemble.js";
import { Signal } from "./signal.js";
import { buildOrPassthrough } from "./synapse.js";

/** A signal restricted to `idx` (a Copy into a new signal), or the signal itself when idx is null. */
export function sliceSignal(model: Model, signal: Signal, idx: readonly number[] | null, name: string): Signal {
  if (idx === null) return signal;
  const out = new Signal(`${name}.sliced`, idx.length);
  model.addOp({ type: "copy", src: signal, dst: out, srcIdx: Int32Array.from(idx), dstIdx: null, inc: false });
  return out;
}

/** Build a connection. `postSignal` overrides the post input (used for probe connections). */
export function buildConnection(model: Model, conn: Connection, postSignal?: Signal): void {
  const seed = model.seeds.get(conn);
  if (seed === undefined) throw new BuildError(`${String(conn)} is not in the model being built`);
  const rng = new RandomState(seed);
  const pre = conn.preObj;
  const post = conn.postObj;
  const preSig = model.sig.get(pre)?.out;
  if (!preSig) throw new BuildError(`Building ${String(conn)}: the pre object ${String(pre)} is not in the model`);
  let outSig = postSignal ?? model.sig.get(post)?.in;
  if (!outSig) throw new BuildError(`Building ${String(conn)}: the post object ${String(post)} is not in the model`);
  const sig = model.sigOf(conn);
  sig.in = preSig;

  let decoders: Mat | null = null; // [sizeMid x nNeurons]
  let postEncoders: Mat | null = null; // [nPost x sizeOut]
  let evalPoints: Mat | null = null;
  let solverInfo: Record<string, unknown> | null = null;
  let postSlice = conn.postSlice;
  let inSignal: Signal;
  const name = String(conn);

  if (pre instanceof Node || (pre instanceof Ensemble && pre.neuronType instanceof Direct)) {
    const sliced = sliceSignal(model, preSig, conn.preSlice, name);
    if (conn.function === null) {
      inSignal = sliced;
    } else {
      inSignal = new Signal(`${name}.func`, conn.sizeMid);
      const fn = conn.function;
      model.addOp({ type: "func", fn: (_t, x) => fn(x), withTime: false, x: sliced, output: inSignal, name });
    }
  } else if (pre instanceof Ensemble) {
    inSignal = preSig;
    const r = buildDecoders(model, conn, pre, rng);
    decoders = r.decoders;
    evalPoints = r.evalPoints;
    solverInfo = r.info;
    if (conn.solver.weights && post instanceof Ensemble) {
      outSig = model.sig.get(post.neurons)?.in as Signal;
      const pe = (model.params.get(post) as BuiltEnsemble).scaledEncoders;
      const rows = conn.postSlice ?? Array.from({ length: pe.cols }, (_, i) => i);
      postEncoders = { rows: pe.rows, cols: rows.length, data: new Float64Array(pe.rows * rows.length) };
      for (let i = 0; i < pe.rows; i++)
        rows.forEach((c, j) => ((postEncoders as Mat).data[i * rows.length + j] = pe.data[i * pe.cols + c]));
      postSlice = null;
    }
  } else {
    inSignal = sliceSignal(model, preSig, conn.preSlice, name);
  }

  // weights = transform (x) decoders (x) post encoders, as Nengo's build_dense/multiply
  const t = conn.transform;
  let w: Float64Array;
  let wShape: number[];
  if (t.dist) {
    w = getSamples(t.dist, t.shape[0], t.shape[1], rng, `${name}.transform`);
    wShape = [t.shape[0], t.shape[1]];
  } else if (t.kind === "dense") {
    w = Float64Array.from(t.data as Float64Array);
    wShape = [t.shape[0], t.shape[1]];
  } else {
    w = Float64Array.from(t.data as Float64Array);
    wShape = t.kind === "scalar" ? [] : [w.length];
  }
  if (decoders !== null) ({ w, wShape } = multiply(w, wShape, decoders.data, [decoders.rows, decoders.cols]));
  if (postEncoders !== null)
    ({ w, wShape } = multiply(postEncoders.data, [postEncoders.rows, postEncoders.cols], w, wShape));

  const weights = new Signal(`${name}.weights`, w, { shape: wShape.length === 0 ? [1] : wShape, readonly: true });
  const weightedSize = wShape.length === 2 ? wShape[0] : inSignal.size;
  let weighted = new Signal(`${name}.weighted`, weightedSize);
  model.addOp({ type: "reset", dst: weighted, value: 0 });
  model.addOp(
    wShape.length === 2
      ? { type: "dotInc", A: weights, X: inSignal, Y: weighted }
      : { type: "elementwiseInc", A: weights, X: inSignal, Y: weighted },
  );
  sig.weights = weights;
  if (conn.synapse !== null) weighted = buildOrPassthrough(model, conn.synapse, weighted, name);
  sig.weighted = weighted;

  if (post instanceof Neurons) {
    const gainAll = (model.params.get(post.ensemble) as BuiltEnsemble).gain as Float64Array;
    const idx = postSlice;
    const gains = new Signal(
      `${name}.gains`,
      idx ? Float64Array.from(idx, (i) => gainAll[i]) : Float64Array.from(gainAll),
      {
        readonly: true,
      },
    );
    if (idx === null) {
      model.addOp({ type: "elementwiseInc", A: gains, X: weighted, Y: outSig });
    } else {
      const slicedOut = new Signal(`${name}.sliced_out`, idx.length);
      model.addOp({ type: "reset", dst: slicedOut, value: 0 });
      model.addOp({ type: "copy", src: slicedOut, dst: outSig, srcIdx: null, dstIdx: Int32Array.from(idx), inc: true });
      model.addOp({ type: "elementwiseInc", A: gains, X: weighted, Y: slicedOut });
    }
  } else {
    model.addOp({
      type: "copy",
      src: weighted,
      dst: outSig,
      srcIdx: null,
      dstIdx: postSlice ? Int32Array.from(postSlice) : null,
      inc: true,
    });
  }

  if (conn.learningRule !== null) buildLearningRule(model, conn.learningRule, weights);

  const built: BuiltConnection = { evalPoints, solverInfo, weights: Float64Array.from(w), weightsShape: wShape };
  model.params.set(conn, built);
}

/** Nengo's `multiply`: scalar/diagonal times matrix, or matrix product. */
function multiply(x: Float64Array, xs: number[], y: Float64Array, ys: number[]): { w: Float64Array; wShape: number[] } {
  if (xs.length < 2 && ys.length < 2) {
    const n = Math.max(x.length, y.length);
    return {
      w: Float64Array.from({ length: n }, (_, i) => x[x.length === 1 ? 0 : i] * y[y.length === 1 ? 0 : i]),
      wShape: n === 1 && xs.length === 0 && ys.length === 0 ? [] : [n],
    };
  }
  if (xs.length < 2 && ys.length === 2) {
    const [r, c] = ys;
    const w = new Float64Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) w[i * c + j] = x[x.length === 1 ? 0 : i] * y[i * c + j];
    return { w, wShape: [r, c] };
  }
  if (xs.length === 2 && ys.length < 2) {
    const [r, c] = xs;
    const w = new Float64Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) w[i * c + j] = x[i * c + j] * y[y.length === 1 ? 0 : j];
    return { w, wShape: [r, c] };
  }
  const [r, k] = xs;
  const c = ys[1];
  const w = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let kk = 0; kk < k; kk++) {
      const a = x[i * k + kk];
      if (a === 0) continue;
      for (let j = 0; j < c; j++) w[i * c + j] += a * y[kk * c + j];
    }
  }
  return { w, wShape: [r, c] };
}

/** Solve for decoders as Nengo's build_decoders; returns decoders transposed to [sizeMid x nNeurons]. */
function buildDecoders(
  model: Model,
  conn: Connection,
  ens: Ensemble,
  rng: RandomState,
): { decoders: Mat; evalPoints: Mat | null; info: Record<string, unknown> } {
  const built = model.params.get(ens) as BuiltEnsemble;
  const n = ens.nNeurons;
  const d = ens.dimensions;
  if (conn.solver instanceof NoSolver) {
    const A = { rows: 1, cols: n, data: new Float64Array(n) };
    const Y = { rows: 1, cols: conn.sizeMid, data: new Float64Array(conn.sizeMid) };
    const { decoders, info } = conn.solver.solve(A, Y);
    return { decoders: transpose(decoders), evalPoints: null, info };
  }
  // eval points: the connection's own (scaled by radius if scaleEvalPoints) or the ensemble's
  let ep: Mat;
  if (conn.evalPoints === undefined) {
    ep = built.evalPoints;
  } else {
    const data = genEvalPoints(
      spec(conn.evalPoints, `${String(conn)}.evalPoints`),
      undefined,
      n,
      d,
      conn.scaleEvalPoints ? ens.radius : 1,
      rng,
    );
    ep = { rows: data.length / d, cols: d, data };
  }
  const m = ep.rows;
  // targets = function(eval points) on the pre slice
  const sizeMid = conn.sizeMid;
  const targets = new Float64Array(m * sizeMid);
  const preIdx = conn.preSlice;
  for (let i = 0; i < m; i++) {
    const row = ep.data.subarray(i * d, (i + 1) * d);
    const x = preIdx ? Float64Array.from(preIdx, (k) => row[k]) : Float64Array.from(row);
    if (conn.function === null) {
      targets.set(x, i * sizeMid);
    } else {
      const y = conn.function(x);
      if (typeof y === "number") targets[i * sizeMid] = y;
      else for (let j = 0; j < sizeMid; j++) targets[i * sizeMid + j] = y[j];
    }
  }
  let Y: Mat = { rows: m, cols: sizeMid, data: targets };
  if (conn.solver.weights && !conn.solver.compositional) {
    // non-compositional: targets = targets @ transform.T @ postEnc.T[postSlice]
    const post = conn.postObj as Ensemble;
    const t = conn.transform;
    const tw = t.dist
      ? getSamples(t.dist, t.shape[0], t.shape[1], rng, `${String(conn)}.transform`)
      : (t.data as Float64Array);
    const tm: Mat =
      t.kind === "dense"
        ? { rows: t.shape[0], cols: t.shape[1], data: tw }
        : { rows: sizeMid, cols: sizeMid, data: diag(tw, sizeMid) };
    Y = matmul(Y, transpose(tm)); // m x postSize
    const pe = (model.params.get(post) as BuiltEnsemble).scaledEncoders; // nPost x dPost
    const idx = conn.postSlice ?? Array.from({ length: pe.cols }, (_, i) => i);
    const peS: Mat = { rows: pe.rows, cols: idx.length, data: new Float64Array(pe.rows * idx.length) };
    for (let i = 0; i < pe.rows; i++) idx.forEach((c, j) => (peS.data[i * idx.length + j] = pe.data[i * pe.cols + c]));
    Y = matmul(Y, transpose(peS)); // m x nPost
  }
  // activities = rates(eval points @ encoders.T / radius), shared by connections from the same ensemble
  const A = conn.evalPoints === undefined ? ensembleActivities(ens, built) : activities(ens, built, ep);
  if (!A.data.some((v) => v !== 0)) {
    throw new BuildError(
      `Building ${String(conn)}: 'activities' matrix is all zero for ${String(ens)}. This is because no evaluation points fall in the firing ranges of any neurons.`,
    );
  }
  const { decoders, info } = conn.solver.solve(A, Y, rng);
  return { decoders: transpose(decoders), evalPoints: ep, info };
}

/** Activities of an ensemble on its own eval points (cached: several connections solve on them). */
function ensembleActivities(ens: Ensemble, built: BuiltEnsemble): Mat {
  let A = activityCache.get(built);
  if (!A) {
    A = activities(ens, built, built.evalPoints);
    activityCache.set(built, A);
  }
  return A;
}

const activityCache = new WeakMap<BuiltEnsemble, Mat>();

/**
 * Firing rates [points x neurons] for eval points `ep`: currents `gain * (ep @ encodersᵀ / radius) + bias`
 * for a block of eval points at a time (`matmul`: WebAssembly SIMD for large blocks, each current summed over
 * dimensions in order), then the rates row by row.
 */
function activities(ens: Ensemble, built: BuiltEnsemble, ep: Mat): Mat {
  const n = ens.nNeurons;
  const d = ens.dimensions;
  const m = ep.rows;
  const encT = transpose(built.encoders); // d x n
  const gain = built.gain as Float64Array;
  const bias = built.bias as Float64Array;
  const out = new Float64Array(m * n);
  const block = Math.max(1, Math.min(m, Math.floor((1 << 20) / Math.max(n, 1)))); // ~8 MB of currents
  for (let i0 = 0; i0 < m; i0 += block) {
    const rows = Math.min(block, m - i0);
    const x = zeros(rows, d);
    for (let q = 0; q < rows * d; q++) x.data[q] = ep.data[i0 * d + q] / ens.radius;
    const J = matmul(x, encT).data;
    for (let p = 0; p < rows; p++) {
      const row = J.subarray(p * n, (p + 1) * n);
      for (let k = 0; k < n; k++) row[k] = gain[k] * row[k] + bias[k];
      out.set(ens.neuronType.ratesFromCurrent(row), (i0 + p) * n);
    }
  }
  return { rows: m, cols: n, data: out };
}

function diag(v: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = v.length === 1 ? v[0] : v[i];
  return out;
}

/** Create the error input signal of a learning rule (built before any connection into it). */
export function buildLearningRuleInput(model: Model, rule: LearningRule): void {
  const error = new Signal(`${String(rule)}.error`, rule.sizeIn);
  model.addOp({ type: "reset", dst: error, value: 0 });
  model.sigOf(rule).in = error;
}

/** PES: delta signal, Copy(delta -> weights, inc) and the PES op, as Nengo 4. */
function buildLearningRule(model: Model, rule: LearningRule, weights: Signal): void {
  const conn = rule.connection;
  if (!(rule.ruleType instanceof PES)) throw new BuildError(`${String(rule.ruleType)} is not supported`);
  if (weights.shape.length < 2) {
    throw new BuildError(`Building ${String(conn)}: 'transform' must be a 2-dimensional array for learning`);
  }
  weights.readonly = false;
  const delta = new Signal(`${String(rule)}.delta`, weights.shape);
  model.addOp({ type: "copy", src: delta, dst: weights, srcIdx: null, dstIdx: null, inc: true });
  const rsig = model.sigOf(rule);
  rsig.delta = delta;
  const error = rsig.in;
  const pre = conn.preObj;
  const preOut = (model.sig.get(pre) as Record<string, Signal>).out;
  const acts = buildOrPassthrough(
    model,
    rule.ruleType.preSynapse,
    pre instanceof Neurons ? sliceSignal(model, preOut, conn.preSlice, String(rule)) : preOut,
    `${String(rule)}.pre`,
    "set", // Nengo 4 builds learning-rule filters as Processes in "set" mode: no one-step delay
  );
  const toNeurons = conn.postObj instanceof Neurons || conn.solver.weights;
  let localError = error;
  if (toNeurons) {
    const post = conn.postObj instanceof Neurons ? conn.postObj.ensemble : (conn.postObj as Ensemble);
    const enc = (model.sig.get(post) as Record<string, Signal>).encoders;
    // encoders restricted to the post slice (columns for an Ensemble post, rows for Neurons)
    const idx = conn.postSlice;
    if (idx !== null)
      throw new BuildError(`PES on ${String(conn)}: slices on non-decoded connections are not supported`);
    localError = new Signal(`${String(rule)}.localError`, enc.shape[0]);
    model.addOp({ type: "reset", dst: localError, value: 0 });
    model.addOp({ type: "dotInc", A: enc, X: error, Y: localError });
  }
  model.addOp({
    type: "pes",
    preFiltered: acts,
    error: localError,
    delta,
    learningRate: rule.ruleType.learningRate,
  });
  rsig.activities = acts;
}
