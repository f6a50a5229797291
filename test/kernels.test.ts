/**
 * The WebAssembly SIMD LIF step (src/kernels) used by the dl simulator on the wasm backend: it must give
 * exactly the values of the JS kernel (cpu backend), and Nengo's LIF step (the reference simulator's,
 * float64) to float32 rounding, over every case of the step: full steps, partly and fully refractory
 * neurons, spikes, clipping at minVoltage, and lengths that are not a multiple of the vector width.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nengo from "../src/index.js";
import { selectBackend, tf } from "../src/dl/backend.js";
import { tfNeuron } from "../src/dl/neurons.js";
import { RandomState } from "../src/rng/randomstate.js";
import { wasmKernels } from "../src/kernels/index.js";
import { matmul, matmulTN, transpose } from "../src/linalg/mat.js";

const DT = 0.001;

/** Random LIF inputs covering every branch of the step. */
function lifCase(n: number, seed: number): { J: Float32Array; V: Float32Array; RT: Float32Array } {
  const rng = new RandomState(seed);
  const J = new Float32Array(n);
  const V = new Float32Array(n);
  const RT = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    J[i] = rng.uniform(-3, 40);
    V[i] = rng.uniform(-0.2, 1);
    const r = rng.randint(0, 4);
    RT[i] = r === 0 ? rng.uniform(-0.05, 0) : r === 1 ? rng.uniform(0, DT) : r === 2 ? rng.uniform(DT, 3 * DT) : 0;
  }
  return { J, V, RT };
}

/** `steps` LIF steps on the active backend from `c`; returns every step's [out, voltage, refractoryTime]. */
function runTf(nt: nengo.LIF, c: ReturnType<typeof lifCase>, steps: number): Float32Array[][] {
  const n = c.J.length;
  const neuron = tfNeuron(nt, null);
  const J = tf.tensor2d(c.J, [1, n]);
  let states: Record<string, tf.Tensor2D> = {
    voltage: tf.tensor2d(c.V, [1, n]),
    refractoryTime: tf.tensor2d(c.RT, [1, n]),
  };
  const out: Float32Array[][] = [];
  for (let s = 0; s < steps; s++) {
    const r = neuron.step(J, states, DT, false);
    states = r.states;
    out.push([r.out, states.voltage, states.refractoryTime].map((t) => t.dataSync() as Float32Array));
  }
  return out;
}

test("the SIMD kernels load over a WebAssembly.Memory", () => {
  assert.ok(wasmKernels(new WebAssembly.Memory({ initial: 1 })), "WebAssembly SIMD is available in Node 20");
});

for (const minVoltage of [0, -Infinity, -0.1]) {
  test(`LIF step: wasm (SIMD) equals the JS kernel exactly and Nengo's step to float32 (minVoltage ${minVoltage})`, async () => {
    const nt = new nengo.LIF({ minVoltage, amplitude: 0.7 });
    for (const n of [1, 3, 4, 7, 1029]) {
      const c = lifCase(n, n + 17);
      await selectBackend("wasm");
      const wasm = runTf(nt, c, 4);
      await selectBackend("cpu");
      const cpu = runTf(nt, c, 4);
      assert.deepEqual(wasm, cpu, `n=${n}`);

      // Nengo's step in float64, from the same float32 states each step
      const J = Float64Array.from(c.J);
      for (let s = 0; s < 4; s++) {
        const prev = s === 0 ? [c.V, c.RT] : [cpu[s - 1][1], cpu[s - 1][2]];
        const states = { voltage: Float64Array.from(prev[0]), refractoryTime: Float64Array.from(prev[1]) };
        const out = new Float64Array(n);
        nt.step(DT, J, out, states);
        const expect = [out, states.voltage, states.refractoryTime];
        for (let k = 0; k < 3; k++)
          for (let i = 0; i < n; i++) {
            const e = expect[k][i];
            assert.ok(
              Math.abs(cpu[s][k][i] - e) <= 1e-6 * Math.max(1, Math.abs(e)),
              `n=${n} step ${s} var ${k} [${i}]`,
            );
          }
      }
    }
    await selectBackend("wasm");
  });
}

test("matmul on the SIMD kernel equals the JS loop bit for bit (edges, sparse and dense operands)", () => {
  const rng = new RandomState(3);
  for (const [m, k, n] of [
    [70, 65, 131],
    [128, 33, 257],
    [5, 400, 300],
  ]) {
    const a = { rows: m, cols: k, data: rng.uniform(-1, 1, m * k) };
    const b = { rows: k, cols: n, data: rng.uniform(-1, 1, k * n) };
    const want = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let p = 0; p < k; p++) {
        const v = a.data[i * k + p];
        for (let j = 0; j < n; j++) want[i * n + j] += v * b.data[p * n + j];
      }
    assert.deepEqual(matmul(a, b).data, want, `${m}x${k}x${n}`);
    const tn = matmulTN({ rows: k, cols: m, data: transpose(a).data }, b);
    assert.deepEqual(tn.data, want, `matmulTN ${m}x${k}x${n}`);
  }
});

