/** RandomState parity with numpy's legacy np.random.RandomState (values generated with numpy 2.4). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RandomState } from "../src/rng/randomstate.js";
import { interp, nextDown, npSum, pairwiseSum, rowNorms } from "../src/rng/npmath.js";
import { loadGolden } from "./helpers/golden.js";

/** numpy draws: see the generator script in the test description (python3 + numpy). */
// prettier-ignore
const NP = {"0": {"raw": [2357136044, 2546248239, 3071714933, 3626093760, 2588848963], "sample": [0.8579456176227568, 0.8472517387841254, 0.6235636967859723, 0.3843817072926998, 0.2975346065444723], "normal": [-0.055035123059621, -0.10731045224678325, 1.3654671795124211, -0.09769572171942498, -2.425954570012938], "randint": [1443447321, 305097549, 1449105480, 374217481, 636393364]}, "1": {"raw": [1791095845, 4282876139, 3093770124, 4005303368, 491263], "sample": [0.12812444792935673, 0.9990405153241447, 0.23608897695197606, 0.3965807272960261, 0.3879107411620074], "normal": [0.4834958474717788, 0.1884366051646949, -0.4646863234217252, 0.8618271173525265, -2.6542619796017553], "randint": [986026652, 117628829, 147806606, 732152370, 1777953348]}, "123": {"raw": [2991312382, 3062119789, 1228959102, 1840268610, 974319580], "sample": [0.6908848550268617, 0.719150310154773, 0.49111893343259727, 0.7800277619120791, 0.41092437270901894], "normal": [-1.0774653339567812, 0.23848916604638776, 1.6796003743035337, -1.3058031267484451, -1.1388952499295664], "randint": [836467108, 1709587040, 403307728, 1022182468, 566042417]}, "2147483646": {"raw": [109505139, 1895862688, 3371694007, 2932185463, 1447461554], "sample": [0.09113563144753623, 0.27790223860179586, 0.20561849241462482, 0.3473991846705742, 0.7403270989948721], "normal": [0.30900002737254284, -0.15642263870568346, 0.06520323252058001, -1.2498743414403948, -0.3431955232786139], "randint": [474797408, 631900273, 783770605, 1825893558, 1909383288]}, "4294967295": {"raw": [419326371, 479346978, 3918654476, 2416749639, 3388880820], "sample": [0.5263213126361638, 0.7706147359158074, 0.2835616616122866, 0.5043860941616843, 0.6954989667692568], "normal": [-0.8751756260760788, 0.5298336495168448, 1.0541589291758977, 0.5027537243601207, -0.1572549852173579], "randint": [1217802284, 1862013284, 1646129520, 1391054327, 2104049304]}, "array123": {"sample": [0.6098612722867289, 0.8866970434146851, 0.47633673750662764, 0.8976583215326422]}, "seq7": {"u": [-1.618458553130214, 1.8995939612005732, 0.1920461572044676], "n1": [0.09316606097975175, 3.200914709117712, -0.1569886595634109], "ri": [7, 6, 4, 0], "n2": [4.419737234141671, 4.046136600909481], "neg": [2, 1, -2, 0, 3, 3], "big": [786085956533, 483615675131, 815829594048, 147018031416], "big2": [1071455839936, 25939415323997, 3249045698119], "exp": [0.8577429516707293, 0.6473501235619319, 1.1830083546778911], "perm": [6, 2, 1, 3, 8, 5, 0, 4, 9, 7], "shuf2d": [4.0, 5.0, 8.0, 9.0, 0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 6.0, 7.0], "choice_n": [1, 3, 1, 1, 1, 2], "choice_p": [2, 3, 3, 1, 2, 3], "choice_norep": [5, 0, 2, 7, 4], "choice_norep_p": [5, 3, 1, 2], "gamma_small": [0.05528160590891587, 2.573059964612059, 0.22308995746984664], "gamma_big": [10.375831410543785, 4.217186242555178, 1.2157158048690246], "beta_small": [0.1369999303492947, 0.5383645153547427, 0.1372732810681028], "beta_big": [0.6229499990047478, 0.6139782441754529, 0.6034938653119432], "after": [0.14714757194169303, 0.6587482589541455, 0.06925207000983546], "randint_scalar": 774, "stdexp": [0.6406606342300211, 0.6429003416439986]}, "gauss1000_sum": 23.996146205977695, "gauss1000_first": [1.668047321311954, 0.7373477267548951, 0.05860705230367879, -0.0818154878580532, 0.5644436816185389]};

// np.sum / norm of the array built in the "pairwiseSum" test
const NP_SUMS = {
  sum300: 1.0000000000000186e16,
  sum20: 1.0000000000000006e16,
  norms3x10: [1.414213562373095e16, 1e16, 1.414213562373095e16],
};

function close(actual: ArrayLike<number>, expected: readonly number[], rtol = 1e-13, msg = ""): void {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    assert.ok(Math.abs(a - e) <= rtol * Math.max(1, Math.abs(e)), `${msg}[${i}]: ${a} != ${e}`);
  }
}

