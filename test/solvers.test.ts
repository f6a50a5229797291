import { test } from "node:test";
import assert from "node:assert/strict";
import { loadGolden } from "./helpers/golden.js";
import { fromRows, zeros, matmul, type Mat } from "../src/linalg/mat.js";
import { Solver, Lstsq, LstsqL2, LstsqL2nz, NoSolver, rmses, choleskyL2 } from "../src/solvers/index.js";
import { ValidationError } from "../src/errors.js";

// numpy references (Nengo's formulas with np.linalg.solve) for LstsqL2nz on the golden A/Y, and for the
// transposed (fat, m < n) LstsqL2 form on the first 20 rows.
const REF = {
  nz: [
    [0.0005233045074737771, 0.0008110464069309124],
    [-0.0004317452992979613, -1.8535988989164934e-5],
    [0.0004022108160195644, -0.00018847629153568722],
    [-0.0002637908242400625, 0.0006290265145183418],
    [0.0018086606124477526, 0.0004188551140828776],
    [0.0010227720192380833, 0.000876398040364793],
    [-0.000629457593950291, 0.000484910634081858],
    [-0.0008022622274055057, 0.0005207397518998999],
    [-7.214521432160665e-5, -2.247270453519185e-5],
    [-0.00024903046387792405, 0.0014649652448806266],
    [-0.002473269223963095, 0.00015751942311587367],
    [0.0009256655293998204, 0.0008832110032727057],
    [-0.0014273927572794013, 0.0007899878769502312],
    [0.00028109609598812613, -0.0002231837032937221],
    [-0.00013072081577723588, 0.000873649077615908],
    [0.0009194420672999136, 4.30732035922826e-5],
    [-0.0021194823135331073, 0.00048351322138313847],
    [0.0005308735709737526, -0.0004413385694154341],
    [0.00021494903740446926, 0.0010831939203755747],
    [-0.0014120679272175314, -0.0006061814044784006],
    [0.0018855378316241383, 0.000204783052591332],
    [0.0014489465903953474, 0.0005857566202843114],
    [0.0008535931448248297, 5.7554798538828064e-5],
    [-0.0012882669880160066, -0.00011140660925682972],
    [0.0019921417579504943, -0.00038410801003105886],
    [0.00117733349448374, -0.00012171297294416273],
    [-0.0008536554556874807, 6.974578907630576e-5],
    [0.00010411698334507266, -0.00028629981974035107],
    [0.0024811300113292034, -0.0004934569215837642],
    [0.0007122589670609923, -0.00019775287302271902],
    [-0.0006420899650449577, 0.00014256798573213496],
    [-0.0010564595936193649, 1.8799029368823424e-5],
    [0.0010815109351951019, 0.0004905715354683404],
    [-0.0018365615301364831, 0.0007492781447493908],
    [0.00022476810681722127, 0.0004896408261659702],
    [0.00038905536127341203, -4.682035350700906e-5],
    [-0.0011143412797443375, 0.00015240133511847822],
    [-0.0011952676130034376, 0.0011129082402280923],
    [-0.0008686632672135866, -9.152097818208308e-5],
    [-0.00018419854868574804, -0.00019645688251608844],
  ],
  fat: [
    [-0.0009877540376247045, 0.0004882371603853257],
    [-0.0007472289050569445, 0.0004148834421214878],
    [0.0006057048376166087, 0.00023217793489326065],
    [-0.0009301541431526411, 0.00016211437060255544],
    [-0.0009786500301401972, 0.0006299254991022084],
    [-0.0006152427426766149, 0.0003031777400024204],
    [-0.00018363389765499745, 0.0007746218111834167],
    [-0.0006317646001050117, 0.0009536169240452347],
    [0.00020427909698689947, 0.0003559984689032341],
    [-0.0007505540756609004, 0.0009219947932236013],
    [-0.0002894124622701908, 0.0017322515218789877],
    [-0.0011700679740766912, 0.0004838697568591653],
    [-0.0010778541628242184, -6.197595262308427e-5],
    [-0.0009374347750358085, 0.00021349075712726894],
    [-0.00025234296160458374, 0.0013374907878298374],
    [7.402326193807734e-5, 4.351239027848273e-5],
    [-0.000751684434588588, 0.000977692767896417],
    [-3.863424615983035e-5, 0.00043930155077826275],
    [0.00011084990877930429, 0.0003512355929287601],
    [0.0006860790923099165, 0.0008185019676828398],
    [-0.0006112509493898951, 0.0005974088582094457],
    [0.00017634652374811397, 0.0011596517246171888],
    [0.00014910339739471835, 0.00130771433666812],
    [-0.00030696176359306976, 0.00042993132564128806],
    [-0.00037387471379419785, 0.0003704974523540763],
    [-1.3820887011456306e-5, 0.0011912877284317633],
    [-0.0004916057004976104, 0.0005197127202288866],
    [-0.00033050468829426736, 0.00035179046188713796],
    [0.00027740587648442686, 0.0005667954732673333],
    [-0.00017926469526288028, 0.0006957522675131401],
    [-0.00037927697456940446, 0.0006857338321603409],
    [-0.0007965941976137842, 0.0009146307896822997],
    [0.0001519014593129424, 0.0007173384943201526],
    [0.0006192689086124504, 0.0007166527816699816],
    [-7.083808011178724e-5, 0.0008129962320614116],
    [-0.0007855108051641683, 0.00013312258475890208],
    [-3.966490173173993e-5, 0.00018061282675641008],
    [-0.0002536497568065521, 7.560894495729161e-5],
    [0.00023293027264513605, 0.001125306167882855],
    [0.0007002552843511328, 0.000479182279862363],
  ],
};

