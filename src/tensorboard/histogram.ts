import type { HistogramProto } from "./proto.js";

/**
 * TensorFlow's default histogram bucket limits (tensorflow/core/lib/histogram/histogram.cc,
 * `InitDefaultBucketsInner`): `1e-12 * 1.1^k` for every such value below 1e20, followed by
 * `Number.MAX_VALUE`; mirrored to negative values, with 0 in between. Strictly increasing.
 */
export const DEFAULT_BUCKET_LIMITS: readonly number[] = Object.freeze(
  (() => {
    const positive: number[] = [];
    for (let v = 1e-12; v < 1e20; v *= 1.1) positive.push(v);
    positive.push(Number.MAX_VALUE);
    const negative = positive.map((v) => -v).reverse();
    return [...negative, 0, ...positive];
  })(),
);

/** Index of the first limit strictly greater than `value` (C++ `std::upper_bound`). */
function upperBound(limits: readonly number[], value: number): number {
  let lo = 0;
  let hi = limits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (limits[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Builds a `HistogramProto` the way TensorFlow 1.x's `tf.summary.histogram` does: values are
 * counted into {@link DEFAULT_BUCKET_LIMITS} (bucket `i` holds `limit[i-1] <= v < limit[i]`), and
 * `Histogram::EncodeToProto(preserve_zero_buckets=false)` collapses every run of empty buckets into
 * a single zero-count bucket ending at the run's last limit. Non-finite values (NaN, ±Infinity),
 * which TensorFlow rejects with an error, are skipped. With no finite values the result is
 * `num = 0`, `min = max = 0` and a single empty bucket up to `Number.MAX_VALUE`.
 */
export function makeHistogram(values: ArrayLike<number>): HistogramProto {
  const limits = DEFAULT_BUCKET_LIMITS;
  const counts = new Float64Array(limits.length);
  let min = Number.MAX_VALUE;
  let max = -Number.MAX_VALUE;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(upperBound(limits, v), limits.length - 1)] += 1;
    if (v < min) min = v;
    if (v > max) max = v;
    num += 1;
    sum += v;
    sumSquares += v * v;
  }
  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  for (let i = 0; i < counts.length;) {
    let end = limits[i];
    let count = counts[i];
    i++;
    if (count <= 0) {
      while (i < counts.length && counts[i] <= 0) {
        end = limits[i];
        count = counts[i];
        i++;
      }
    }
    bucketLimit.push(end);
    bucket.push(count);
  }
  if (num === 0) {
    min = 0;
    max = 0;
  }
  return { min, max, num, sum, sumSquares, bucketLimit, bucket };
}