describe("RandomState (numpy legacy parity)", () => {
  it("matches golden randomstate_123 (Nengo's recorded numpy draws)", () => {
    const g = loadGolden("seeded_parity").cases.randomstate_123;
    const rng = new RandomState(123);
    assert.deepEqual(Array.from(rng.uniform(0, 1, 5)), g.uniform);
    close(rng.standardNormal(5), g.standard_normal, 1e-15, "standard_normal");
    assert.deepEqual(Array.from(rng.randint(2 ** 31 - 1, undefined, 3)), g.randint);
  });

  for (const seed of ["0", "1", "123", String(2 ** 31 - 2), String(2 ** 32 - 1)]) {
    it(`seed ${seed}: raw uint32, random_sample, standard_normal, randint(2**31-1)`, () => {
      const e = NP[seed as keyof typeof NP] as { raw: number[]; sample: number[]; normal: number[]; randint: number[] };
      const rng = new RandomState(Number(seed));
      assert.deepEqual(Array.from(rng.randint(2 ** 32, undefined, 5)), e.raw);
      assert.deepEqual(Array.from(rng.randomSample(5)), e.sample);
      close(rng.standardNormal(5), e.normal, 1e-14, "normal");
      assert.deepEqual(Array.from(rng.randint(2 ** 31 - 1, undefined, 5)), e.randint);
    });
  }

  it("array seeds use init_by_array", () => {
    assert.deepEqual(Array.from(new RandomState([1, 2, 3]).randomSample(4)), NP.array123.sample);
  });

  it("interleaved calls keep numpy's stream, including the cached Gaussian", () => {
    const e = NP.seq7;
    const r = new RandomState(7);
    close(r.uniform(-2, 3, 3), e.u, 1e-15, "u");
    close(r.standardNormal(3), e.n1, 1e-14, "n1");
    assert.deepEqual(Array.from(r.randint(10, undefined, 4)), e.ri);
    close(r.normal(5, 2, 2), e.n2, 1e-14, "n2");
    assert.deepEqual(Array.from(r.randint(-5, 5, 6)), e.neg);
    assert.deepEqual(Array.from(r.randint(2 ** 40, undefined, 4)), e.big);
    assert.deepEqual(Array.from(r.randint(-(2 ** 35), 2 ** 45 + 12345, 3)), e.big2);
    close(r.exponential(2, 3), e.exp, 1e-14, "exp");
    assert.deepEqual(Array.from(r.permutation(10)), e.perm);
    const x = Float64Array.from({ length: 12 }, (_, i) => i);
    r.shuffle(x, 2);
    assert.deepEqual(Array.from(x), e.shuf2d);
    assert.deepEqual(Array.from(r.choice(5, 6)), e.choice_n);
    assert.deepEqual(Array.from(r.choice(4, 6, true, [0.1, 0.2, 0.3, 0.4])), e.choice_p);
    assert.deepEqual(Array.from(r.choice(8, 5, false)), e.choice_norep);
    assert.deepEqual(Array.from(r.choice(6, 4, false, [0.05, 0.3, 0.15, 0.2, 0.1, 0.2])), e.choice_norep_p);
    close(r.gamma(0.5, 1, 3), e.gamma_small, 1e-13, "gamma_small");
    close(r.gamma(3, 2, 3), e.gamma_big, 1e-13, "gamma_big");
    close(r.beta(0.5, 0.5, 3), e.beta_small, 1e-13, "beta_small");
    close(r.beta(2, 3.5, 3), e.beta_big, 1e-13, "beta_big");
    assert.deepEqual(Array.from(r.randomSample(3)), e.after);
    assert.equal(r.randint(1000), e.randint_scalar);
    close(r.standardExponential(2), e.stdexp, 1e-14, "stdexp");
  });

  it("1000 Gaussians stay in sync (rejection loop) and agree to ~1 ulp", () => {
    const g = new RandomState(2024).standardNormal(1000);
    close([g[0], g[1], g[499], g[998], g[999]], NP.gauss1000_first, 1e-14, "gauss");
    assert.ok(Math.abs(npSum(g) - NP.gauss1000_sum) < 1e-11);
  });

  it("choice on arrays returns the options", () => {
    const r = new RandomState(7);
    const idx = new RandomState(7).choice(3, 4);
    assert.deepEqual(
      r.choice(["a", "b", "c"], 4),
      Array.from(idx, (i) => ["a", "b", "c"][i]),
    );
  });

  it("seed() resets the stream and the Gaussian cache", () => {
    const r = new RandomState(1);
    r.standardNormal(1);
    r.seed(1);
    const fresh = new RandomState(1);
    assert.deepEqual(Array.from(r.standardNormal(3)), Array.from(fresh.standardNormal(3)));
  });

  it("rejects invalid seeds and bounds", () => {
    assert.throws(() => new RandomState(-1), RangeError);
    assert.throws(() => new RandomState(2 ** 32), RangeError);
    assert.throws(() => new RandomState(1.5), RangeError);
    assert.throws(() => new RandomState(0).randint(5, 5), RangeError);
    assert.throws(() => new RandomState(0).choice(3, 4, false), RangeError);
    assert.throws(() => new RandomState(0).choice(3, 2, true, [0.5, 0.5, 0.5]), RangeError);
  });
});

describe("numpy numerics", () => {
  it("pairwiseSum follows numpy's blocked summation order", () => {
    // values chosen so that summation order changes the rounded result
    const a = Float64Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 1e16 : 1) * (i % 2 ? -1 : 1) + i * 1e-3);
    assert.equal(pairwiseSum(a, 0, a.length), NP_SUMS.sum300);
    assert.equal(pairwiseSum(a, 0, 20), NP_SUMS.sum20);
    const norms = rowNorms(a.subarray(0, 30), 3, 10);
    assert.deepEqual(Array.from(norms), NP_SUMS.norms3x10);
  });

  it("interp matches np.interp, nextDown matches np.nextafter", () => {
    const xp = [0, 0.5, 1, 2];
    const fp = [1, 2, 4, 0];
    assert.deepEqual(Array.from(interp([-1, 0, 0.25, 0.5, 0.7, 1.5, 2, 3], xp, fp)), [1, 1, 1.5, 2, 2.8, 2, 0, 0]);
    assert.equal(nextDown(Infinity), Number.MAX_VALUE);
    assert.equal(nextDown(1), 1 - 2 ** -53);
    assert.equal(nextDown(0), -Number.MIN_VALUE);
  });
});
