/** TensorBoard summaries of `Simulator.train` (NengoDL 2.x `summaries`, semantics section 6). */
import type { Model } from "../builder/model.js";
import type { Signal } from "../builder/signal.js";
import { ValidationError } from "../errors.js";
import { Connection } from "../model/connection.js";
import { Ensemble, Neurons } from "../model/ensemble.js";
import type { Probe } from "../model/probe.js";
import { makeHistogram } from "../tensorboard/histogram.js";
import type { SummaryValue } from "../tensorboard/proto.js";
import { sanitizeName } from "../tensorboard/writer.js";
import { tf } from "./backend.js";

/**
 * A user summary, evaluated after every training update: each entry becomes a scalar (a number or a
 * one-element tensor) or a histogram (any other tensor) under its (sanitized) name. Tensors returned are
 * disposed after they are read (`tf.Variable`s are not).
 */
export type SummaryFunction = () => Record<string, number | tf.Tensor>;

/** An item of `train({ summaries })`. */
export type SummaryItem = "loss" | Ensemble | Neurons | Connection | SummaryFunction;

type Parsed = { kind: "loss" } | { kind: "param"; tag: string; signal: Signal } | { kind: "fn"; fn: SummaryFunction };

const labelOf = (x: { label?: string | null }): string =>
  x.label === undefined || x.label === null ? "None" : String(x.label);

/** Validated summaries of one `train` call, with the call's tag suffixes. */
export class TrainSummaries {
  private readonly items: Parsed[];
  private readonly finalTags = new Map<string, string>();

  /**
   * Check `items` (throws a ValidationError for anything else, before training starts).
   * `tagUses` counts, per simulator, how many earlier `train` calls used each tag.
   */
  constructor(
    items: readonly unknown[],
    model: Model,
    private readonly tagUses: Map<string, number>,
  ) {
    if (!Array.isArray(items)) {
      throw new ValidationError("must be an array of summary objects", "summaries", "Simulator.train");
    }
    this.items = items.map((obj): Parsed => {
      if (obj === "loss") return { kind: "loss" };
      if (typeof obj === "function") return { kind: "fn", fn: obj as SummaryFunction };
      let signal: Signal | undefined;
      let tag: string;
      if (obj instanceof Ensemble) {
        signal = model.sig.get(obj)?.encoders;
        tag = `Ensemble_${labelOf(obj)}_encoders`;
      } else if (obj instanceof Neurons) {
        signal = model.sig.get(obj)?.bias;
        tag = `Ensemble.neurons_${labelOf(obj)}_bias`;
      } else if (obj instanceof Connection) {
        signal = model.sig.get(obj)?.weights;
        tag = `Connection_${labelOf(obj)}_weights`;
      } else {
        throw new ValidationError(
          `Unknown summary object ${String(obj)}: expected "loss", an Ensemble, ens.neurons, a Connection or a function`,
          "summaries",
          "Simulator.train",
        );
      }
      if (signal === undefined) {
        throw new ValidationError(
          `${String(obj)} has no ${obj instanceof Neurons ? "bias" : "parameters"} in this simulator's model`,
          "summaries",
          "Simulator.train",
        );
      }
      return { kind: "param", tag: sanitizeName(tag), signal };
    });
  }

  /** Whether per-objective loss values are needed. */
  get wantsLoss(): boolean {
    return this.items.some((i) => i.kind === "loss");
  }

  /** The tag of `base` in this call: `base`, then `base_1`, `base_2`, ... in later calls. */
  private tag(base: string): string {
    let t = this.finalTags.get(base);
    if (t === undefined) {
      const n = this.tagUses.get(base) ?? 0;
      this.tagUses.set(base, n + 1);
      t = n === 0 ? base : `${base}_${n}`;
      this.finalTags.set(base, t);
    }
    return t;
  }

  /**
   * The summary values after one update: `loss` the total, `perProbe` the value of each objective entry
   * (used when there is more than one), `value(signal)` a parameter's current values.
   */
  collect(
    loss: number,
    perProbe: { probes: Probe[]; value: number | null }[],
    value: (s: Signal) => ArrayLike<number>,
  ): SummaryValue[] {
    const out: SummaryValue[] = [];
    for (const it of this.items) {
      if (it.kind === "loss") {
        out.push({ tag: this.tag("loss/loss"), simpleValue: loss });
        if (perProbe.length > 1) {
          for (const e of perProbe) {
            if (e.value === null) continue;
            const name = sanitizeName(`Probe_${e.probes.map(labelOf).join("_")}_loss`);
            out.push({ tag: this.tag(`loss/${name}`), simpleValue: e.value });
          }
        }
      } else if (it.kind === "param") {
        out.push({ tag: this.tag(it.tag), histo: makeHistogram(value(it.signal)) });
      } else {
        const r = it.fn();
        if (r === null || typeof r !== "object") {
          throw new ValidationError(
            "a summary function must return an object of numbers or tensors",
            "summaries",
            "Simulator.train",
          );
        }
        for (const [k, v] of Object.entries(r)) {
          const tag = this.tag(sanitizeName(k));
          if (typeof v === "number") out.push({ tag, simpleValue: v });
          else if (v instanceof tf.Tensor) {
            const d = v.dataSync();
            out.push(d.length === 1 ? { tag, simpleValue: d[0] } : { tag, histo: makeHistogram(d) });
          } else {
            throw new ValidationError(
              `summary ${JSON.stringify(k)} must be a number or a tf.Tensor`,
              "summaries",
              "Simulator.train",
            );
          }
        }
        tf.dispose(
          Object.values(r).filter((v): v is tf.Tensor => v instanceof tf.Tensor && !(v instanceof tf.Variable)),
        );
      }
    }
    return out;
  }
}
