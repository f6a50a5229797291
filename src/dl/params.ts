/**
 * Trained parameters of the differentiable simulator: their structural identity, the live values
 * behind `sim.data.get(ens | conn)` (NengoDL's SimulationData rules), the on-disk format of
 * `saveParams`/`loadParams`, and the values `freezeParams` writes back into the model objects.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuiltConnection, BuiltEnsemble, Model } from "../builder/model.js";
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

/** Nengo's `net.all_ensembles` order: the network's own ensembles, then each subnetwork's, depth first. */
export function allEnsembles(net: Network): Ensemble[] {
  return [...net.ensembles, ...net.networks.flatMap(allEnsembles)];
}

/** Nengo's `net.all_connections` order (own connections, then each subnetwork's, depth first). */
export function allConnections(net: Network): Connection[] {
  return [...net.connections, ...net.networks.flatMap(allConnections)];
}

/** One trainable parameter with its structural identity (independent of labels and process-unique ids). */
export interface ParamSlot {
  /** Structural key: `Ensemble[i].encoders`, `Ensemble[i].neurons.bias` or `Connection[j].weights`. */
  key: string;
  /** The object the parameter belongs to. */
  obj: Ensemble | Neurons | Connection;
  /** Its signal in the built model. */
  signal: Signal;
  /** Shape of the parameter (the variable's shape). */
  shape: number[];
}

/**
 * The trainable parameters of `net` in a deterministic order: for every ensemble in `all_ensembles`
 * order its scaled encoders and its neurons' bias, then every connection's weights in
 * `all_connections` order; only those in `trainable` (a map from signal to its current shape).
 */
export function paramSlots(net: Network, model: Model, trainable: Map<Signal, readonly number[]>): ParamSlot[] {
  const out: ParamSlot[] = [];
  const add = (key: string, obj: Ensemble | Neurons | Connection, s: Signal | undefined): void => {
    const shape = s === undefined ? undefined : trainable.get(s);
    if (s !== undefined && shape !== undefined) out.push({ key, obj, signal: s, shape: [...shape] });
  };
  allEnsembles(net).forEach((ens, i) => {
    add(`Ensemble[${i}].encoders`, ens, model.sig.get(ens)?.encoders);
    add(`Ensemble[${i}].neurons.bias`, ens.neurons, model.sig.get(ens.neurons)?.bias);
  });
  allConnections(net).forEach((conn, j) => add(`Connection[${j}].weights`, conn, model.sig.get(conn)?.weights));
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
/** The manifest version written (and the only one read). */
export const PARAMS_VERSION = 1;

/** One parameter in the manifest. */
export interface ManifestEntry {
  /** Structural key (see {@link ParamSlot.key}). */
  key: string;
  /** Label of the object when saved (informational; not checked on load). */
  label: string | null;
  /** Shape of the parameter. */
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
  /** Training updates the simulator had done when saved (informational). */
  trainingStep: number;
  params: ManifestEntry[];
}

function labelOf(obj: Ensemble | Neurons | Connection): string | null {
  const l = obj instanceof Neurons ? obj.ensemble.label : obj.label;
  return l === undefined || l === null ? null : String(l);
}

/** Serialise the values of `slots` (same order) into the manifest and data file and write them atomically. */
export async function writeParams(
  path: string,
  slots: ParamSlot[],
  values: Float32Array[],
  trainingStep: number,
): Promise<void> {
  const total = values.reduce((a, v) => a + v.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  const params: ManifestEntry[] = [];
  let off = 0;
  slots.forEach((s, i) => {
    const v = values[i];
    for (let k = 0; k < v.length; k++) view.setFloat32((off + k) * 4, v[k], true);
    params.push({ key: s.key, label: labelOf(s.obj), shape: s.shape, offset: off, length: v.length });
    off += v.length;
  });
  const manifest: ParamsManifest = {
    format: PARAMS_FORMAT,
    version: PARAMS_VERSION,
    dtype: "float32",
    byteOrder: "little",
    data: DATA_FILE,
    totalLength: total,
    crc32c: crc32c(bytes),
    trainingStep,
    params,
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
 * Read and validate a saved-params directory against `slots` (this simulator's parameters). Returns
 * the values in slot order; throws a ValidationError (and reads nothing into the simulator) when a
 * file is missing or unreadable, the JSON is malformed, the format/version/dtype is unknown, the data
 * file's size or checksum is wrong, or the network's structure differs (naming the first mismatch).
 */
export async function readParams(path: string, slots: ParamSlot[]): Promise<Float32Array[]> {
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
  if (m.version !== PARAMS_VERSION)
    return fail(`unsupported manifest version ${String(m.version)} (this version reads ${PARAMS_VERSION})`);
  if (m.dtype !== "float32" || m.byteOrder !== "little")
    return fail(`unsupported dtype/byteOrder ${String(m.dtype)}/${String(m.byteOrder)}`);
  if (!Array.isArray(m.params) || typeof m.data !== "string" || !Number.isSafeInteger(m.totalLength))
    return fail(`${MANIFEST_FILE} is missing "params", "data" or "totalLength"`);
  // structure
  const n = Math.min(m.params.length, slots.length);
  for (let i = 0; i < n; i++) {
    const e = m.params[i];
    const s = slots[i];
    if (e === null || typeof e !== "object" || !Array.isArray(e.shape))
      return fail(`parameter ${i} of ${MANIFEST_FILE} is malformed`);
    const sameShape = e.shape.length === s.shape.length && e.shape.every((x, k) => x === s.shape[k]);
    if (e.key !== s.key || !sameShape) {
      return fail(
        `the saved network does not match this one: saved parameter ${i} is ${String(e.key)} with shape ${shapeStr(e.shape)}` +
          ` (label ${JSON.stringify(e.label)}), but this network's parameter ${i} is ${s.key} of ${String(s.obj)}` +
          ` with shape ${shapeStr(s.shape)}`,
      );
    }
    const len = s.shape.reduce((a, b) => a * b, 1);
    if (e.length !== len || !Number.isSafeInteger(e.offset) || e.offset < 0 || e.offset + len > m.totalLength)
      return fail(`parameter ${i} (${s.key}) has a bad offset/length in ${MANIFEST_FILE}`);
  }
  if (m.params.length !== slots.length) {
    const extra =
      m.params.length > slots.length
        ? `saved parameter ${slots.length} (${String(m.params[slots.length]?.key)}) has no counterpart in this network`
        : `this network's parameter ${m.params.length} (${slots[m.params.length].key} of ${String(slots[m.params.length].obj)}) was not saved`;
    return fail(
      `the saved network does not match this one: ${m.params.length} trainable parameters saved, this network has ${slots.length}; ${extra}`,
    );
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
  return m.params.map((e) => {
    const v = new Float32Array(e.length);
    for (let k = 0; k < e.length; k++) v[k] = view.getFloat32((e.offset + k) * 4, true);
    return v;
  });
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
