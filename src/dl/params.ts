/**
 * Trained parameters of the differentiable simulator: their structural identity, the live values
 * behind `sim.data.get(ens | conn)` (NengoDL's SimulationData rules), the on-disk format of
 * `saveParams`/`loadParams`, and the values `freezeParams` writes back into the model objects.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuiltConnection, BuiltEnsemble, Model } from "../builder/model.js";
import type { SynapseOp } from "../builder/ops.js";
import type { Signal } from "../builder/signal.js";
import { ValidationError } from "../errors.js";
import { Connection } from "../model/connection.js";
import { Ensemble, Neurons } from "../model/ensemble.js";
import { Network } from "../model/network.js";
import { Direct } from "../neurons/index.js";
import { ConnectionData, EnsembleData } from "../simulator/data.js";
import { connectionData } from "../simulator/simulator.js";
import { NoSolver } from "../solvers/index.js";
import { crc32c } from "../tensorboard/crc32c.js";
import { resolveTransform } from "../model/transforms.js";
import { writeFilesAtomic } from "../utils/atomic.js";
import type { CompiledModel } from "./compile.js";

/** Nengo's `net.all_ensembles` order: the network's own ensembles, then each subnetwork's, depth first. */
export function allEnsembles(net: Network): Ensemble[] {
  return [...net.ensembles, ...net.networks.flatMap(allEnsembles)];
}

/** Nengo's `net.all_connections` order (own connections, then each subnetwork's, depth first). */
export function allConnections(net: Network): Connection[] {
  return [...net.connections, ...net.networks.flatMap(allConnections)];
}

/** One array of a saved-params directory, with its structural identity and how errors describe it. */
export interface ArraySlot {
  /** Structural key (independent of labels and process-unique ids), e.g. `Ensemble[0].encoders`. */
  key: string;
  /** Shape of the array. */
  shape: number[];
  /** Label of its object (informational; written to the manifest, not checked on load). */
  label: string | null;
  /** How error messages name it (`Ensemble[0].encoders of <Ensemble "a">`). */
  describe: string;
}

/** One parameter (trainable or not) with its structural identity. */
export interface ParamSlot extends ArraySlot {
  /** Structural key: `Ensemble[i].encoders`, `Ensemble[i].neurons.bias` or `Connection[j].weights`. */
  key: string;
  /** The object the parameter belongs to. */
  obj: Ensemble | Neurons | Connection;
  /** Its signal in the built model. */
  signal: Signal;
}

function labelOf(obj: Ensemble | Neurons | Connection): string | null {
  const l = obj instanceof Neurons ? obj.ensemble.label : obj.label;
  return l === undefined || l === null ? null : String(l);
}

/**
 * Every parameter signal of `net` in structural order, with its key: for every ensemble in
 * `all_ensembles` order its scaled encoders and its neurons' bias, then every connection's weights
 * in `all_connections` order.
 */
function parameters(
  net: Network,
  model: Model,
): { key: string; obj: Ensemble | Neurons | Connection; signal: Signal }[] {
  const out: { key: string; obj: Ensemble | Neurons | Connection; signal: Signal }[] = [];
  const add = (key: string, obj: Ensemble | Neurons | Connection, signal: Signal | undefined): void => {
    if (signal !== undefined) out.push({ key, obj, signal });
  };
  allEnsembles(net).forEach((ens, i) => {
    add(`Ensemble[${i}].encoders`, ens, model.sig.get(ens)?.encoders);
    add(`Ensemble[${i}].neurons.bias`, ens.neurons, model.sig.get(ens.neurons)?.bias);
  });
  allConnections(net).forEach((conn, j) => add(`Connection[${j}].weights`, conn, model.sig.get(conn)?.weights));
  return out;
}

/** The signals of every parameter of `net` (scaled encoders, biases, connection weights), trainable or not. */
export function parameterSignals(net: Network, model: Model): Signal[] {
  return parameters(net, model).map((p) => p.signal);
}

/**
 * The parameters of `net` that are in `shapes` (a map from signal to its variable's shape), in
 * structural order (see {@link parameterSignals}).
 */
export function paramSlots(net: Network, model: Model, shapes: Map<Signal, readonly number[]>): ParamSlot[] {
  const out: ParamSlot[] = [];
  for (const { key, obj, signal } of parameters(net, model)) {
    const shape = shapes.get(signal);
    if (shape !== undefined)
      out.push({ key, obj, signal, shape: [...shape], label: labelOf(obj), describe: `${key} of ${String(obj)}` });
  }
  return out;
}

