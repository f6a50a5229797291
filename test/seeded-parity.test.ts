/** Same seed, same model as Nengo 4: built parameters of seeded models against seeded_parity.json. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import { loadGolden } from "./helpers/golden.js";

const cases = loadGolden("seeded_parity").cases;

function assertClose(got: number[], want: number[], rtol: number, atol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((v, i) =>
    assert.ok(Math.abs(v - want[i]) <= atol + rtol * Math.abs(want[i]), `${what}[${i}]: ${v} vs Nengo ${want[i]}`),
  );
}

test("Network(seed=0): Ensemble(20, 2) -> Node builds Nengo's encoders, gains, biases, eval points and decoders", () => {
  const c = cases.ensemble_20x2_netseed0;
  const net = new nengo.Network({ seed: 0 });
  const ens = net.ensemble({ nNeurons: 20, dimensions: 2 });
  const out = net.node({ sizeIn: 2 });
  const conn = net.connect(ens, out);
  const sim = new nengo.Simulator(net);
  assert.equal(sim.model.seeds.get(ens), c.ens_seed);
  assert.equal(sim.model.seeds.get(conn), c.conn_seed);
  const d = sim.data.get(ens);
  assertClose(d.encoders.flat(), c.encoders.flat(), 0, 1e-9, "encoders");
  assertClose(d.gain as number[], c.gain, 1e-6, 0, "gain");
  assertClose(d.bias as number[], c.bias, 1e-6, 1e-12, "bias");
  assertClose(d.maxRates as number[], c.max_rates, 1e-6, 0, "maxRates");
  assertClose(d.intercepts as number[], c.intercepts, 1e-6, 1e-12, "intercepts");
  assertClose(d.evalPoints.flat(), c.eval_points.flat(), 0, 1e-9, "evalPoints");
  const w = sim.data.get(conn).weights as number[][];
  assertClose(w.flat(), c.decoders.flat(), 1e-6, 1e-9, "decoders");
});

test("Ensemble(10, 1, seed=42) in Network(seed=5) uses its own seed as Nengo does", () => {
  const c = cases.ensemble_10x1_seed42;
  const net = new nengo.Network({ seed: 5 });
  const ens = net.ensemble({ nNeurons: 10, dimensions: 1, seed: 42 });
  const sim = new nengo.Simulator(net);
  const d = sim.data.get(ens);
  assertClose(d.encoders.flat(), c.encoders.flat(), 0, 1e-9, "encoders");
  assertClose(d.gain as number[], c.gain, 1e-6, 0, "gain");
  assertClose(d.bias as number[], c.bias, 1e-6, 1e-12, "bias");
});

test("a simulator seed overrides the network seed, and equal seeds build equal models", () => {
  const make = (): { net: nengo.Network; ens: nengo.Ensemble } => {
    const net = new nengo.Network({ seed: 0 });
    const ens = net.ensemble({ nNeurons: 20, dimensions: 2 });
    return { net, ens };
  };
  const a = make();
  const b = make();
  const enc = (x: { net: nengo.Network; ens: nengo.Ensemble }, seed?: number): number[] =>
    new nengo.Simulator(x.net, { seed }).data.get(x.ens).encoders.flat();
  assert.deepEqual(enc(a), enc(b));
  assert.deepEqual(enc(a, 7), enc(b, 7));
  assert.notDeepEqual(enc(a, 7), enc(a));
});
