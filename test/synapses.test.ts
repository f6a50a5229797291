import { test } from "node:test";
import assert from "node:assert/strict";
import { loadGolden } from "./helpers/golden.js";
import {
  LinearFilter,
  Lowpass,
  Alpha,
  Synapse,
  classifyStep,
  stepLinearFilter,
  tf2ss,
  cont2discrete,
  toSynapse,
} from "../src/synapses/index.js";
import { ValidationError } from "../src/errors.js";

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, msg: string): void {
  assert.equal(actual.length, expected.length, msg + " length");
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    assert.ok(Math.abs(actual[i] - e) <= tol * Math.max(1, Math.abs(e)), `${msg}[${i}]: ${actual[i]} vs ${e}`);
  }
}

function fromGolden(type: string, params: { tau?: number; num?: number[]; den?: number[] }): LinearFilter {
  if (type === "Lowpass") return new Lowpass(params.tau as number);
  if (type === "Alpha") return new Alpha(params.tau as number);
  return new LinearFilter(params.num as number[], params.den as number[]);
}

/**
 * The golden probes read a Node filtered by the synapse. Nengo's synapse operator is an update, so the probe
 * at step k sees the filter after k updates with inputs input[0..k-1]: probe[0] = 0, probe[k] = step(input[k-1]).
 */
function simulate(syn: LinearFilter, dt: number, input: (k: number) => number, steps: number): number[] {
  const st = syn.makeStep(dt, 2);
  const u = new Float64Array(2);
  const y = new Float64Array(2);
  const out = [0];
  for (let k = 1; k < steps; k++) {
    u.fill(input(k - 1));
    st.step(u, y);
    assert.equal(y[0], y[1]); // every channel independent and identical
    out.push(y[0]);
  }
  return out;
}

test("golden synapses: impulse and step responses", () => {
  const g = loadGolden("synapses.json");
  const dt: number = g.dt;
  for (const f of g.filters) {
    const syn = fromGolden(f.type, f.params);
    const name = `${f.type}${JSON.stringify(f.params)}`;
    close(
      simulate(syn, dt, (k) => (k === 0 ? 1 / dt : 0), g.steps),
      f.impulse,
      1e-9,
      name + " impulse",
    );
    close(
      simulate(syn, dt, () => 1, g.steps),
      f.step,
      1e-9,
      name + " step",
    );
  }
});

test("Lowpass discretisation is exp(-dt/tau) and OneX", () => {
  const ss = new Lowpass(0.01).discretize(0.001);
  assert.equal(ss.A.rows, 1);
  close([ss.A.data[0], ss.B[0] * ss.C[0], ss.D], [Math.exp(-0.1), 1 - Math.exp(-0.1), 0], 1e-15, "lowpass");
  assert.equal(new Lowpass(0.01).stepKind(0.001), "OneX");
  assert.equal(new Alpha(0.01).stepKind(0.001), "NoD");
  assert.equal(new Lowpass(0).stepKind(0.001), "NoX");
  assert.equal(new LinearFilter([1, 0], [1, 1]).stepKind(0.001), "General");
  // Lowpass(0) passes through
  const st = new Lowpass(0).makeStep(0.001, 1);
  const y = new Float64Array(1);
  st.step(Float64Array.from([3]), y);
  assert.equal(y[0], 3);
});

test("tf2ss controller canonical form", () => {
  const ss = tf2ss([2, 3], [4, 8, 12]);
  assert.deepEqual(Array.from(ss.A.data), [-2, -3, 1, 0]);
  assert.deepEqual(Array.from(ss.B), [1, 0]);
  assert.deepEqual(Array.from(ss.C), [0.5, 0.75]);
  assert.equal(ss.D, 0);
  const p = tf2ss([1, 2], [1, 4]);
  assert.deepEqual([p.A.data[0], p.B[0], p.C[0], p.D], [-4, 1, -2, 1]);
  assert.throws(() => tf2ss([1, 2, 3], [1, 2]), ValidationError);
  // bilinear: s/(s+1) style check against closed form for a = -1
  const d = cont2discrete(tf2ss([1], [1, 1]), 0.1, "bilinear");
  close([d.A.data[0], d.B[0]], [(1 - 0.05) / (1 + 0.05), 0.1 / (1 + 0.05)], 1e-15, "bilinear");
  const e = cont2discrete(tf2ss([1], [1, 1]), 0.1, "euler");
  close([e.A.data[0], e.B[0], e.D], [0.9, 0.1, 0], 1e-15, "euler");
});

