/**
 * numpy's legacy `numpy.random.RandomState` (MT19937), reproduced draw for draw.
 *
 * Every method consumes the underlying Mersenne Twister stream exactly as numpy's `mtrand.pyx`
 * and `legacy-distributions.c` do, so the same seed gives the same numbers as Nengo/numpy
 * (bit-identical for uniform/integer draws; transcendental functions such as `log` may differ from
 * the platform libm in the last ulp, which never changes which draws are consumed).
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const TWO32 = 4294967296;

/** A seed numpy's RandomState accepts: an integer in [0, 2**32 - 1] or a 1-D array of them. */
export type Seed = number | readonly number[];

/** numpy's legacy random number generator (`np.random.RandomState`), with numpy's algorithms and stream. */
export class RandomState {
  private readonly key = new Uint32Array(N);
  private pos = N;
  private hasGauss = false;
  private gaussCache = 0;

  /**
   * Seed exactly as `np.random.RandomState(seed)`: an integer uses MT19937's `init_genrand`
   * (numpy's `mt19937_seed`), an array uses `init_by_array`. Without a seed, one is drawn from
   * `Math.random`.
   */
  constructor(seed?: Seed) {
    this.seed(seed);
  }

  /** Reseed in place (`RandomState.seed`); also clears the cached Gaussian. */
  seed(seed?: Seed): void {
    if (seed === undefined) seed = Math.floor(Math.random() * TWO32);
    if (typeof seed === "number") {
      checkSeedWord(seed);
      this.initGenrand(seed);
    } else {
      if (seed.length === 0) throw new RangeError("Seed must be non-empty");
      for (const s of seed) checkSeedWord(s);
      this.initByArray(seed);
    }
    this.hasGauss = false;
    this.gaussCache = 0;
  }

  private initGenrand(s: number): void {
    const mt = this.key;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.pos = N;
  }

