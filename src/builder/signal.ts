/** Signals: the named float64 arrays that operators read and write. */

let nextSignalId = 0;

/** A named array in the built model (vector, or a matrix stored row-major). */
export class Signal {
  readonly id = nextSignalId++;
  /** Initial value (copied into the simulator's state on reset). */
  readonly initial: Float64Array;
  /** Shape: [n] for vectors, [rows, cols] for matrices. */
  readonly shape: readonly number[];
  /** False for signals a learning rule (or training) modifies. */
  readonly: boolean;

  constructor(
    readonly name: string,
    shapeOrInitial: number | readonly number[] | Float64Array,
    opts: { shape?: readonly number[]; readonly?: boolean } = {},
  ) {
    if (shapeOrInitial instanceof Float64Array) {
      this.initial = shapeOrInitial;
      this.shape = opts.shape ?? [shapeOrInitial.length];
    } else {
      const shape = typeof shapeOrInitial === "number" ? [shapeOrInitial] : [...shapeOrInitial];
      this.shape = shape;
      this.initial = new Float64Array(shape.reduce((a, b) => a * b, 1));
    }
    if (this.shape.reduce((a, b) => a * b, 1) !== this.initial.length) {
      throw new RangeError(
        `signal ${name}: shape [${this.shape.join(",")}] does not match ${this.initial.length} values`,
      );
    }
    this.readonly = opts.readonly ?? false;
  }

  /** Number of elements. */
  get size(): number {
    return this.initial.length;
  }

  toString(): string {
    return `Signal(${this.name}, [${this.shape.join(", ")}])`;
  }
}