test("General step: output before state update", () => {
  // s / (s + 1) = 1 - 1/(s + 1): D = 1, C = -1
  const syn = new LinearFilter([1, 0], [1, 1]);
  const dt = 0.01;
  const ss = syn.discretize(dt);
  assert.equal(classifyStep(ss), "General");
  const a = Math.exp(-dt);
  close([ss.A.data[0], ss.B[0], ss.C[0], ss.D], [a, 1 - a, -1, 1], 1e-15, "ss");
  const X = new Float64Array(1);
  const y = new Float64Array(1);
  const out: number[] = [];
  let x = 0;
  const ref: number[] = [];
  for (let k = 0; k < 5; k++) {
    stepLinearFilter("General", ss, X, Float64Array.from([1]), y);
    out.push(y[0]);
    ref.push(-x + 1);
    x = a * x + (1 - a);
  }
  close(out, ref, 1e-15, "general");
});

test("NoD in place with many channels, scratch required", () => {
  const syn = new Alpha(0.005);
  const ss = syn.discretize(0.001);
  const n = 3;
  const X = new Float64Array(2 * n);
  const u = Float64Array.from([1, 2, -1]);
  assert.throws(() => stepLinearFilter("NoD", ss, X, u, new Float64Array(n)), RangeError);
  const scratch = new Float64Array(2);
  for (let k = 0; k < 300; k++) stepLinearFilter("NoD", ss, X, u, u.slice(), scratch);
  const y = new Float64Array(n);
  stepLinearFilter("NoD", ss, X, u, y, scratch);
  close(y, [1, 2, -1], 1e-6, "steady state");
});

test("digital filters and y0 initial state", () => {
  const dig = new LinearFilter([0.5], [1, -0.5], { analog: false });
  const ss = dig.discretize(0.001);
  close([ss.A.data[0], ss.B[0], ss.C[0], ss.D], [0.5, 1, 0.5, 0], 0, "digital");
  for (const syn of [
    new Lowpass(0.01),
    new Alpha(0.02),
    new LinearFilter([1, 0], [0.01, 1]).combine(new Lowpass(0.1)),
  ]) {
    const y0 = syn instanceof Alpha || syn instanceof Lowpass ? 2 : 0;
    const st = syn.makeStep(0.001, 1, y0);
    const y = new Float64Array(1);
    st.step(Float64Array.from([y0]), y);
    close(y, [y0], 1e-12, String(syn));
  }
  assert.throws(() => new LinearFilter([1, 0], [1, 1]).initialState(0.001, 1, 1), ValidationError);
  const a = Math.exp(-0.1);
  close(new Lowpass(0.01).filt([1, 1, 1], 0.001) as number[], [1 - a, 1 - a * a, 1 - a * a * a], 1e-14, "filt");
  const two = new Lowpass(0.01).filt([[1, 2]], 0.001) as number[][];
  close(two[0], [1 - Math.exp(-0.1), 2 * (1 - Math.exp(-0.1))], 1e-15, "filt 2d");
});

test("toSynapse and validation", () => {
  assert.ok(toSynapse(0.005) instanceof Lowpass);
  assert.equal((toSynapse(0.005) as Lowpass).tau, 0.005);
  assert.equal(toSynapse(null), null);
  const a = new Alpha(0.1);
  assert.equal(toSynapse(a), a);
  assert.ok(a instanceof Synapse);
  assert.throws(() => new Lowpass(-1), ValidationError);
  assert.equal(new Lowpass(0.005).mergeKey, new Lowpass(0.005).mergeKey);
  assert.notEqual(new Lowpass(0.005).mergeKey, new Alpha(0.005).mergeKey);
  assert.equal(String(new Lowpass(0.005)), "Lowpass(0.005)");
});