/** Max abs difference relative to the largest expected magnitude. */
function relErr(actual: Mat, expected: number[][]): number {
  const e = expected.flat();
  assert.equal(actual.data.length, e.length);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < e.length; i++) {
    scale = Math.max(scale, Math.abs(e[i]));
    diff = Math.max(diff, Math.abs(actual.data[i] - e[i]));
  }
  return diff / scale;
}

test("golden solvers.json: LstsqL2 (reg 0.1, 0.01) and Lstsq", () => {
  const g = loadGolden("solvers.json");
  const A = fromRows(g.A);
  const Y = fromRows(g.Y);
  for (const c of g.cases) {
    const solver: Solver = c.solver === "Lstsq" ? new Lstsq() : new LstsqL2({ reg: c.reg });
    const { decoders, info } = solver.solve(A, Y);
    assert.equal(decoders.rows, A.cols);
    assert.equal(decoders.cols, Y.cols);
    const err = relErr(decoders, c.decoders);
    assert.ok(err < 1e-9, `${c.solver} reg=${c.reg}: relative error ${err}`);
    assert.equal(info.rmses.length, 2);
    const expectedRmse = rmses(A, fromRows(c.decoders), Y);
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(info.rmses[j] - expectedRmse[j]) < 1e-9);
  }
});

test("Lstsq info: rank, singular values, residuals", () => {
  const g = loadGolden("solvers.json");
  const A = fromRows(g.A);
  const Y = fromRows(g.Y);
  const { info } = new Lstsq({ rcond: 1e-12 }).solve(A, Y);
  assert.equal(info.rank, 40);
  const s = info.singularValues as Float64Array;
  assert.equal(s.length, 40);
  for (let i = 1; i < s.length; i++) assert.ok(s[i] <= s[i - 1]);
  const res = info.residuals as Float64Array;
  // residual norm = rmse * sqrt(m) for full-rank tall systems
  for (let j = 0; j < 2; j++) assert.ok(Math.abs(res[j] - info.rmses[j] * Math.sqrt(200)) < 1e-9 * res[j] + 1e-12);
});

test("LstsqL2nz and the transposed (fat) LstsqL2 form match numpy", () => {
  const g = loadGolden("solvers.json");
  const A = fromRows(g.A);
  const Y = fromRows(g.Y);
  const nz = new LstsqL2nz().solve(A, Y).decoders;
  assert.ok(relErr(nz, REF.nz) < 1e-8, `nz ${relErr(nz, REF.nz)}`);
  const Af = fromRows(g.A.slice(0, 20));
  const Yf = fromRows(g.Y.slice(0, 20));
  const fat = new LstsqL2().solve(Af, Yf).decoders;
  assert.ok(relErr(fat, REF.fat) < 1e-8, `fat ${relErr(fat, REF.fat)}`);
  // both forms agree (push-through identity)
  let amax = 0;
  for (const v of Af.data) amax = Math.max(amax, v);
  const other = choleskyL2(Af, Yf, 0.1 * amax, false);
  let d = 0;
  for (let i = 0; i < fat.data.length; i++) d = Math.max(d, Math.abs(fat.data[i] - other.data[i]));
  assert.ok(d < 1e-8 * Math.max(...Array.from(fat.data, Math.abs)));
});

