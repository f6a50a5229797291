import { mkdir, open, readdir, type FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

import { ValidationError } from "../errors.js";
import { makeHistogram } from "./histogram.js";
import { encodeEvent, type SummaryValue } from "./proto.js";
import { encodeRecord } from "./record.js";

/** The `file_version` string of the first event in every event file. */
export const FILE_VERSION = "brain.Event:2";

/** Options of {@link SummaryWriter.create}. */
export interface SummaryWriterOptions {
  /** Pending events are written at least this often, in milliseconds (default 2000; 0 disables the timer). */
  flushMillis?: number;
  /** Pending events are written as soon as this many are queued (default 10). */
  maxQueue?: number;
}

/**
 * Writes TensorBoard event files (`events.out.tfevents.<unix seconds>.<hostname>`) without native
 * TensorFlow: TFRecord-framed `Event` protobufs, the first one carrying `file_version: "brain.Event:2"`.
 *
 * `scalar`/`histogram` queue an event and return at once; the queue is appended to the file when
 * {@link SummaryWriter.flush} or {@link SummaryWriter.close} is called, every `flushMillis`, and whenever
 * `maxQueue` events are pending. Tags are written as given (see {@link sanitizeName}).
 */
export class SummaryWriter {
  /** Directory the event file lives in. */
  readonly logdir: string;
  /** Full path of the event file. */
  readonly path: string;
  private readonly handle: FileHandle;
  private readonly maxQueue: number;
  private pending: Buffer[] = [];
  private chain: Promise<void> = Promise.resolve();
  private error: unknown = undefined;
  private timer: NodeJS.Timeout | undefined;
  private isClosed = false;

  private constructor(logdir: string, path: string, handle: FileHandle, options: SummaryWriterOptions) {
    this.logdir = logdir;
    this.path = path;
    this.handle = handle;
    this.maxQueue = Math.max(1, options.maxQueue ?? 10);
    const flushMillis = options.flushMillis ?? 2000;
    if (flushMillis > 0) {
      this.timer = setInterval(() => {
        if (this.pending.length > 0) this.flush().catch(() => undefined);
      }, flushMillis);
      this.timer.unref();
    }
  }

  /**
   * Creates `logdir` (recursively) if needed and opens a new event file in it, writing the
   * `file_version` event straight away. A name already taken gets a `.1`, `.2`, ... suffix.
   */
  static async create(logdir: string, options: SummaryWriterOptions = {}): Promise<SummaryWriter> {
    if (typeof logdir !== "string" || logdir.length === 0) {
      throw new ValidationError(`must be a non-empty directory path, got ${String(logdir)}`, "logdir");
    }
    await mkdir(logdir, { recursive: true });
    const now = Date.now();
    const base = `events.out.tfevents.${String(Math.floor(now / 1000)).padStart(10, "0")}.${hostname()}`;
    let handle: FileHandle | undefined;
    let path = "";
    for (let n = 0; handle === undefined; n++) {
      path = join(logdir, n === 0 ? base : `${base}.${n}`);
      try {
        handle = await open(path, "ax");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    const writer = new SummaryWriter(logdir, path, handle, options);
    writer.pending.push(encodeRecord(encodeEvent({ wallTime: now / 1000, fileVersion: FILE_VERSION })));
    await writer.flush();
    return writer;
  }

  /** Whether {@link SummaryWriter.close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Queues a scalar (`simple_value`, a 32-bit float) under `tag` at `step`; shown under Scalars. */
  scalar(tag: string, value: number, step: number, wallTime?: number): void {
    if (typeof value !== "number") throw new ValidationError(`must be a number, got ${typeof value}`, "value");
    this.write([{ tag, simpleValue: value }], step, wallTime);
  }

  /**
   * Queues a histogram of `values` under `tag` at `step`, bucketed as TensorFlow 1.x does
   * (see {@link makeHistogram}); shown under Histograms and Distributions.
   */
  histogram(tag: string, values: ArrayLike<number>, step: number, wallTime?: number): void {
    if (values === null || typeof values !== "object" || typeof values.length !== "number") {
      throw new ValidationError("must be an array of numbers", "values");
    }
    this.write([{ tag, histo: makeHistogram(values) }], step, wallTime);
  }

  /** Queues one event holding several summary values (as a merged TF summary), all at `step`. */
  write(values: SummaryValue[], step: number, wallTime: number = Date.now() / 1000): void {
    if (this.isClosed) throw new ValidationError(`cannot write to closed SummaryWriter for ${this.path}`);
    if (!Number.isSafeInteger(step)) throw new ValidationError(`must be an integer, got ${step}`, "step");
    for (const v of values) {
      if (typeof v.tag !== "string" || v.tag.length === 0) {
        throw new ValidationError(`must be a non-empty string, got ${JSON.stringify(v.tag)}`, "tag");
      }
    }
    this.pending.push(encodeRecord(encodeEvent({ wallTime, step, summary: { value: values } })));
    if (this.pending.length >= this.maxQueue) this.flush().catch(() => undefined);
  }

  /** Appends every queued event to the file; rejects with the error of any failed earlier write. */
  flush(): Promise<void> {
    const buffers = this.pending;
    this.pending = [];
    this.chain = this.chain.then(async () => {
      if (this.error !== undefined) throw this.error;
      if (buffers.length === 0) return;
      try {
        const data = buffers.length === 1 ? buffers[0] : Buffer.concat(buffers);
        await this.handle.write(data);
      } catch (e) {
        this.error = e;
        throw e;
      }
    });
    return this.chain;
  }

  /** Flushes and closes the file; later writes throw. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.isClosed) return this.chain.catch(() => undefined);
    this.isClosed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }
}

/**
 * Creates `dir` if it is missing and returns `dir/run_N`, with N one more than the largest existing
 * `run_<int>` entry (`run_0` in an empty directory), as NengoDL numbers its TensorBoard runs.
 * With `reserve: true` the run directory is also created, atomically, so concurrent callers get
 * different numbers.
 */
export async function nextRunDir(dir: string, options: { reserve?: boolean } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  let n = -1;
  for (const name of await readdir(dir)) {
    const m = /^run_(\d+)$/.exec(name);
    if (m !== null) n = Math.max(n, Number(m[1]));
  }
  for (;;) {
    const runDir = join(dir, `run_${n + 1}`);
    if (!options.reserve) return runDir;
    try {
      await mkdir(runDir);
      return runDir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      n++;
    }
  }
}

/**
 * NengoDL's `sanitize_name`: spaces and `:` become `_`, then every character outside
 * `[A-Za-z0-9_.\-/]` is dropped. Non-strings are converted with `String()` first.
 */
export function sanitizeName(name: unknown): string {
  return String(name)
    .replace(/[ :]/g, "_")
    .replace(/[^A-Za-z0-9_.\-/]/g, "");
}
