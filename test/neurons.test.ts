import { test } from "node:test";
import assert from "node:assert/strict";
import { loadGolden } from "./helpers/golden.js";
import {
  NeuronType,
  Direct,
  RectifiedLinear,
  SpikingRectifiedLinear,
  Sigmoid,
  Tanh,
  LIFRate,
  LIF,
  AdaptiveLIFRate,
  AdaptiveLIF,
  SoftLIFRate,
  RegularSpiking,
  PoissonSpiking,
  type NeuronRng,
} from "../src/neurons/index.js";
import { ValidationError, SimulationError } from "../src/errors.js";
import { Uniform } from "../src/dists/basic.js";

const f64 = (a: number[]): Float64Array => Float64Array.from(a);

function relClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, msg: string): void {
  assert.equal(actual.length, expected.length, msg + " length");
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const d = Math.abs(actual[i] - e);
    assert.ok(d <= rtol * Math.abs(e) + 1e-12, `${msg}[${i}]: ${actual[i]} vs ${e}`);
  }
}

/** Build a neuron type from a golden file entry (snake_case params). */
function fromGolden(type: string, params: Record<string, number>): NeuronType {
  const p = { tauRc: params.tau_rc, tauRef: params.tau_ref, amplitude: params.amplitude };
  switch (type) {
    case "LIFRate":
      return new LIFRate(p);
    case "LIF":
      return new LIF(p);
    case "RectifiedLinear":
      return new RectifiedLinear(p);
    case "SpikingRectifiedLinear":
      return new SpikingRectifiedLinear(p);
    case "Sigmoid":
      return new Sigmoid(p);
    case "Tanh":
      return new Tanh(p);
  }
  throw new Error(`unknown type ${type}`);
}

/** Allocate state arrays for n neurons with constant initial values (distributions -> `fill`). */
function makeState(t: NeuronType, n: number, fill = 0): Record<string, Float64Array> {
  const s: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(t.state)) s[k] = new Float64Array(n).fill(typeof v === "number" ? v : fill);
  return s;
}

test("golden neuron_rates: rates, gainBias and inverse", () => {
  const g = loadGolden("neuron_rates.json");
  const J = f64(g.J);
  const n = J.length;
  for (const entry of g.types) {
    const t = fromGolden(entry.type, entry.params);
    const name = `${entry.type}${JSON.stringify(entry.params)}`;
    const r = t.ratesFromCurrent(J);
    relClose(
      r,
      entry.rates.map((row: number[]) => row[0]),
      1e-6,
      name + " rates",
    );
    // rates(x, gain=1, bias=0) is the same curve
    relClose(t.rates(J, new Float64Array(n).fill(1), new Float64Array(n)), r, 0, name + " rates(x)");
    const gb = entry.gain_bias;
    const { gain, bias } = t.gainBias(f64(gb.max_rates), f64(gb.intercepts));
    relClose(gain, gb.gain, 1e-6, name + " gain");
    relClose(bias, gb.bias, 1e-6, name + " bias");
    const inv = t.maxRatesIntercepts(f64(gb.gain), f64(gb.bias));
    // Sigmoid with intercept -0.5 at max rate 200 = 1/(2 tauRef) has gain 0: not invertible
    for (let i = 0; i < gain.length; i++) {
      if (gb.gain[i] === 0) continue;
      relClose([inv.maxRates[i]], [gb.max_rates[i]], 1e-6, name + " maxRates");
      relClose([inv.intercepts[i]], [gb.intercepts[i]], 1e-6, name + " intercepts");
    }
  }
});

test("golden spiking_counts: 1000 steps at constant J, counts within 1", () => {
  const g = loadGolden("spiking_counts.json");
  const J = f64(g.J);
  const n = J.length;
  for (const entry of g.types) {
    const t = fromGolden(entry.type, entry.params);
    for (const v0 of [0, 0.5, 0.999]) {
      const state = makeState(t, n, v0);
      const out = new Float64Array(n);
      const counts = new Float64Array(n);
      for (let s = 0; s < g.steps; s++) {
        t.step(g.dt, J, out, state);
        for (let i = 0; i < n; i++) {
          if (out[i] !== 0) {
            assert.ok(Math.abs(out[i] - entry.spike_height) < 1e-9, `spike height ${out[i]}`);
            counts[i] += Math.round(out[i] / entry.spike_height);
          }
        }
      }
      for (let i = 0; i < n; i++) {
        assert.ok(
          Math.abs(counts[i] - entry.counts[i]) <= 1,
          `${entry.type} v0=${v0} J=${J[i]}: ${counts[i]} vs ${entry.counts[i]}`,
        );
      }
    }
  }
});