  private initByArray(initKey: readonly number[]): void {
    const mt = this.key;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    const len = initKey.length;
    for (let k = N > len ? N : len; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = (((mt[i] ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1664525)) >>> 0) + (initKey[j] >>> 0) + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = (((mt[i] ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1566083941)) >>> 0) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.pos = N;
  }

  private generate(): void {
    const k = this.key;
    let i = 0;
    let y: number;
    for (; i < N - M; i++) {
      y = (k[i] & UPPER_MASK) | (k[i + 1] & LOWER_MASK);
      k[i] = k[i + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; i < N - 1; i++) {
      y = (k[i] & UPPER_MASK) | (k[i + 1] & LOWER_MASK);
      k[i] = k[i + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (k[N - 1] & UPPER_MASK) | (k[0] & LOWER_MASK);
    k[N - 1] = k[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }

  /** Next raw 32-bit output of MT19937 (numpy's `next_uint32`), as an unsigned number. */
  nextUint32(): number {
    if (this.pos === N) this.generate();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Next double in [0, 1) with 53 random bits (numpy's `next_double`). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** Uniform [0, 1) doubles (`random_sample`); one number when `n` is omitted. */
  randomSample(): number;
  randomSample(n: number): Float64Array;
  randomSample(n?: number): number | Float64Array {
    if (n === undefined) return this.nextDouble();
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextDouble();
    return out;
  }

  /** Alias of `randomSample` (`RandomState.rand`). */
  rand(): number;
  rand(n: number): Float64Array;
  rand(n?: number): number | Float64Array {
    return n === undefined ? this.nextDouble() : this.randomSample(n);
  }

  /** Uniform draws in [low, high): `low + (high - low) * u`, as numpy's `uniform`. */
  uniform(low?: number, high?: number): number;
  uniform(low: number, high: number, n: number): Float64Array;
  uniform(low = 0, high = 1, n?: number): number | Float64Array {
    const range = high - low;
    if (!Number.isFinite(range)) throw new RangeError("uniform: range exceeds valid bounds");
    if (n === undefined) return low + range * this.nextDouble();
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = low + range * this.nextDouble();
    return out;
  }

  /** One standard normal draw by numpy's legacy polar Box-Muller (`legacy_gauss`), caching the second value. */
  gauss(): number {
    if (this.hasGauss) {
      const t = this.gaussCache;
      this.hasGauss = false;
      this.gaussCache = 0;
      return t;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2.0 * this.nextDouble() - 1.0;
      x2 = 2.0 * this.nextDouble() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    this.gaussCache = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** Standard normal draws (`standard_normal`). */
  standardNormal(): number;
  standardNormal(n: number): Float64Array;
  standardNormal(n?: number): number | Float64Array {
    if (n === undefined) return this.gauss();
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.gauss();
    return out;
  }

  /** `randn(n, d?)`: n (or n*d, row-major) standard normal draws. */
  randn(n: number, d = 1): Float64Array {
    return this.standardNormal(n * d);
  }

  /** Normal draws `loc + scale * gauss()` (`legacy_normal`). */
  normal(loc?: number, scale?: number): number;
  normal(loc: number, scale: number, n: number): Float64Array;
  normal(loc = 0, scale = 1, n?: number): number | Float64Array {
    if (scale < 0) throw new RangeError("normal: scale < 0");
    if (n === undefined) return loc + scale * this.gauss();
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = loc + scale * this.gauss();
    return out;
  }

  /** One standard exponential draw, `-log(1 - u)` (`legacy_standard_exponential`). */
  private stdExp(): number {
    return -Math.log(1.0 - this.nextDouble());
  }

  /** Standard exponential draws (`standard_exponential`). */
  standardExponential(): number;
  standardExponential(n: number): Float64Array;
  standardExponential(n?: number): number | Float64Array {
    if (n === undefined) return this.stdExp();
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.stdExp();
    return out;
  }

  /** Exponential draws `scale * standard_exponential` (`legacy_exponential`). */
  exponential(scale?: number): number;
  exponential(scale: number, n: number): Float64Array;
  exponential(scale = 1, n?: number): number | Float64Array {
    if (scale < 0) throw new RangeError("exponential: scale < 0");
    if (n === undefined) return scale * this.stdExp();
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = scale * this.stdExp();
    return out;
  }

  /** One draw of numpy's `legacy_standard_gamma(shape)` (Marsaglia-Tsang for shape > 1). */
  private stdGamma(shape: number): number {
    if (shape === 1.0) return this.stdExp();
    if (shape === 0.0) return 0.0;
    if (shape < 1.0) {
      for (;;) {
        const U = this.nextDouble();
        const V = this.stdExp();
        if (U <= 1.0 - shape) {
          const X = Math.pow(U, 1 / shape);
          if (X <= V) return X;
        } else {
          const Y = -Math.log((1 - U) / shape);
          const X = Math.pow(1.0 - shape + shape * Y, 1 / shape);
          if (X <= V + Y) return X;
        }
      }
    }
    const b = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * b);
    for (;;) {
      let X: number;
      let V: number;
      do {
        X = this.gauss();
        V = 1.0 + c * X;
      } while (V <= 0.0);
      V = V * V * V;
      const U = this.nextDouble();
      if (U < 1.0 - 0.0331 * (X * X) * (X * X)) return b * V;
      if (Math.log(U) < 0.5 * X * X + b * (1 - V + Math.log(V))) return b * V;
    }
  }

  /** Standard gamma draws (`standard_gamma(shape)`). */
  standardGamma(shape: number): number;
  standardGamma(shape: number, n: number): Float64Array;
  standardGamma(shape: number, n?: number): number | Float64Array {
    if (shape < 0) throw new RangeError("standardGamma: shape < 0");
    if (n === undefined) return this.stdGamma(shape);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.stdGamma(shape);
    return out;
  }

  /** Gamma draws `scale * standard_gamma(shape)`. */
  gamma(shape: number, scale?: number): number;
  gamma(shape: number, scale: number, n: number): Float64Array;
  gamma(shape: number, scale = 1, n?: number): number | Float64Array {
    if (shape < 0 || scale < 0) throw new RangeError("gamma: shape < 0 or scale < 0");
    if (n === undefined) return scale * this.stdGamma(shape);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = scale * this.stdGamma(shape);
    return out;
  }

  /** One draw of numpy's `legacy_beta(a, b)` (Johnk's algorithm when both <= 1, else two gammas). */
  private betaOne(a: number, b: number): number {
    if (a <= 1.0 && b <= 1.0) {
      for (;;) {
        const U = this.nextDouble();
        const V = this.nextDouble();
        const X = Math.pow(U, 1.0 / a);
        const Y = Math.pow(V, 1.0 / b);
        if (X + Y <= 1.0) {
          if (X + Y > 0) return X / (X + Y);
          let logX = Math.log(U) / a;
          let logY = Math.log(V) / b;
          const logM = logX > logY ? logX : logY;
          logX -= logM;
          logY -= logM;
          return Math.exp(logX - Math.log(Math.exp(logX) + Math.exp(logY)));
        }
      }
    }
    const ga = this.stdGamma(a);
    const gb = this.stdGamma(b);
    return ga / (ga + gb);
  }

  /** Beta distribution draws (`beta(a, b)`). */
  beta(a: number, b: number): number;
  beta(a: number, b: number, n: number): Float64Array;
  beta(a: number, b: number, n?: number): number | Float64Array {
    if (!(a > 0) || !(b > 0)) throw new RangeError("beta: a <= 0 or b <= 0");
    if (n === undefined) return this.betaOne(a, b);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.betaOne(a, b);
    return out;
  }

  /**
   * Masked rejection draw in [0, rng] for 0 <= rng < 2**53 (numpy's `random_bounded_uint64` with
   * `use_masked`, which uses 32-bit draws when rng fits in 32 bits).
   */
  private boundedMasked(rng: number, mask: number): number {
    if (rng === 0) return 0;
    if (rng <= 0xffffffff) {
      if (rng === 0xffffffff) return this.nextUint32();
      let v: number;
      while ((v = (this.nextUint32() & mask) >>> 0) > rng);
      return v;
    }
    const maskHi = Math.floor(mask / TWO32);
    for (;;) {
      const hi = (this.nextUint32() & maskHi) >>> 0;
      const lo = this.nextUint32();
      const v = hi * TWO32 + lo;
      if (v <= rng) return v;
    }
  }

  /**
   * Random integers in [low, high) by numpy's legacy masked rejection sampling for the default
   * int64 dtype. With one bound, draws from [0, low) like `randint(low)`.
   */
  randint(low: number, high?: number): number;
  randint(low: number, high: number | undefined, n: number): Float64Array;
  randint(low: number, high?: number, n?: number): number | Float64Array {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    if (!Number.isInteger(low) || !Number.isInteger(high)) throw new RangeError("randint: bounds must be integers");
    const top = high - 1;
    if (low > top) throw new RangeError(`randint: low >= high (low=${low}, high=${high})`);
    const rng = top - low;
    if (rng > Number.MAX_SAFE_INTEGER) throw new RangeError("randint: range exceeds 2**53");
    const mask = genMask(rng);
    if (n === undefined) return low + this.boundedMasked(rng, mask);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = low + this.boundedMasked(rng, mask);
    return out;
  }

  /** A random integer in [0, max] (numpy's `random_interval`, used by shuffle). */
  randomInterval(max: number): number {
    if (max === 0) return 0;
    return this.boundedMaskedInterval(max, genMask(max));
  }

  private boundedMaskedInterval(max: number, mask: number): number {
    if (max <= 0xffffffff) {
      let v: number;
      while ((v = (this.nextUint32() & mask) >>> 0) > max);
      return v;
    }
    return this.boundedMasked(max, mask);
  }

  /**
   * Shuffle in place along the first axis, as legacy `shuffle`: rows of `rowSize` consecutive
   * elements are swapped (i from n-1 down to 1, j = random_interval(i)).
   */
  shuffle<T extends { length: number; [i: number]: unknown }>(x: T, rowSize = 1): T {
    const n = Math.floor(x.length / rowSize);
    const arr = x as unknown as unknown[];
    for (let i = n - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      if (i === j) continue;
      const oi = i * rowSize;
      const oj = j * rowSize;
      for (let k = 0; k < rowSize; k++) {
        const t = arr[oj + k];
        arr[oj + k] = arr[oi + k];
        arr[oi + k] = t;
      }
    }
    return x;
  }

  /** `permutation(n)`: a shuffled `arange(n)` (as Float64Array); or a shuffled copy of an array's rows. */
  permutation(n: number): Float64Array;
  permutation<T>(x: readonly T[], rowSize?: number): T[];
  permutation(x: Float64Array, rowSize?: number): Float64Array;
  permutation(x: number | readonly unknown[] | Float64Array, rowSize = 1): unknown {
    if (typeof x === "number") {
      const a = new Float64Array(x);
      for (let i = 0; i < x; i++) a[i] = i;
      return this.shuffle(a);
    }
    const copy = x instanceof Float64Array ? x.slice() : x.slice();
    return this.shuffle(copy, rowSize);
  }

  /**
   * Legacy `choice(a, size, replace, p)`: `a` is a population size (returns indices) or an array of
   * options. Consumes draws exactly as numpy (randint without p, uniform + searchsorted with p,
   * permutation for replace=false without p, repeated `rand` rounds with p).
   */
  choice(a: number, size: number, replace?: boolean, p?: ArrayLike<number>): Float64Array;
  choice<T>(a: readonly T[], size: number, replace?: boolean, p?: ArrayLike<number>): T[];
  choice(a: number | readonly unknown[], size: number, replace = true, p?: ArrayLike<number>): unknown {
    const popSize = typeof a === "number" ? a : a.length;
    if (typeof a === "number" && !Number.isInteger(a)) throw new RangeError("a must be 1-dimensional or an integer");
    if (popSize <= 0 && size !== 0) throw new RangeError("a must be greater than 0 unless no samples are taken");
    let pArr: Float64Array | undefined;
    if (p !== undefined) {
      pArr = Float64Array.from(p);
      if (pArr.length !== popSize) throw new RangeError("'a' and 'p' must have same size");
      const pSum = kahanSum(pArr);
      if (Number.isNaN(pSum)) throw new RangeError("probabilities contain NaN");
      for (const v of pArr) if (v < 0) throw new RangeError("probabilities are not non-negative");
      if (Math.abs(pSum - 1) > Math.sqrt(2.220446049250313e-16)) {
        throw new RangeError("probabilities do not sum to 1");
      }
    }
    let idx: Float64Array;
    if (replace) {
      if (pArr !== undefined) {
        const cdf = cumsumNormalized(pArr);
        idx = new Float64Array(size);
        for (let i = 0; i < size; i++) idx[i] = searchRight(cdf, this.nextDouble());
      } else {
        idx = this.randint(0, popSize, size);
      }
    } else {
      if (size > popSize) throw new RangeError("Cannot take a larger sample than population when 'replace=False'");
      if (pArr !== undefined) {
        let nonzero = 0;
        for (const v of pArr) if (v > 0) nonzero++;
        if (nonzero < size) throw new RangeError("Fewer non-zero entries in p than size");
        idx = new Float64Array(size);
        let nUniq = 0;
        while (nUniq < size) {
          const x = this.randomSample(size - nUniq);
          for (let k = 0; k < nUniq; k++) pArr[idx[k]] = 0;
          const cdf = cumsumNormalized(pArr);
          // np.unique(new, return_index=True) then sorted first-occurrence order == first occurrences in order
          const seen = new Set<number>();
          for (let k = 0; k < x.length; k++) {
            const v = searchRight(cdf, x[k]);
            if (!seen.has(v)) {
              seen.add(v);
              idx[nUniq++] = v;
            }
          }
        }
      } else {
        idx = this.permutation(popSize).subarray(0, size).slice();
      }
    }
    if (typeof a === "number") return idx;
    return Array.from(idx, (i) => a[i]);
  }
}

function checkSeedWord(s: number): void {
  if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) {
    throw new RangeError(`Seed must be between 0 and 2**32 - 1 (got ${s})`);
  }
}

/** Smallest all-ones bit mask >= max (numpy's `gen_mask`), for 0 <= max < 2**53. */
function genMask(max: number): number {
  if (max <= 0xffffffff) {
    let m = max >>> 0;
    m |= m >>> 1;
    m |= m >>> 2;
    m |= m >>> 4;
    m |= m >>> 8;
    m |= m >>> 16;
    return m >>> 0;
  }
  let bits = 0;
  while (2 ** bits <= max) bits++;
  return 2 ** bits - 1;
}

/** numpy's `kahan_sum` (used to validate `p` in `choice`). */
function kahanSum(a: Float64Array): number {
  if (a.length === 0) return 0;
  let sum = a[0];
  let c = 0;
  for (let i = 1; i < a.length; i++) {
    const y = a[i] - c;
    const t = sum + y;
    c = t - sum - y;
    sum = t;
  }
  return sum;
}

/** `cdf = p.cumsum(); cdf /= cdf[-1]`. */
function cumsumNormalized(p: Float64Array): Float64Array {
  const cdf = new Float64Array(p.length);
  let s = 0;
  for (let i = 0; i < p.length; i++) cdf[i] = s += p[i];
  const last = cdf[cdf.length - 1];
  for (let i = 0; i < cdf.length; i++) cdf[i] /= last;
  return cdf;
}

/** `np.searchsorted(a, v, side="right")`: the number of elements <= v. */
function searchRight(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
