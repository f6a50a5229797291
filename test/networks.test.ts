import { test } from "node:test";
import assert from "node:assert/strict";
import { Network } from "../src/model/network.js";
import type { Probe } from "../src/model/probe.js";
import { Simulator } from "../src/simulator/simulator.js";
import { ValidationError } from "../src/errors.js";
import { Direct } from "../src/neurons/index.js";
import {
  BasalGanglia,
  CircularConvolution,
  EnsembleArray,
  Product,
  Thalamus,
  circconv,
  transformIn,
  transformOut,
} from "../src/networks/index.js";

/** Mean of the last `n` samples of a probe, per dimension. */
function tailMean(sim: Simulator, p: Probe, n = 100): number[] {
  const d = sim.data.get(p);
  const tail = d.slice(-n);
  return tail[0].map((_, j) => tail.reduce((s, row) => s + row[j], 0) / tail.length);
}

/** Circular convolution from the DFT formula: c = IDFT(DFT(a) * DFT(b)) (optionally conjugating). */
function dftCircconv(a: number[], b: number[], invertA = false, invertB = false): number[] {
  const n = a.length;
  const dft = (x: number[], conj: boolean): [number, number][] =>
    Array.from({ length: n }, (_, k) => {
      let re = 0;
      let im = 0;
      for (let j = 0; j < n; j++) {
        const ang = (-2 * Math.PI * k * j) / n;
        re += x[j] * Math.cos(ang);
        im += x[j] * Math.sin(ang);
      }
      return [re, conj ? -im : im];
    });
  const A = dft(a, invertA);
  const B = dft(b, invertB);
  const H = A.map(([ar, ai], k) => [ar * B[k][0] - ai * B[k][1], ar * B[k][1] + ai * B[k][0]]);
  return Array.from({ length: n }, (_, x) => {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const ang = (2 * Math.PI * k * x) / n;
      s += H[k][0] * Math.cos(ang) - H[k][1] * Math.sin(ang);
    }
    return s / n;
  });
}

const matvec = (m: number[][], v: number[]): number[] => m.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));

function assertClose(actual: number[], expected: number[], tol: number, msg: string): void {
  assert.equal(actual.length, expected.length, `${msg}: length`);
  actual.forEach((x, i) =>
    assert.ok(Math.abs(x - expected[i]) <= tol, `${msg}[${i}]: ${x} vs ${expected[i]} (tol ${tol})`),
  );
}

test("EnsembleArray structure: members, labels, slicing and config", () => {
  const net = new Network({ seed: 1 });
  const ea = EnsembleArray(net, { nNeurons: 10, nEnsembles: 3, ensDimensions: 2, label: "ea", radius: 2 });
  assert.equal(net.networks[0], ea);
  assert.equal(ea.label, "ea");
  assert.equal(ea.input.sizeIn, 6);
  assert.equal(ea.output.sizeIn, 6);
  assert.equal(ea.dimensions, 6);
  assert.equal(ea.eaEnsembles.length, 3);
  assert.deepEqual(
    ea.ensembles.map((e) => e.label),
    ["ea_0", "ea_1", "ea_2"],
  );
  assert.ok(ea.ensembles.every((e) => e.radius === 2 && e.dimensions === 2 && e.nNeurons === 10));
  assert.equal(ea.members.input, ea.input);
  assert.equal(ea.outputs.output, ea.output);
  const sq = ea.addOutput("sq", (x) => [x[0] * x[0]]);
  assert.equal(sq.sizeIn, 3);
  assert.equal((ea as unknown as Record<string, unknown>).sq, sq);
  assert.throws(() => ea.addOutput("sq", null), ValidationError);
  assert.equal(ea.neuronInput, null);
  const ni = ea.addNeuronInput();
  assert.equal(ni.sizeIn, 30);
  assert.equal(ea.neuronInput, ni);
  assert.equal(ea.addNeuronInput(), ni);
  assert.equal(ea.addNeuronOutput().sizeIn, 30);
  assert.throws(() => EnsembleArray(net, { nNeurons: 10, nEnsembles: 2, dimensions: 2 } as never), ValidationError);
  const direct = EnsembleArray(net, { nNeurons: 1, nEnsembles: 2, neuronType: new Direct() });
  assert.throws(() => direct.addNeuronOutput(), ValidationError);
});