test("LIF step: refractory period and spike-time interpolation", () => {
  const lif = new LIF({ tauRc: 0.02, tauRef: 0.002 });
  const dt = 0.001;
  const J = f64([3]);
  const st = { voltage: f64([0.99]), refractoryTime: f64([0]) };
  const out = new Float64Array(1);
  lif.step(dt, J, out, st);
  const v = 0.99 - (3 - 0.99) * Math.expm1(-dt / 0.02);
  assert.equal(out[0], 1000);
  assert.equal(st.voltage[0], 0);
  assert.ok(Math.abs(st.refractoryTime[0] - (0.002 + dt + 0.02 * Math.log1p(-(v - 1) / 2))) < 1e-15);
  // 2 full refractory steps (refractory time ~ 0.0025 here): voltage stays 0 until partial step
  lif.step(dt, J, out, st);
  assert.equal(st.voltage[0], 0);
  // minVoltage clamp
  const neg = new LIF({ minVoltage: -0.5 });
  const s2 = { voltage: f64([0]), refractoryTime: f64([0]) };
  for (let k = 0; k < 200; k++) neg.step(dt, f64([-10]), out, s2);
  assert.equal(s2.voltage[0], -0.5);
  const s3 = { voltage: f64([0]), refractoryTime: f64([0]) };
  new LIF().step(dt, f64([-10]), out, s3);
  assert.equal(s3.voltage[0], 0);
});

test("LIF long-run rate approaches LIFRate", () => {
  const lif = new LIF();
  const J = f64([1.5, 2, 5, 10]);
  const st = { voltage: new Float64Array(4), refractoryTime: new Float64Array(4) };
  const out = new Float64Array(4);
  const counts = new Float64Array(4);
  const dt = 0.001;
  for (let s = 0; s < 10000; s++) {
    lif.step(dt, J, out, st);
    for (let i = 0; i < 4; i++) counts[i] += out[i] * dt;
  }
  const r = lif.ratesFromCurrent(J);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(counts[i] / 10 - r[i]) < 0.2, `${counts[i] / 10} vs ${r[i]}`);
});

test("AdaptiveLIFRate: first step and steady state", () => {
  const a = new AdaptiveLIFRate({ tauN: 0.1, incN: 0.05 });
  const J = f64([2, 5]);
  const st = { adaptation: new Float64Array(2) };
  const out = new Float64Array(2);
  const dt = 0.001;
  a.step(dt, J, out, st);
  const r0 = new LIFRate().ratesFromCurrent(J);
  relClose(out, r0, 1e-15, "first output");
  relClose(st.adaptation, [(dt / 0.1) * 0.05 * r0[0], (dt / 0.1) * 0.05 * r0[1]], 1e-15, "first adaptation");
  for (let s = 0; s < 5000; s++) a.step(dt, J, out, st);
  // steady state: n = incN * r(J - n)
  const base = new LIFRate();
  for (let i = 0; i < 2; i++) {
    let lo = 0;
    let hi = J[i];
    for (let k = 0; k < 200; k++) {
      const mid = (lo + hi) / 2;
      if (mid < 0.05 * base.ratesFromCurrent(f64([J[i] - mid]))[0]) lo = mid;
      else hi = mid;
    }
    assert.ok(Math.abs(st.adaptation[i] - lo) < 1e-9, `${st.adaptation[i]} vs ${lo}`);
  }
  assert.deepEqual(Object.keys(a.state), ["adaptation"]);
});

