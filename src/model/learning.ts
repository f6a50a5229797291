/** Learning rule types (PES) and the LearningRule object an error connects into. */
import { ValidationError } from "../errors.js";
import { Lowpass } from "../synapses/index.js";
import type { LinearFilter } from "../synapses/index.js";
import { checkNumber } from "./base.js";
import type { Connection } from "./connection.js";

/** Base of learning rule types. */
export abstract class LearningRuleType {
  /** What the rule modifies: "weights" (or "decoders") or "encoders". */
  abstract readonly modifies: "weights" | "decoders" | "encoders";
  abstract readonly learningRate: number;
}

/** Options of `new nengo.PES(...)`. */
export interface PESOptions {
  learningRate?: number;
  /** Filter on the presynaptic activities (default Lowpass(0.005)); a number means Lowpass. */
  preSynapse?: LinearFilter | number | null;
}

/** Prescribed Error Sensitivity: minimises the error connected into `conn.learningRule`. */
export class PES extends LearningRuleType {
  readonly modifies = "decoders" as const;
  override readonly learningRate: number;
  readonly preSynapse: LinearFilter | null;

  constructor(opts: PESOptions = {}) {
    super();
    this.learningRate = checkNumber(opts.learningRate ?? 1e-4, "learningRate", "PES", 0);
    const ps = opts.preSynapse === undefined ? 0.005 : opts.preSynapse;
    if (ps !== null && typeof ps !== "number" && typeof ps !== "object") {
      throw new ValidationError("must be a synapse, a number or null", "preSynapse", "PES");
    }
    this.preSynapse = typeof ps === "number" ? new Lowpass(ps) : ps;
  }

  override toString(): string {
    return `PES(learningRate=${this.learningRate})`;
  }
}

/** The learning rule of a connection (Nengo's `conn.learning_rule`); connect an error signal into it. */
export class LearningRule {
  constructor(
    readonly connection: Connection,
    readonly ruleType: LearningRuleType,
  ) {}

  /** Error dimensionality: the post size of the connection for PES. */
  get sizeIn(): number {
    return this.connection.sizeOut;
  }

  get sizeOut(): number {
    return 0;
  }

  get label(): string | undefined {
    return this.connection.label;
  }

  toString(): string {
    return `<LearningRule ${String(this.ruleType)} of ${String(this.connection)}>`;
  }
}
