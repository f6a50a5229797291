import cliProgress from "cli-progress";

/** Extra fields shown after the bar, in insertion order (e.g. `{ epoch: 3, minibatch: 12, loss: 0.0123 }`). */
export type ProgressPayload = Record<string, string | number>;

/** A stream the bar may draw on; `isTTY` decides whether it is drawn by default. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Text shown before the bar (e.g. "Training"). */
  label: string;
  /** Value at which the bar is full. */
  total: number;
  /** Show the bar; default: only when the stream is a TTY. When false every method is a no-op. */
  enabled?: boolean;
  /** Where to draw (default `process.stdout`). */
  stream?: ProgressStream;
}

/** Handle returned by {@link createProgress}. */
export interface Progress {
  /** Whether the bar is drawn. */
  readonly enabled: boolean;
  /** Sets the current value; payload fields are merged into those already shown. */
  update(value: number, payload?: ProgressPayload): void;
  /** Adds `delta` (default 1) to the value; payload fields are merged into those already shown. */
  increment(delta?: number | ProgressPayload, payload?: ProgressPayload): void;
  /** Draws the final state and releases the terminal. Idempotent; always call it (e.g. in `finally`). */
  stop(): void;
}

/** Formats one payload value: integers as is, other numbers with 4 significant digits. */
function formatField(v: string | number): string {
  if (typeof v !== "number") return v;
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}

/**
 * Creates a progress bar (`label |████░░░░| value/total | ETA: 12s | epoch: 1 | loss: 0.0123`)
 * drawn with cli-progress when `enabled ?? stream.isTTY`, and a silent no-op otherwise.
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stdout;
  const enabled = options.enabled ?? stream.isTTY === true;
  if (!enabled) {
    return { enabled: false, update() {}, increment() {}, stop() {} };
  }
  const label = options.label;
  const bar = new cliProgress.SingleBar({
    stream,
    noTTYOutput: stream.isTTY !== true,
    hideCursor: false,
    barsize: 30,
    etaBuffer: 50,
    format: (opts, params, payload: ProgressPayload) => {
      const barText = cliProgress.Format.BarFormat(params.progress, opts);
      const done = params.value >= params.total;
      const eta = done ? "" : ` | ETA: ${cliProgress.Format.TimeFormat(params.eta, opts, 1)}`;
      const fields = Object.entries(payload)
        .map(([k, v]) => ` | ${k}: ${formatField(v)}`)
        .join("");
      return `${label} |${barText}| ${params.value}/${params.total}${eta}${fields}`;
    },
  });
  bar.start(options.total, 0, {});
  let value = 0;
  let stopped = false;
  return {
    enabled: true,
    update(v, payload) {
      if (stopped) return;
      value = v;
      bar.update(v, payload ?? {});
    },
    increment(delta, payload) {
      if (stopped) return;
      const d = typeof delta === "number" ? delta : 1;
      const p = typeof delta === "object" ? delta : payload;
      value += d;
      bar.update(value, p ?? {});
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