/**
 * One piece of simulation state: a neuron state of an ensemble (`Ensemble[i].neurons.voltage`, shape
 * `[mb, n]`), or the output (`Synapse[k].output`, `[mb, n]`) or filter state (`Synapse[k].state`,
 * `[mb, order, n]`) of the k-th compiled synapse in the model's operator order. Its values are
 * columns `off .. off + n` of the state tensors `tensors` (one per middle index).
 */
export interface StateSlot extends ArraySlot {
  tensors: number[];
  off: number;
  n: number;
}

/** The simulation state of a compiled model as structural slots (see {@link StateSlot}) for minibatch `mb`. */
export function stateSlots(net: Network, cm: CompiledModel, mb: number): StateSlot[] {
  const model = cm.model;
  const out: StateSlot[] = [];
  const ensOf = new Map<Signal, { i: number; ens: Ensemble }>();
  allEnsembles(net).forEach((ens, i) => {
    const j = model.sig.get(ens.neurons)?.in;
    if (j) ensOf.set(j, { i, ens });
  });
  const synPos = new Map<SynapseOp, { g: CompiledModel["synapseGroups"][number]; i: number }>();
  for (const g of cm.synapseGroups) g.ops.forEach((op, i) => synPos.set(op, { g, i }));
  let k = 0;
  for (const op of model.ops) {
    if (op.type !== "synapse") continue;
    const pos = synPos.get(op);
    if (!pos) continue; // pruned (nothing reads it): no state
    const { g, i } = pos;
    const n = op.input.size;
    const off = g.gather.offsets[i];
    const label = op.output.name;
    out.push({
      key: `Synapse[${k}].output`,
      shape: [mb, n],
      label,
      describe: `Synapse[${k}].output (${label})`,
      tensors: [g.stateIndex],
      off,
      n,
    });
    if (g.order > 0) {
      out.push({
        key: `Synapse[${k}].state`,
        shape: [mb, g.order, n],
        label,
        describe: `Synapse[${k}].state (${label})`,
        tensors: Array.from({ length: g.order }, (_, q) => g.stateIndex + 1 + q),
        off,
        n,
      });
    }
    k++;
  }
  // neuron states by ensemble (all_ensembles order), then in the neuron type's state order
  const neurons: { i: number; q: number; slot: StateSlot }[] = [];
  for (const g of cm.neuronGroups) {
    let off = 0;
    for (const op of g.ops) {
      const owner = ensOf.get(op.J);
      if (!owner) throw new Error(`internal: neuron operator without an ensemble (${op.J.name})`);
      const base = `Ensemble[${owner.i}].neurons`;
      g.stateKeys.forEach((key, q) => {
        const slot: StateSlot = {
          key: `${base}.${key}`,
          shape: [mb, op.J.size],
          label: labelOf(owner.ens),
          describe: `${base}.${key} of ${String(owner.ens)}`,
          tensors: [g.stateIndex + q],
          off,
          n: op.J.size,
        };
        neurons.push({ i: owner.i, q, slot });
      });
      off += op.J.size;
    }
  }
  neurons.sort((a, b) => a.i - b.i || a.q - b.q);
  return [...out, ...neurons.map((x) => x.slot)];
}

/** The values of `slots` (row-major `[mb][parts][n]`) from the state tensors' values (`[mb][size]` each). */
export function extractState(slots: StateSlot[], state: Float32Array[], mb: number): Float32Array[] {
  return slots.map((s) => {
    const out = new Float32Array(mb * s.tensors.length * s.n);
    s.tensors.forEach((t, q) => {
      const size = state[t].length / mb;
      for (let b = 0; b < mb; b++)
        out.set(state[t].subarray(b * size + s.off, b * size + s.off + s.n), (b * s.tensors.length + q) * s.n);
    });
    return out;
  });
}

