/** Product: element-wise product of two vectors (nengo.networks.Product, Gosmann 2015). */
import { ValidationError } from "../errors.js";
import type { Network } from "../model/network.js";
import type { Node } from "../model/node.js";
import { attach, defined } from "./common.js";
import { EnsembleArray, type EnsembleArrayNetwork } from "./ensemblearray.js";

/** Options of `Product(net, opts)`. */
export interface ProductOptions {
  /** Neurons per dimension, split evenly between the two squaring ensembles (an odd one is unused). */
  nNeurons: number;
  /** Dimensionality of each input vector. */
  dimensions: number;
  /** Expected magnitude of the inputs; sets the squaring ensembles' radius (default 1). */
  inputMagnitude?: number;
  /** Default "Product". */
  label?: string;
  seed?: number;
}

/** Members of a Product network. */
export interface ProductMembers {
  /** First factor (passthrough node). */
  readonly inputA: Node;
  /** Second factor (passthrough node). */
  readonly inputB: Node;
  /** The element-wise product (passthrough node). */
  readonly output: Node;
  /** Represents `(a + b) / sqrt(2)` and decodes its square. */
  readonly sq1: EnsembleArrayNetwork;
  /** Represents `(a - b) / sqrt(2)` and decodes its square. */
  readonly sq2: EnsembleArrayNetwork;
  /** Dimensionality of the inputs. */
  readonly dimensions: number;
}

/** A Product: a Network with the {@link ProductMembers}. */
export type ProductNetwork = Network & ProductMembers;

/**
 * Add a network computing the element-wise product of `inputA` and `inputB` to `net`, as Nengo's
 * `Product`: `output = ((a+b)^2 - (a-b)^2) / 4` computed by two EnsembleArrays of `nNeurons / 2`
 * one-dimensional ensembles with radius `inputMagnitude * sqrt(2)`.
 */
export function Product(net: Network, opts: ProductOptions): ProductNetwork {
  const { nNeurons, dimensions, inputMagnitude = 1, label = "Product", seed } = opts;
  if (!Number.isInteger(nNeurons) || nNeurons < 1) {
    throw new ValidationError(`must be an integer >= 1, got ${String(nNeurons)}`, "nNeurons", "Product");
  }
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new ValidationError(`must be an integer >= 1, got ${String(dimensions)}`, "dimensions", "Product");
  }
  if (!(typeof inputMagnitude === "number" && inputMagnitude > 0 && Number.isFinite(inputMagnitude))) {
    throw new ValidationError(`must be a positive number, got ${String(inputMagnitude)}`, "inputMagnitude", "Product");
  }
  const sub = net.network(defined({ label, seed }));
  const inputA = sub.node({ sizeIn: dimensions, label: "input_a" });
  const inputB = sub.node({ sizeIn: dimensions, label: "input_b" });
  const output = sub.node({ sizeIn: dimensions, label: "output" });
  const nHalf = Math.max(1, Math.floor(nNeurons / 2));
  const radius = inputMagnitude * Math.SQRT2;
  const sq1 = EnsembleArray(sub, { nNeurons: nHalf, nEnsembles: dimensions, ensDimensions: 1, radius });
  const sq2 = EnsembleArray(sub, { nNeurons: nHalf, nEnsembles: dimensions, ensDimensions: 1, radius });
  const tr = 1 / Math.SQRT2;
  sub.connect(inputA, sq1.input, { transform: tr, synapse: null });
  sub.connect(inputB, sq1.input, { transform: tr, synapse: null });
  sub.connect(inputA, sq2.input, { transform: tr, synapse: null });
  sub.connect(inputB, sq2.input, { transform: -tr, synapse: null });
  const square = (x: Float64Array): number[] => [x[0] * x[0]];
  const sq1Out = sq1.addOutput("square", square);
  sub.connect(sq1Out, output, { transform: 0.5, synapse: null });
  const sq2Out = sq2.addOutput("square", square);
  sub.connect(sq2Out, output, { transform: -0.5, synapse: null });
  return attach(sub, { inputA, inputB, output, sq1, sq2, dimensions });
}

/** A `[1][dimensions]` transform (all `scale`) that sums a Product's output into a dot product. */
export function dotProductTransform(dimensions: number, scale = 1): number[][] {
  return [new Array<number>(dimensions).fill(scale)];
}