test("AdaptiveLIF: incN = 0 equals LIF; adaptation decays and increments", () => {
  const dt = 0.001;
  const J = f64([1.5, 3, 8]);
  const lif = new LIF();
  const al = new AdaptiveLIF({ incN: 0 });
  const s1 = { voltage: f64([0.1, 0.5, 0.9]), refractoryTime: new Float64Array(3) };
  const s2 = { voltage: f64([0.1, 0.5, 0.9]), refractoryTime: new Float64Array(3), adaptation: new Float64Array(3) };
  const o1 = new Float64Array(3);
  const o2 = new Float64Array(3);
  for (let s = 0; s < 500; s++) {
    lif.step(dt, J, o1, s1);
    al.step(dt, J, o2, s2);
    assert.deepEqual(o2, o1);
  }
  const ad = new AdaptiveLIF({ tauN: 0.5, incN: 0.1 });
  assert.deepEqual(Object.keys(ad.state), ["voltage", "refractoryTime", "adaptation"]);
  const s3 = { voltage: f64([0.9999]), refractoryTime: f64([0]), adaptation: f64([0.2]) };
  const o3 = new Float64Array(1);
  ad.step(dt, f64([5]), o3, s3);
  assert.equal(o3[0], 1000);
  assert.ok(Math.abs(s3.adaptation[0] - (0.2 + (dt / 0.5) * (0.1 * 1000 - 0.2))) < 1e-15);
  // adapted neurons fire less
  const s4 = { voltage: new Float64Array(1), refractoryTime: new Float64Array(1), adaptation: new Float64Array(1) };
  let c = 0;
  for (let s = 0; s < 2000; s++) {
    ad.step(dt, f64([5]), o3, s4);
    c += o3[0] * dt;
  }
  assert.ok(c < 2 * new LIFRate().ratesFromCurrent(f64([5]))[0] * 0.9);
});

test("SpikingRectifiedLinear: voltage accumulation", () => {
  const t = new SpikingRectifiedLinear({ amplitude: 2 });
  const st = { voltage: f64([0.5, 0.5]) };
  const out = new Float64Array(2);
  t.step(0.001, f64([600, -5]), out, st);
  assert.deepEqual(Array.from(out), [2000, 0]);
  assert.ok(Math.abs(st.voltage[0] - 0.1) < 1e-12);
  assert.equal(st.voltage[1], 0.5);
  t.step(0.001, f64([3000, 0]), out, st);
  assert.deepEqual(Array.from(out), [6000, 0]);
});

test("SoftLIFRate closed form", () => {
  const s = new SoftLIFRate({ sigma: 0.5 });
  const lif = new LIFRate();
  const r = s.ratesFromCurrent(f64([1, 100, -20]));
  assert.ok(Math.abs(r[0] - 1 / (0.002 + 0.02 * Math.log1p(1 / (0.5 * Math.LN2)))) < 1e-9);
  // far above threshold (js > 30) it is LIF exactly
  assert.ok(Math.abs(r[1] - lif.ratesFromCurrent(f64([100]))[0]) < 1e-9);
  // far below: q = -js - log(sigma)
  assert.ok(Math.abs(r[2] - 1 / (0.002 + 0.02 * (42 - Math.log(0.5)))) < 1e-12);
  // gainBias inherited from LIFRate
  const gb = s.gainBias(f64([200]), f64([0]));
  assert.deepEqual(gb, lif.gainBias(f64([200]), f64([0])));
  // small sigma approaches LIFRate
  const r2 = new SoftLIFRate({ sigma: 1e-4 }).ratesFromCurrent(f64([1.5, 3]));
  relClose(r2, lif.ratesFromCurrent(f64([1.5, 3])), 1e-6, "sigma->0");
});

test("RegularSpiking: exact spike count from rate integration", () => {
  const t = new RegularSpiking(new LIFRate(), { amplitude: 0.5 });
  assert.deepEqual(Object.keys(t.state), ["voltage", "rateOut"]);
  const J = f64([0.5, 2, 5]);
  const rate = new LIFRate().ratesFromCurrent(J);
  const st = { voltage: new Float64Array(3), rateOut: new Float64Array(3) };
  const out = new Float64Array(3);
  const counts = new Float64Array(3);
  const dt = 0.001;
  for (let s = 0; s < 1000; s++) {
    t.step(dt, J, out, st);
    for (let i = 0; i < 3; i++) counts[i] += out[i] / (0.5 / dt);
  }
  relClose(st.rateOut, rate, 0, "rateOut");
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(counts[i] - rate[i]) <= 1, `${counts[i]} vs ${rate[i]}`);
  relClose(t.ratesFromCurrent(J), rate, 0, "rates");
  assert.deepEqual(t.gainBias(f64([100]), f64([0])), new LIFRate().gainBias(f64([100]), f64([0])));
  // Tanh base: negative rates give negative spikes
  const tn = new RegularSpiking(new Tanh());
  assert.equal(tn.negative, true);
  const s2 = { voltage: f64([0]), rateOut: new Float64Array(1) };
  let c = 0;
  for (let s = 0; s < 1000; s++) {
    tn.step(dt, f64([-1]), out, s2);
    c += out[0] * dt;
  }
  assert.ok(Math.abs(c - new Tanh().ratesFromCurrent(f64([-1]))[0]) <= 1);
});