/** Write the values of `slots` (as {@link extractState} gives them) into copies of the state tensors' values. */
export function insertState(
  slots: StateSlot[],
  values: Float32Array[],
  state: Float32Array[],
  mb: number,
): Float32Array[] {
  const out = state.map((v) => Float32Array.from(v));
  slots.forEach((s, i) => {
    s.tensors.forEach((t, q) => {
      const size = out[t].length / mb;
      for (let b = 0; b < mb; b++) {
        const src = (b * s.tensors.length + q) * s.n;
        out[t].set(values[i].subarray(src, src + s.n), b * size + s.off);
      }
    });
  });
  return out;
}

function norm(a: ArrayLike<number>, off: number, n: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += a[off + j] * a[off + j];
  return Math.sqrt(s);
}

function rows(a: ArrayLike<number>, r: number, c: number): number[][] {
  return Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => a[i * c + j]));
}

/**
 * `sim.data.get(ens)` from live values, as NengoDL: `scaledEncoders` and `bias` are the current
 * values; `gain = radius * |scaled row| / |built encoder row|`, `encoders = radius * scaled / gain`,
 * `maxRates, intercepts = neuronType.maxRatesIntercepts(gain, bias)`; Direct ensembles have
 * `gain = bias = null` and `encoders = scaledEncoders`.
 */
export function liveEnsembleData(
  ens: Ensemble,
  built: BuiltEnsemble,
  scaled: ArrayLike<number>,
  bias: ArrayLike<number> | null,
): EnsembleData {
  const r = built.encoders.rows;
  const d = built.encoders.cols;
  const evalPoints = rows(built.evalPoints.data, built.evalPoints.rows, built.evalPoints.cols);
  if (ens.neuronType instanceof Direct || bias === null) {
    const s = rows(scaled, r, d);
    return new EnsembleData(
      s,
      rows(scaled, r, d),
      null,
      null,
      built.maxRates ? Array.from(built.maxRates) : null,
      built.intercepts ? Array.from(built.intercepts) : null,
      evalPoints,
    );
  }
  const gain = new Float64Array(r);
  const enc = new Float64Array(r * d);
  for (let i = 0; i < r; i++) {
    gain[i] = (ens.radius * norm(scaled, i * d, d)) / norm(built.encoders.data, i * d, d);
    for (let j = 0; j < d; j++) enc[i * d + j] = (ens.radius * scaled[i * d + j]) / gain[i];
  }
  const b = Float64Array.from(bias);
  const { maxRates, intercepts } = ens.neuronType.maxRatesIntercepts(gain, b);
  return new EnsembleData(
    rows(enc, r, d),
    rows(scaled, r, d),
    Array.from(gain),
    Array.from(b),
    Array.from(maxRates),
    Array.from(intercepts),
    evalPoints,
  );
}

/** `sim.data.get(conn)`: the built connection data with the live weights. */
export function liveConnectionData(built: BuiltConnection, weights: ArrayLike<number>): ConnectionData {
  return connectionData(built, Float64Array.from(weights));
}

// ------------------------------------------------------------------ save / load

/** Name of the manifest inside a saved-params directory. */
export const MANIFEST_FILE = "params.json";
/** Name of the binary data file inside a saved-params directory. */
export const DATA_FILE = "params.bin";
/** The `format` string of the manifest. */
export const PARAMS_FORMAT = "nengo-ts-dl-params";
/** The manifest version written. Version 1 files (trainable parameters only) are read too. */
export const PARAMS_VERSION = 2;

/** One array in the manifest. */
export interface ManifestEntry {
  /** Structural key (see {@link ArraySlot.key}). */
  key: string;
  /** Label of the object when saved (informational; not checked on load). */
  label: string | null;
  /** Shape of the array. */
  shape: number[];
  /** Offset into the data file, in float32 elements. */
  offset: number;
  /** Number of float32 elements. */
  length: number;
}

/** The JSON manifest (`params.json`) of a saved-params directory. */
export interface ParamsManifest {
  format: typeof PARAMS_FORMAT;
  version: number;
  dtype: "float32";
  byteOrder: "little";
  /** Data file name, relative to the directory. */
  data: string;
  /** Total number of float32 elements in the data file. */
  totalLength: number;
  /** CRC-32C (Castagnoli) of the data file's bytes. */
  crc32c: number;
  /** Whether the global part was saved (`includeGlobal`): `params` and `trainingStep`. */
  includeGlobal: boolean;
  /** Whether the local part was saved (`includeLocal`): `localParams` and `state`. */
  includeLocal: boolean;
  /** Training updates the simulator had done (global part; null without it). */
  trainingStep: number | null;
  /** The trainable parameters (global part; empty without it). */
  params: ManifestEntry[];
  /** The non-trainable parameters (local part; empty without it). */
  localParams: ManifestEntry[];
  /** The simulation state: neuron and synapse states (local part; empty without it). */
  state: ManifestEntry[];
}