test("EnsembleArray represents its input", () => {
  const net = new Network({ seed: 0 });
  const ea = EnsembleArray(net, { nNeurons: 50, nEnsembles: 3 });
  const inp = net.node({ output: [0.5, -0.3, 0.8] });
  net.connect(inp, ea.input);
  const p = net.probe(ea.output, { synapse: 0.01 });
  const sim = new Simulator(net, { progressBar: false });
  sim.runSteps(300);
  assertClose(tailMean(sim, p), [0.5, -0.3, 0.8], 0.1, "ea output");
});

test("Product of two constant vectors is their element-wise product", () => {
  const net = new Network({ seed: 0 });
  const prod = Product(net, { nNeurons: 100, dimensions: 2 });
  assert.equal(prod.label, "Product");
  assert.equal(prod.sq1.ensembles.length, 2);
  assert.equal(prod.sq1.ensembles[0].nNeurons, 50);
  assert.ok(Math.abs(prod.sq1.ensembles[0].radius - Math.SQRT2) < 1e-12);
  const a = net.node({ output: [0.6, -0.5] });
  const b = net.node({ output: [0.7, 0.8] });
  net.connect(a, prod.inputA);
  net.connect(b, prod.inputB);
  const p = net.probe(prod.output, { synapse: 0.01 });
  const sim = new Simulator(net, { progressBar: false });
  sim.runSteps(300);
  assertClose(tailMean(sim, p), [0.42, -0.4], 0.1, "product");
});

test("CircularConvolution DFT transforms compute circular convolution exactly", () => {
  for (const d of [1, 2, 5, 8]) {
    for (const [ia, ib] of [
      [false, false],
      [true, false],
      [false, true],
    ] as const) {
      const a = Array.from({ length: d }, (_, i) => Math.sin(i + 1));
      const b = Array.from({ length: d }, (_, i) => Math.cos(2 * i + 0.5));
      const fa = matvec(transformIn(d, "A", ia), a);
      const fb = matvec(transformIn(d, "B", ib), b);
      assert.equal(fa.length, 4 * (Math.floor(d / 2) + 1));
      const out = matvec(
        transformOut(d),
        fa.map((x, i) => x * fb[i]),
      );
      const expected = dftCircconv(a, b, ia, ib);
      assertClose(out, expected, 1e-9, `d=${d} invert=${ia},${ib}`);
      assertClose(circconv(a, b, ia, ib), expected, 1e-9, `circconv d=${d}`);
    }
  }
});

test("CircularConvolution network computes the circular convolution of two vectors", () => {
  const net = new Network({ seed: 0 });
  const a = [0.5, -0.3, 0.2];
  const b = [0.1, 0.6, -0.4];
  const cc = CircularConvolution(net, { nNeurons: 100, dimensions: 3 });
  assert.equal(cc.label, "Circular convolution");
  assert.equal(cc.product.dimensions, 8);
  const na = net.node({ output: a });
  const nb = net.node({ output: b });
  net.connect(na, cc.inputA);
  net.connect(nb, cc.inputB);
  const p = net.probe(cc.output, { synapse: 0.01 });
  const sim = new Simulator(net, { progressBar: false });
  sim.runSteps(300);
  assertClose(tailMean(sim, p), dftCircconv(a, b), 0.1, "cconv");
});

test("BasalGanglia selects the largest input", () => {
  const net = new Network({ seed: 0 });
  const bg = BasalGanglia(net, { dimensions: 3, nNeuronsPerEnsemble: 50 });
  assert.equal(bg.label, "Basal Ganglia");
  assert.equal(bg.biasInput, null);
  assert.equal(bg.strD1.ensembles[0].radius, 1.5);
  const inp = net.node({ output: [0.3, 0.8, 0.5] });
  net.connect(inp, bg.input, { synapse: null });
  const p = net.probe(bg.output, { synapse: 0.01 });
  const sim = new Simulator(net, { progressBar: false });
  sim.runSteps(200);
  const out = tailMean(sim, p);
  const winner = out.indexOf(Math.max(...out));
  assert.equal(winner, 1, `output ${out.map((x) => x.toFixed(3)).join(", ")}`);
  assert.ok(out[1] > -0.25, `winner near 0: ${out[1]}`);
  assert.ok(out[0] < out[1] - 0.3 && out[2] < out[1] - 0.3, `losers inhibited: ${out.join(", ")}`);
});

test("Thalamus structure", () => {
  const net = new Network({ seed: 0 });
  const th = Thalamus(net, { dimensions: 2, nNeuronsPerEnsemble: 10 });
  assert.equal(th.input, th.actions.input);
  assert.equal(th.output, th.actions.output);
  assert.equal(th.bias.sizeOut, 1);
});
