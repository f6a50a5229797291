/** Growable float64 storage for probe samples. */
export class ProbeBuffer {
  private buf: Float64Array;
  /** Number of samples stored. */
  length = 0;

  constructor(
    readonly sampleSize: number,
    capacity = 64,
  ) {
    this.buf = new Float64Array(Math.max(1, sampleSize * capacity));
  }

  /** Make room for `extra` more samples (call before a run to avoid growth inside it). */
  reserve(extra: number): void {
    const need = (this.length + extra) * this.sampleSize;
    if (need > this.buf.length) {
      const next = new Float64Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.length * this.sampleSize));
      this.buf = next;
    }
  }

  /** Append one sample. */
  push(sample: Float64Array): void {
    if ((this.length + 1) * this.sampleSize > this.buf.length) this.reserve(Math.max(1, this.length));
    this.buf.set(sample, this.length * this.sampleSize);
    this.length++;
  }

  /** All samples, row-major [length x sampleSize] (a view; copy before keeping). */
  view(): Float64Array {
    return this.buf.subarray(0, this.length * this.sampleSize);
  }

  /** Forget all samples. */
  clear(): void {
    this.length = 0;
  }
}