test("PoissonSpiking: uses rng.poisson(rate * dt)", () => {
  const calls: number[] = [];
  const rng: NeuronRng = {
    poisson(lam: number): number {
      calls.push(lam);
      return 2;
    },
  };
  const t = new PoissonSpiking(new RectifiedLinear(), { amplitude: 0.1 });
  assert.equal(t.needsRng, true);
  const st = { rateOut: new Float64Array(2) };
  const out = new Float64Array(2);
  t.step(0.001, f64([100, 300]), out, st, rng);
  assert.deepEqual(
    calls.map((x) => Math.round(x * 1e12) / 1e12),
    [0.1, 0.3],
  );
  assert.deepEqual(Array.from(out), [200, 200]);
  assert.throws(() => t.step(0.001, f64([1]), out, st), SimulationError);
  // statistics with a simple Knuth sampler
  let seed = 12345;
  const uni = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
  const knuth: NeuronRng = {
    poisson(lam: number): number {
      const L = Math.exp(-lam);
      let k = 0;
      let p = 1;
      do {
        k++;
        p *= uni();
      } while (p > L);
      return k - 1;
    },
  };
  const pt = new PoissonSpiking(new LIFRate());
  const s2 = { rateOut: new Float64Array(1) };
  const o = new Float64Array(1);
  let count = 0;
  for (let s = 0; s < 20000; s++) {
    pt.step(0.001, f64([3]), o, s2, knuth);
    count += o[0] * 0.001;
  }
  const expected = new LIFRate().ratesFromCurrent(f64([3]))[0] * 20;
  assert.ok(Math.abs(count - expected) < 5 * Math.sqrt(expected), `${count} vs ${expected}`);
  // negative base: sign of the rate
  const tn = new PoissonSpiking(new Tanh());
  tn.step(0.001, f64([-1]), o, { rateOut: new Float64Array(1) }, { poisson: () => 1 });
  assert.equal(o[0], -1000);
});

test("Direct, params, state, validation", () => {
  const d = new Direct();
  assert.deepEqual(Array.from(d.rates(f64([0.3]), f64([2]), f64([1]))), [0.3]);
  assert.throws(() => d.step(), SimulationError);
  assert.deepEqual(new LIF({ tauRc: 0.05 }).params, { tauRc: 0.05, tauRef: 0.002, minVoltage: 0, amplitude: 1 });
  assert.equal(String(new Sigmoid()), "Sigmoid(tauRef=0.0025)");
  assert.deepEqual(Object.keys(new LIF().state), ["voltage", "refractoryTime"]);
  const v0 = new LIF().state.voltage as Uniform;
  assert.ok(v0 instanceof Uniform);
  assert.deepEqual([v0.low, v0.high], [0, 1]);
  assert.equal(new LIF().state.refractoryTime, 0);
  assert.deepEqual(new LIF({ initialState: { voltage: 0.25 } }).state.voltage, 0.25);
  assert.throws(() => new LIF({ initialState: { foo: 1 } }), ValidationError);
  assert.throws(() => new LIF({ tauRc: 0 }), ValidationError);
  assert.throws(() => new LIF({ minVoltage: 1 }), ValidationError);
  assert.throws(() => new LIFRate().gainBias(f64([600]), f64([0])), ValidationError);
  assert.throws(() => new Sigmoid().gainBias(f64([400]), f64([0])), ValidationError);
  assert.throws(() => new RegularSpiking(new SpikingRectifiedLinear()), ValidationError); // overlapping voltage
  assert.equal(new LIF().spiking, true);
  assert.equal(new LIFRate().spiking, false);
  assert.equal(new RegularSpiking(new LIFRate()).spiking, true);
  assert.notEqual(new LIF().mergeKey, new LIF({ tauRc: 0.03 }).mergeKey);
  assert.equal(new LIF().mergeKey, new LIF().mergeKey);
});
