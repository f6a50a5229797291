import { performance } from "node:perf_hooks";

import { writeFileAtomic } from "./atomic.js";

/** Arguments attached to a trace event (shown in the viewer's details pane). */
export type TraceArgs = Record<string, unknown>;

/** One event of the Chrome trace-event format (times in microseconds). */
export interface TraceEvent {
  /** Event name. */
  name: string;
  /** Comma-separated categories. */
  cat: string;
  /** Phase: "X" complete, "i" instant, "C" counter, "M" metadata. */
  ph: "X" | "i" | "C" | "M";
  /** Start time, microseconds. */
  ts: number;
  /** Duration of an "X" event, microseconds. */
  dur?: number;
  /** Process id. */
  pid: number;
  /** Thread id. */
  tid: number;
  /** Scope of an instant event: thread, process or global. */
  s?: "t" | "p" | "g";
  /** Extra data; for counters, the series values. */
  args?: TraceArgs;
}

/** The JSON document written by {@link Profiler.save}. */
export interface TraceDocument {
  /** All recorded events, in start-time order (parents before their children). */
  traceEvents: TraceEvent[];
  /** Unit the viewer displays times in. */
  displayTimeUnit: "ms";
}

/** Options of {@link Profiler}. */
export interface ProfilerOptions {
  /** When false every method is a cheap no-op (span still runs its function). Default true. */
  enabled?: boolean;
  /** Process name shown in the viewer (default "nengo-ts"). */
  processName?: string;
  /** Thread name shown in the viewer (default "main"). */
  threadName?: string;
}

interface OpenSpan {
  name: string;
  cat: string;
  start: number;
  args?: TraceArgs;
}

/**
 * Records a Chrome trace-event-format profile (viewable in https://ui.perfetto.dev or chrome://tracing):
 * `begin`/`end` pairs or `span(...)` give "X" complete events, plus instant and counter events.
 *
 * ```ts
 * const prof = new Profiler();
 * await prof.span("train", "sim", async () => { prof.begin("epoch", "sim", { epoch: 0 }); ...; prof.end(); });
 * await prof.save("profile.json");
 * ```
 */
export class Profiler {
  /** Whether events are recorded. */
  readonly enabled: boolean;
  private readonly events: TraceEvent[] = [];
  private readonly stack: OpenSpan[] = [];
  private readonly pid = process.pid;
  private readonly tid = 0;

  /** Creates a profiler; metadata events naming the process and thread are recorded first. */
  constructor(options: ProfilerOptions = {}) {
    this.enabled = options.enabled ?? true;
    if (this.enabled) {
      const meta = (name: string, value: string): TraceEvent => ({
        name,
        cat: "__metadata",
        ph: "M",
        ts: 0,
        pid: this.pid,
        tid: this.tid,
        args: { name: value },
      });
      this.events.push(meta("process_name", options.processName ?? "nengo-ts"));
      this.events.push(meta("thread_name", options.threadName ?? "main"));
    }
  }

  /** Current time in microseconds (monotonic, since process start). */
  now(): number {
    return performance.now() * 1000;
  }

  /** Opens a span; close it with {@link Profiler.end}. Spans opened this way must nest properly. */
  begin(name: string, cat = "default", args?: TraceArgs): void {
    if (!this.enabled) return;
    this.stack.push({ name, cat, start: this.now(), args });
  }

  /**
   * Closes the innermost open span, recording an "X" event; `args` are merged into the span's args.
   * Throws if no span is open or if `name` is given and does not match the innermost span.
   */
  end(name?: string, args?: TraceArgs): void {
    if (!this.enabled) return;
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) throw new Error(`Profiler.end(${name ?? ""}): no span is open`);
    if (name !== undefined && name !== top.name) {
      throw new Error(`Profiler.end(${name}): the innermost open span is "${top.name}"`);
    }
    this.stack.pop();
    this.complete(top.name, top.cat, top.start, this.now(), args ? { ...top.args, ...args } : top.args);
  }

  /**
   * Runs `fn` inside a span named `name` and returns its result. When `fn` returns a promise the span
   * lasts until it settles (the returned promise is the same result). Errors are rethrown, the span
   * is still recorded with `args.error` set.
   */
  span<T>(name: string, cat: string, fn: () => T, args?: TraceArgs): T {
    if (!this.enabled) return fn();
    const start = this.now();
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.complete(name, cat, start, this.now(), { ...args, error: String(e) });
      throw e;
    }
    if (result instanceof Promise) {
      return result.then(
        (v: unknown) => {
          this.complete(name, cat, start, this.now(), args);
          return v;
        },
        (e: unknown) => {
          this.complete(name, cat, start, this.now(), { ...args, error: String(e) });
          throw e;
        },
      ) as T;
    }
    this.complete(name, cat, start, this.now(), args);
    return result;
  }

  /** Records a complete ("X") event from explicit start/end times in microseconds (see {@link Profiler.now}). */
  complete(name: string, cat: string, startUs: number, endUs: number, args?: TraceArgs): void {
    if (!this.enabled) return;
    const event: TraceEvent = {
      name,
      cat,
      ph: "X",
      ts: startUs,
      dur: Math.max(0, endUs - startUs),
      pid: this.pid,
      tid: this.tid,
    };
    if (args !== undefined) event.args = args;
    this.events.push(event);
  }

  /** Records an instant ("i") event, thread-scoped by default. */
  instant(name: string, cat = "default", args?: TraceArgs, scope: "t" | "p" | "g" = "t"): void {
    if (!this.enabled) return;
    const event: TraceEvent = { name, cat, ph: "i", ts: this.now(), pid: this.pid, tid: this.tid, s: scope };
    if (args !== undefined) event.args = args;
    this.events.push(event);
  }

  /** Records a counter ("C") event: each key of `values` is one series of the `name` track (e.g. loss). */
  counter(name: string, values: Record<string, number>, cat = "default"): void {
    if (!this.enabled) return;
    this.events.push({ name, cat, ph: "C", ts: this.now(), pid: this.pid, tid: this.tid, args: { ...values } });
  }

  /** The trace document: events sorted by start time, an enclosing span before the spans it contains. */
  toJSON(): TraceDocument {
    const traceEvents = [...this.events].sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
    return { traceEvents, displayTimeUnit: "ms" };
  }

  /** Writes the trace document as JSON to `path` (atomically: temp file + rename). */
  async save(path: string): Promise<void> {
    await writeFileAtomic(path, JSON.stringify(this.toJSON()));
  }
}