/** What {@link writeParams} saves: each part's slots and values (same order), null when not included. */
export interface ParamsContent {
  /** Trainable parameters and the training step (`includeGlobal`). */
  global: { params: ArraySlot[]; values: Float32Array[]; trainingStep: number } | null;
  /** Non-trainable parameters and the simulation state (`includeLocal`). */
  local: { params: ArraySlot[]; values: Float32Array[]; state: ArraySlot[]; stateValues: Float32Array[] } | null;
}

/** What {@link readParams} should read: this simulator's slots of each wanted part, null for parts not loaded. */
export interface ParamsRequest {
  global: ArraySlot[] | null;
  local: { params: ArraySlot[]; state: ArraySlot[] } | null;
}

/** The values {@link readParams} read, in the order of the requested slots. */
export interface ParamsValues {
  global: { values: Float32Array[]; trainingStep: number } | null;
  local: { values: Float32Array[]; stateValues: Float32Array[] } | null;
}

/** Serialise `content` into the manifest and data file and write them atomically into the directory `path`. */
export async function writeParams(path: string, content: ParamsContent): Promise<void> {
  const lists: [ArraySlot[], Float32Array[]][] = [];
  if (content.global) lists.push([content.global.params, content.global.values]);
  if (content.local)
    lists.push([content.local.params, content.local.values], [content.local.state, content.local.stateValues]);
  const total = lists.reduce((a, [, vs]) => a + vs.reduce((b, v) => b + v.length, 0), 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let off = 0;
  const entries = ([slots, values]: [ArraySlot[], Float32Array[]]): ManifestEntry[] =>
    slots.map((s, i) => {
      const v = values[i];
      for (let k = 0; k < v.length; k++) view.setFloat32((off + k) * 4, v[k], true);
      const e = { key: s.key, label: s.label, shape: s.shape, offset: off, length: v.length };
      off += v.length;
      return e;
    });
  const params = content.global ? entries(lists[0]) : [];
  const localParams = content.local ? entries(lists[lists.length - 2]) : [];
  const state = content.local ? entries(lists[lists.length - 1]) : [];
  const manifest: ParamsManifest = {
    format: PARAMS_FORMAT,
    version: PARAMS_VERSION,
    dtype: "float32",
    byteOrder: "little",
    data: DATA_FILE,
    totalLength: total,
    crc32c: crc32c(bytes),
    includeGlobal: content.global !== null,
    includeLocal: content.local !== null,
    trainingStep: content.global?.trainingStep ?? null,
    params,
    localParams,
    state,
  };
  try {
    await writeFilesAtomic(path, { [DATA_FILE]: bytes, [MANIFEST_FILE]: JSON.stringify(manifest, null, 1) + "\n" });
  } catch (e) {
    throw new ValidationError(
      `cannot write parameters to directory ${JSON.stringify(path)}: ${(e as Error).message}`,
      "path",
      "Simulator.saveParams",
    );
  }
}

const shapeStr = (s: readonly number[]): string => `[${s.join(", ")}]`;

/**
 * Check one part of a manifest against this simulator's `slots` (same structure: keys, shapes and count);
 * returns an error message naming the first mismatch, or null.
 */
function checkEntries(entries: unknown, slots: ArraySlot[], noun: string, totalLength: number): string | null {
  if (!Array.isArray(entries)) return `${MANIFEST_FILE} has no list of ${noun}s`;
  const list = entries as ManifestEntry[];
  const n = Math.min(list.length, slots.length);
  for (let i = 0; i < n; i++) {
    const e = list[i];
    const s = slots[i];
    if (e === null || typeof e !== "object" || !Array.isArray(e.shape))
      return `${noun} ${i} of ${MANIFEST_FILE} is malformed`;
    const sameShape = e.shape.length === s.shape.length && e.shape.every((x, k) => x === s.shape[k]);
    if (e.key !== s.key || !sameShape) {
      return (
        `the saved network does not match this one: saved ${noun} ${i} is ${String(e.key)} with shape ${shapeStr(e.shape)}` +
        ` (label ${JSON.stringify(e.label)}), but this simulator's ${noun} ${i} is ${s.describe} with shape ${shapeStr(s.shape)}`
      );
    }
    const len = s.shape.reduce((a, b) => a * b, 1);
    if (e.length !== len || !Number.isSafeInteger(e.offset) || e.offset < 0 || e.offset + len > totalLength)
      return `${noun} ${i} (${s.key}) has a bad offset/length in ${MANIFEST_FILE}`;
  }
  if (list.length !== slots.length) {
    const extra =
      list.length > slots.length
        ? `saved ${noun} ${slots.length} (${String(list[slots.length]?.key)}) has no counterpart in this simulator`
        : `this simulator's ${noun} ${list.length} (${slots[list.length].describe}) was not saved`;
    return `the saved network does not match this one: ${list.length} ${noun}s saved, this simulator has ${slots.length}; ${extra}`;
  }
  return null;
}

/**
 * Read and validate a saved-params directory against this simulator's slots of the requested parts.
 * Returns the values in slot order; throws a ValidationError (and reads nothing into the simulator) when a
 * file is missing or unreadable, the JSON is malformed, the format/version/dtype is unknown, a requested part
 * was not saved, the data file's size or checksum is wrong, or the structure differs (naming the first mismatch).
 */
export async function readParams(path: string, want: ParamsRequest): Promise<ParamsValues> {
  const where = "Simulator.loadParams";
  const fail = (msg: string): never => {
    throw new ValidationError(`${JSON.stringify(path)}: ${msg}`, "path", where);
  };
  if (typeof path !== "string" || path.length === 0) {
    throw new ValidationError(`must be a non-empty directory path, got ${String(path)}`, "path", where);
  }
  let text: string;
  try {
    text = await readFile(join(path, MANIFEST_FILE), "utf8");
  } catch (e) {
    return fail(`cannot read ${MANIFEST_FILE}: ${(e as Error).message}`);
  }
  let m: ParamsManifest;
  try {
    m = JSON.parse(text) as ParamsManifest;
  } catch (e) {
    return fail(`${MANIFEST_FILE} is not valid JSON: ${(e as Error).message}`);
  }
  if (m === null || typeof m !== "object" || m.format !== PARAMS_FORMAT)
    return fail(`${MANIFEST_FILE} is not a nengo-ts/dl parameter manifest (format must be "${PARAMS_FORMAT}")`);
  if (m.version === 1) {
    // version 1: the trainable parameters and the training step only
    m = { ...m, includeGlobal: true, includeLocal: false, localParams: [], state: [] };
  } else if (m.version !== PARAMS_VERSION) {
    return fail(`unsupported manifest version ${String(m.version)} (this version reads 1 and ${PARAMS_VERSION})`);
  }
  if (m.dtype !== "float32" || m.byteOrder !== "little")
    return fail(`unsupported dtype/byteOrder ${String(m.dtype)}/${String(m.byteOrder)}`);
  if (typeof m.data !== "string" || !Number.isSafeInteger(m.totalLength))
    return fail(`${MANIFEST_FILE} is missing "data" or "totalLength"`);
  const check = (entries: unknown, slots: ArraySlot[], noun: string): void => {
    const msg = checkEntries(entries, slots, noun, m.totalLength);
    if (msg !== null) fail(msg);
  };
  if (want.global) {
    if (m.includeGlobal !== true)
      return fail("was saved without the global part (trainable parameters); load it with includeGlobal: false");
    if (!Number.isSafeInteger(m.trainingStep) || (m.trainingStep as number) < 0)
      return fail(`${MANIFEST_FILE} has no valid "trainingStep"`);
    check(m.params, want.global, "trainable parameter");
  }
  if (want.local) {
    if (m.includeLocal !== true)
      return fail(
        "was saved without the local part (non-trainable parameters and simulation state); save it with includeLocal: true",
      );
    check(m.localParams, want.local.params, "non-trainable parameter");
    check(m.state, want.local.state, "state entry");
  }
  let data: Uint8Array;
  try {
    data = new Uint8Array(await readFile(join(path, m.data)));
  } catch (e) {
    return fail(`cannot read ${m.data}: ${(e as Error).message}`);
  }
  if (data.length !== m.totalLength * 4)
    return fail(`${m.data} has ${data.length} bytes, expected ${m.totalLength * 4} (float32 x ${m.totalLength})`);
  if (crc32c(data) !== m.crc32c) return fail(`${m.data} is corrupt (checksum mismatch)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const values = (entries: ManifestEntry[]): Float32Array[] =>
    entries.map((e) => {
      const v = new Float32Array(e.length);
      for (let k = 0; k < e.length; k++) v[k] = view.getFloat32((e.offset + k) * 4, true);
      return v;
    });
  return {
    global: want.global ? { values: values(m.params), trainingStep: m.trainingStep as number } : null,
    local: want.local ? { values: values(m.localParams), stateValues: values(m.state) } : null,
  };
}

// ------------------------------------------------------------------ freeze

/** What `freezeParams` accepts. */
export type FreezeTarget = Network | Ensemble | Connection;

/** A pending change of one object's parameters. */
export interface FreezeChange {
  obj: Ensemble | Connection;
  apply: () => void;
}

/**
 * NengoDL's get_nengo_params for an ensemble: `encoders = scaled * radius / builtGain`,
 * `normalizeEncoders = false`, `gain = builtGain`, `bias = liveBias`.
 */
export function freezeEnsemble(
  ens: Ensemble,
  built: BuiltEnsemble,
  scaled: ArrayLike<number>,
  bias: ArrayLike<number> | null,
): FreezeChange {
  const r = built.encoders.rows;
  const d = built.encoders.cols;
  if (ens.neuronType instanceof Direct || built.gain === null || bias === null) {
    const same = Array.from(built.scaledEncoders.data).every((v, i) => Math.fround(v) === Math.fround(scaled[i]));
    if (!same) {
      throw new ValidationError(
        "cannot freeze the trained encoders of a Direct-mode ensemble (Nengo ignores its encoders)",
        "encoders",
        ens,
      );
    }
    return { obj: ens, apply: () => undefined };
  }
  const gain = built.gain;
  const enc = rows(
    Float64Array.from({ length: r * d }, (_, k) => (scaled[k] * ens.radius) / gain[Math.floor(k / d)]),
    r,
    d,
  );
  const g = Array.from(gain);
  const b = Array.from(bias);
  return {
    obj: ens,
    apply: () => {
      ens.encoders = enc;
      ens.normalizeEncoders = false;
      ens.gain = g;
      ens.bias = b;
    },
  };
}

/**
 * NengoDL's get_nengo_params for a connection: from a (non-Direct) Ensemble,
 * `solver = NoSolver(W.T, weights false)`, `function = x => zeros(W.shape[0])`, `transform = 1`;
 * otherwise `transform = W` (squeezed to a scalar when it has one element). Connections with a
 * `weights: true` solver cannot be expressed that way and are rejected.
 */
export function freezeConnection(conn: Connection, built: BuiltConnection, w: ArrayLike<number>): FreezeChange {
  const shape = built.weightsShape;
  const W = Float64Array.from(w);
  const pre = conn.preObj;
  if (pre instanceof Ensemble && !(pre.neuronType instanceof Direct)) {
    if (conn.solver.weights) {
      throw new ValidationError(
        "cannot freeze a connection whose solver has weights: true (its trained weights cannot be written as decoders)",
        "solver",
        conn,
      );
    }
    const [rowsW, colsW] = shape;
    const valuesT = Array.from({ length: colsW }, (_, j) => Array.from({ length: rowsW }, (_, i) => W[i * colsW + j]));
    const solver = new NoSolver(valuesT, { weights: false });
    const fn = (): number[] => new Array<number>(rowsW).fill(0);
    const transform = resolveTransform(1, rowsW, conn.post.sizeIn, String(conn));
    return {
      obj: conn,
      apply: () => {
        conn.solver = solver;
        conn.function = fn;
        conn.sizeMid = rowsW;
        conn.transformInput = 1;
        conn.transform = transform;
      },
    };
  }
  let input: number | number[] | number[][];
  if (W.length === 1) input = W[0];
  else if (shape.length === 2) input = rows(W, shape[0], shape[1]);
  else input = Array.from(W);
  const transform = resolveTransform(input, conn.sizeMid, conn.post.sizeIn, String(conn));
  return {
    obj: conn,
    apply: () => {
      conn.transformInput = input;
      conn.transform = transform;
    },
  };
}