test("NoSolver, weights flag, validation", () => {
  const A = zeros(5, 3);
  const Y = zeros(5, 2);
  const z = new NoSolver().solve(A, Y);
  assert.equal(z.decoders.rows, 3);
  assert.equal(z.decoders.cols, 2);
  assert.ok(z.decoders.data.every((x) => x === 0));
  const v = new NoSolver([[1], [2], [3]], { weights: true });
  assert.equal(v.weights, true);
  assert.deepEqual(Array.from(v.solve(A, Y).decoders.data), [1, 2, 3]);
  assert.equal(new LstsqL2().weights, false);
  assert.equal(new LstsqL2().reg, 0.1);
  assert.equal(new LstsqL2({ weights: true }).weights, true);
  assert.equal(new Lstsq().rcond, 0.01);
  assert.equal(String(new LstsqL2()), "LstsqL2(weights=false, reg=0.1)");
  assert.notEqual(new LstsqL2({ reg: 0.01 }).mergeKey, new LstsqL2().mergeKey);
  assert.throws(() => new LstsqL2({ reg: -1 }), ValidationError);
  assert.throws(() => new LstsqL2().solve(zeros(4, 2), zeros(3, 1)), ValidationError);
  // exact recovery for a well-posed tiny system with no regularisation
  const A2 = fromRows([
    [1, 0],
    [0, 2],
    [1, 1],
  ]);
  const X2 = fromRows([[1], [-1]]);
  const Y2 = matmul(A2, X2);
  const r = new LstsqL2({ reg: 0 }).solve(A2, Y2);
  assert.ok(Math.abs(r.decoders.data[0] - 1) < 1e-12 && Math.abs(r.decoders.data[1] + 1) < 1e-12);
  assert.ok(r.info.rmses[0] < 1e-12);
});

test("LstsqL2 with silent neurons (zero activity columns) equals the full normal-equations solve", () => {
  // 60 points x 25 neurons, every third neuron silent; reference: Gauss-Jordan on (AᵀA + m σ² I) x = AᵀY
  const m = 60;
  const n = 25;
  const A = zeros(m, n);
  const Y = zeros(m, 2);
  let s = 7;
  const rand = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) A.data[r * n + c] = c % 3 === 1 ? 0 : Math.max(0, 50 * rand());
    Y.data[r * 2] = rand();
    Y.data[r * 2 + 1] = rand();
  }
  const sigma = 0.1 * 50;
  const X = choleskyL2(A, Y, sigma);
  const M = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n + 2 }, (_, j) => {
      let v = 0;
      for (let r = 0; r < m; r++) v += A.data[r * n + i] * (j < n ? A.data[r * n + j] : Y.data[r * 2 + j - n]);
      return v + (i === j ? m * sigma * sigma : 0);
    }),
  );
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < n; i++) {
      if (i === p) continue;
      const f = M[i][p] / M[p][p];
      for (let j = p; j < n + 2; j++) M[i][j] -= f * M[p][j];
    }
  }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < 2; j++) {
      const want = M[i][n + j] / M[i][i];
      const got = X.data[i * 2 + j];
      if (i % 3 === 1) assert.equal(got, 0, `silent neuron ${i}`);
      else assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1e-3, Math.abs(want)), `x[${i},${j}] ${got} vs ${want}`);
    }
});

test("LstsqL2 solves on the active neurons: silent ones get zero decoders, the rest the full solution", () => {
  const g = loadGolden("solvers.json");
  const Y = fromRows(g.Y);
  // silence every third neuron
  const A = fromRows(g.A.map((row: number[]) => row.map((v, j) => (j % 3 === 1 ? 0 : v))));
  let amax = 0;
  for (const v of A.data) amax = Math.max(amax, v);
  for (const tr of [false, true]) {
    const Au = tr ? fromRows(g.A.slice(0, 20).map((row: number[]) => row.map((v, j) => (j % 3 === 1 ? 0 : v)))) : A;
    const Yu = tr ? fromRows(g.Y.slice(0, 20)) : Y;
    const X = choleskyL2(Au, Yu, 0.1 * amax, tr);
    // the full system by normal equations (silent columns add only the regulariser)
    const n = Au.cols;
    const k = Yu.cols;
    const G = zeros(n, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = i === j ? Au.rows * (0.1 * amax) ** 2 : 0;
        for (let r = 0; r < Au.rows; r++) s += Au.data[r * n + i] * Au.data[r * n + j];
        G.data[i * n + j] = s;
      }
    const AtY = zeros(n, k);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < k; c++)
        for (let r = 0; r < Au.rows; r++) AtY.data[i * k + c] += Au.data[r * n + i] * Yu.data[r * k + c];
    const GX = matmul(G, X);
    let err = 0;
    let scale = 0;
    for (let q = 0; q < GX.data.length; q++) {
      err = Math.max(err, Math.abs(GX.data[q] - AtY.data[q]));
      scale = Math.max(scale, Math.abs(AtY.data[q]));
    }
    assert.ok(err < 1e-9 * scale, `tr=${tr}: residual ${err}`);
    for (let i = 1; i < n; i += 3) for (let c = 0; c < k; c++) assert.equal(X.data[i * k + c], 0);
  }
});
