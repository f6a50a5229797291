/** CircularConvolution (nengo.networks.CircularConvolution) and its DFT transforms. */
import { ValidationError } from "../errors.js";
import type { Network } from "../model/network.js";
import type { Node } from "../model/node.js";
import { attach, defined } from "./common.js";
import { Product, type ProductNetwork } from "./product.js";

/**
 * Reference circular convolution `c[i] = sum_j a[j] b[(i - j) mod n]` (Nengo's `circconv`, computed
 * directly instead of by FFT). `invertA`/`invertB` use `conj(DFT(x))`, i.e. `x[-j mod n]`, for that input
 * (`invertB` gives circular correlation).
 */
export function circconv(a: ArrayLike<number>, b: ArrayLike<number>, invertA = false, invertB = false): number[] {
  const n = a.length;
  if (b.length !== n)
    throw new ValidationError(`inputs must have the same length, got ${n} and ${b.length}`, "b", "circconv");
  const at = (x: ArrayLike<number>, inv: boolean, j: number): number => x[inv ? (n - j) % n : j];
  const c = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += at(a, invertA, j) * at(b, invertB, (((i - j) % n) + n) % n);
    c[i] = s;
  }
  return c;
}

/** The first `floor(n/2) + 1` rows of the DFT matrix, `exp(-2 pi i w x / n)`, as real and imaginary parts. */
export function dftHalf(n: number): { re: number[][]; im: number[][] } {
  const rows = Math.floor(n / 2) + 1;
  const re: number[][] = [];
  const im: number[][] = [];
  for (let w = 0; w < rows; w++) {
    const r: number[] = [];
    const m: number[] = [];
    for (let x = 0; x < n; x++) {
      // reduce w*x mod n first so large products keep full precision in the angle
      const ang = ((-2 * Math.PI) / n) * ((w * x) % n);
      r.push(Math.cos(ang));
      m.push(Math.sin(ang));
    }
    re.push(r);
    im.push(m);
  }
  return { re, im };
}

/**
 * Nengo's `transform_in(dims, align, invert)`: a `[4 * (floor(dims/2) + 1)][dims]` matrix mapping an input
 * into the Fourier domain, rows aligned for complex multiplication: "A" gives `[Re, Im, Re, Im]` per
 * frequency, "B" gives `[Re, Im, Im, Re]`; `invert` conjugates the DFT rows.
 */
export function transformIn(dims: number, align: "A" | "B", invert: boolean): number[][] {
  if (align !== "A" && align !== "B") throw new ValidationError("'align' must be either 'A' or 'B'", "align");
  const dims2 = 4 * (Math.floor(dims / 2) + 1);
  const { re, im } = dftHalf(dims);
  const tr: number[][] = [];
  for (let i = 0; i < dims2; i++) {
    const k = Math.floor(i / 4);
    const useReal = align === "A" ? i % 2 === 0 : i % 4 === 0 || i % 4 === 3;
    tr.push(useReal ? [...re[k]] : im[k].map((v) => (invert ? -v : v)));
  }
  return tr;
}

/**
 * Nengo's `transform_out(dims)`: a `[dims][4 * (floor(dims/2) + 1)]` matrix that forms the complex
 * products `(w - x) + (y + z) i` and applies the inverse DFT (real part, with its 1/dims factor).
 */
export function transformOut(dims: number): number[][] {
  const dims2 = Math.floor(dims / 2) + 1;
  const { re, im } = dftHalf(dims); // idft = conj(dft): real part re, imaginary part -im
  const cols = 4 * dims2;
  const tr: number[][] = Array.from({ length: dims }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < dims2; i++) {
    const scale = i === 0 || 2 * i === dims ? 1 : 2;
    for (let x = 0; x < dims; x++) {
      const rr = (scale * re[i][x]) / dims;
      const ri = (scale * -im[i][x]) / dims;
      tr[x][4 * i] = rr;
      tr[x][4 * i + 1] = -rr;
      tr[x][4 * i + 2] = -ri;
      tr[x][4 * i + 3] = -ri;
    }
  }
  return tr;
}

/** Options of `CircularConvolution(net, opts)`. */
export interface CircularConvolutionOptions {
  /** Neurons in each product computation (per Fourier component). */
  nNeurons: number;
  /** Dimensionality of the inputs and the output. */
  dimensions: number;
  /** Use the reversed first input (default false). */
  invertA?: boolean;
  /** Use the reversed second input: circular correlation (default false). */
  invertB?: boolean;
  /** Expected magnitude of the inputs (default 1); the product network gets twice this. */
  inputMagnitude?: number;
  /** Default "Circular convolution". */
  label?: string;
  seed?: number;
}

/** Members of a CircularConvolution network. */
export interface CircularConvolutionMembers {
  /** First vector (passthrough node). */
  readonly inputA: Node;
  /** Second vector (passthrough node). */
  readonly inputB: Node;
  /** The circular convolution (passthrough node). */
  readonly output: Node;
  /** The Product network multiplying the Fourier components (`4 * (floor(dimensions/2) + 1)` dimensions). */
  readonly product: ProductNetwork;
  /** Dimensionality of the inputs and the output. */
  readonly dimensions: number;
}

/** A CircularConvolution: a Network with the {@link CircularConvolutionMembers}. */
export type CircularConvolutionNetwork = Network & CircularConvolutionMembers;

/**
 * Add a network computing the circular convolution of `inputA` and `inputB` to `net`, as Nengo's
 * `CircularConvolution`: DFT of both inputs (`transformIn`), element-wise Product of the aligned real and
 * imaginary parts, inverse DFT (`transformOut`), all on connections with no synapse.
 */
export function CircularConvolution(net: Network, opts: CircularConvolutionOptions): CircularConvolutionNetwork {
  const {
    nNeurons,
    dimensions,
    invertA = false,
    invertB = false,
    inputMagnitude = 1,
    label = "Circular convolution",
    seed,
  } = opts;
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new ValidationError(
      `must be an integer >= 1, got ${String(dimensions)}`,
      "dimensions",
      "CircularConvolution",
    );
  }
  const trA = transformIn(dimensions, "A", invertA);
  const trB = transformIn(dimensions, "B", invertB);
  const trOut = transformOut(dimensions);
  const sub = net.network(defined({ label, seed }));
  const inputA = sub.node({ sizeIn: dimensions, label: "input_a" });
  const inputB = sub.node({ sizeIn: dimensions, label: "input_b" });
  const product = Product(sub, { nNeurons, dimensions: trOut[0].length, inputMagnitude: inputMagnitude * 2 });
  const output = sub.node({ sizeIn: dimensions, label: "output" });
  sub.connect(inputA, product.inputA, { transform: trA, synapse: null });
  sub.connect(inputB, product.inputB, { transform: trB, synapse: null });
  sub.connect(product.output, output, { transform: trOut, synapse: null });
  return attach(sub, { inputA, inputB, output, product, dimensions });
}