test("LIF rate and its derivative: wasm (SIMD, vector log) equals the JS kernel to float32 rounding", async () => {
  const rng = new RandomState(5);
  for (const n of [1, 6, 4099]) {
    const J = new Float32Array(n).map(() => {
      const r = rng.randint(0, 4);
      return r === 0
        ? rng.uniform(-2, 1)
        : r === 1
          ? 1 + 10 ** rng.uniform(-7, 0)
          : r === 2
            ? rng.uniform(1, 5)
            : 10 ** rng.uniform(0, 8);
    });
    const run = (): Float32Array[] => {
      const rate = tfNeuron(new nengo.LIF({ tauRc: 0.03, amplitude: 0.5 }), null);
      const Jt = tf.tensor2d(J, [1, n]);
      const g = tf.grad((x: tf.Tensor) => tf.sum(rate.step(x as tf.Tensor2D, {}, DT, true).out))(Jt);
      return [rate.step(Jt, {}, DT, true).out.dataSync() as Float32Array, g.dataSync() as Float32Array];
    };
    await selectBackend("wasm");
    const wasm = run();
    await selectBackend("cpu");
    const cpu = run();
    for (let k = 0; k < 2; k++)
      for (let i = 0; i < n; i++) {
        const a = wasm[k][i];
        const b = cpu[k][i];
        assert.ok(
          Math.abs(a - b) <= 2 ** -22 * Math.abs(b),
          `n=${n} ${k ? "gradient" : "rate"} [${i}] J=${J[i]}: ${a} vs ${b}`,
        );
        if (b === 0) assert.equal(a, 0);
      }
  }
  await selectBackend("wasm");
});

for (const minVoltage of [0, -Infinity, -0.1]) {
  test(`LIF step, float64 in place: wasm (SIMD) equals LIF.step exactly (minVoltage ${minVoltage})`, () => {
    const nt = new nengo.LIF({ minVoltage, amplitude: 0.7, tauRef: 0.0025 });
    const memory = new WebAssembly.Memory({ initial: 2 });
    const k = wasmKernels(memory);
    assert.ok(k);
    for (const n of [1, 2, 3, 4, 7, 1029]) {
      const c = lifCase(n, n + 29);
      // arrays at odd element offsets (the arena packs signals back to back)
      const M = new Float64Array(memory.buffer);
      const [oJ, oV, oRT, oO] = [1, 1 + n, 2 + 2 * n, 4 + 3 * n];
      M.set(c.J, oJ);
      M.set(c.V, oV);
      M.set(c.RT, oRT);
      const J = Float64Array.from(c.J);
      const states = { voltage: Float64Array.from(c.V), refractoryTime: Float64Array.from(c.RT) };
      const out = new Float64Array(n);
      const fullStep = Math.expm1(-DT / nt.tauRc);
      for (let s = 0; s < 4; s++) {
        nt.step(DT, J, out, states);
        k.lifStepF64(
          oJ * 8,
          oV * 8,
          oRT * 8,
          oO * 8,
          n,
          DT,
          nt.tauRc,
          fullStep,
          minVoltage,
          nt.amplitude / DT,
          nt.tauRef,
        );
        assert.deepEqual(M.slice(oO, oO + n), out, `n=${n} step ${s} output`);
        assert.deepEqual(M.slice(oV, oV + n), states.voltage, `n=${n} step ${s} voltage`);
        assert.deepEqual(M.slice(oRT, oRT + n), states.refractoryTime, `n=${n} step ${s} refractoryTime`);
      }
    }
  });
}

test("matrix product, float64: wasm (SIMD) equals the plain loop exactly (strided blocks, odd sizes, zeros)", () => {
  const rng = new RandomState(3);
  const memory = new WebAssembly.Memory({ initial: 4 });
  const k = wasmKernels(memory);
  assert.ok(k);
  for (const [rows, d, n, ld] of [
    [1, 1, 1, 1],
    [4, 3, 4, 4],
    [7, 5, 9, 13],
    [13, 32, 30, 30],
    [64, 17, 6, 11],
  ]) {
    const M = new Float64Array(memory.buffer);
    M.fill(0);
    const A = Float64Array.from({ length: rows * d }, () => (rng.uniform(0, 1) < 0.3 ? 0 : rng.uniform(-2, 2)));
    const B = Float64Array.from({ length: d * ld }, () => rng.uniform(-2, 2));
    const [oA, oB, oC] = [3, 3 + rows * d, 3 + rows * d + d * ld];
    M.set(A, oA);
    M.set(B, oB);
    k.matmulF64(oA * 8, oB * 8, oC * 8, rows, d, n, ld, ld);
    const want = new Float64Array(rows * ld);
    for (let i = 0; i < rows; i++)
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += A[i * d + j] * B[j * ld + c];
        want[i * ld + c] = s;
      }
    assert.deepEqual(M.slice(oC, oC + rows * ld), want, `${rows}x${d} @ ${d}x${n} (stride ${ld})`);
  }
});
