/**
 * The demo's `report.html`: a self-contained page (inline Chart.js, inline data, no network) showing the
 * loss curve, rate vs spiking accuracy, a few test digits with their spike rasters and filtered outputs, and
 * the confusion matrix. {@link renderReport} is a pure function of a {@link DemoResults} object.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** One epoch of training, as plotted in the loss curve. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Cross-entropy on (a subset of) the training digits, rate mode, after this epoch. */
  trainLoss: number;
  /** Cross-entropy on the test digits, rate mode, after this epoch. */
  testLoss: number;
  /** Rate-mode test accuracy (0..1) after this epoch. */
  testAccuracy: number;
  /** Seconds since training started. */
  seconds: number;
}

/** One test digit shown in the report. */
export interface ExampleRecord {
  /** Index in the test set. */
  index: number;
  /** True digit. */
  label: number;
  /** Spiking network's prediction (argmax of the last filtered output). */
  prediction: number;
  /** 784 grey levels in [0, 1]. */
  image: number[];
  /** Spikes of the probed hidden neurons: for each neuron, the step indices (0-based) at which it spiked. */
  spikes: number[][];
  /** Filtered output `[nSteps][10]`. */
  output: number[][];
}

/** Everything the report shows. */
export interface DemoResults {
  /** Page title (default "Spiking MNIST with nengo-ts"). */
  title?: string;
  /** Network and training settings, shown as a table (name -> value). */
  config: Record<string, string | number | boolean>;
  /** Time step (s). */
  dt: number;
  /** Steps of the spiking evaluation. */
  nSteps: number;
  /** Rate-mode test accuracy (0..1). */
  rateAccuracy: number;
  /** Spiking test accuracy (0..1), classified by the last step's filtered output. */
  spikingAccuracy: number;
  /** Spiking test accuracy had the run stopped after step k+1, for every k. */
  accuracyBySteps: number[];
  /** Training history. */
  epochs: EpochRecord[];
  /** Seconds spent in training. */
  trainSeconds: number;
  /** Seconds of the whole demo. */
  totalSeconds: number;
  /** Number of training and test digits. */
  nTrain: number;
  nTest: number;
  /** Spiking confusion matrix `[true][predicted]` (counts). */
  confusion: number[][];
  /** Mean firing rate (Hz) of the hidden neurons over the spiking test run, when measured. */
  meanRate?: number;
  /** A few test digits. */
  examples: ExampleRecord[];
  /** Where and when it ran (name -> value). */
  environment: Record<string, string>;
}

/** Path of Chart.js's UMD build in node_modules. */
export function chartJsPath(): string {
  const require = createRequire(import.meta.url);
  // "chart.js" resolves to dist/chart.cjs (package.json is not exported); the UMD build sits beside it.
  return join(dirname(require.resolve("chart.js")), "chart.umd.min.js");
}

/** Chart.js's UMD build, read from node_modules (it is inlined into the report). */
export async function loadChartJs(): Promise<string> {
  try {
    return await readFile(chartJsPath(), "utf8");
  } catch (e) {
    throw new Error(`cannot read Chart.js (needed for report.html; run \`npm install\`): ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Make script text safe to inline in `<script>`: no `</script`, `<!--` or line separators. */
export function inlineScript(js: string): string {
  return js
    .replace(/<\/(script)/gi, "<\\/$1")
    .replace(/<!--/g, "<\\!--")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** JSON for a `<script type="application/json">` block (`<`, `>`, `&` escaped as \\u sequences). */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Seconds as "42.0 s" or "3 min 05 s". */
export function formatSeconds(s: number): string {
  if (s < 90) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
}

/** Round numbers for compact inline data. */
function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Check the shape of the results and throw a RangeError naming the first problem. */
export function validateResults(r: DemoResults): void {
  const bad = (what: string): never => {
    throw new RangeError(`report: ${what}`);
  };
  for (const k of ["rateAccuracy", "spikingAccuracy"] as const) {
    if (!(r[k] >= 0 && r[k] <= 1)) bad(`${k} must be in [0, 1], got ${r[k]}`);
  }
  if (!Number.isInteger(r.nSteps) || r.nSteps < 1) bad(`nSteps must be a positive integer, got ${r.nSteps}`);
  if (r.confusion.length !== 10 || r.confusion.some((row) => row.length !== 10)) bad("confusion must be 10 x 10");
  for (const [i, ex] of r.examples.entries()) {
    if (ex.image.length !== 784) bad(`examples[${i}].image must have 784 values, got ${ex.image.length}`);
    if (ex.output.some((row) => row.length !== 10)) bad(`examples[${i}].output rows must have 10 values`);
  }
}

/** The data the page script reads (compact, rounded). */
function pageData(r: DemoResults): unknown {
  return {
    dt: r.dt,
    nSteps: r.nSteps,
    rateAccuracy: r.rateAccuracy,
    spikingAccuracy: r.spikingAccuracy,
    accuracyBySteps: r.accuracyBySteps.map((a) => round(a, 5)),
    epochs: r.epochs.map((e) => ({
      epoch: e.epoch,
      trainLoss: round(e.trainLoss, 5),
      testLoss: round(e.testLoss, 5),
      testAccuracy: round(e.testAccuracy, 5),
    })),
    confusion: r.confusion,
    examples: r.examples.map((ex) => ({
      index: ex.index,
      label: ex.label,
      prediction: ex.prediction,
      image: ex.image.map((v) => Math.round(255 * Math.min(1, Math.max(0, v)))),
      spikes: ex.spikes,
      output: ex.output.map((row) => row.map((v) => round(v, 4))),
    })),
  };
}

const CSS = `
:root { --ink:#1d2433; --muted:#5b6475; --line:#e3e7ee; --bg:#f5f7fb; --card:#fff; --good:#1a7f4b; --bad:#c0392b; --accent:#3b5bdb; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; color:var(--ink); background:var(--bg); }
header { background:linear-gradient(120deg,#1e2a4a,#3b5bdb); color:#fff; padding:28px 40px 30px; }
header h1 { margin:0 0 4px; font-size:28px; font-weight:650; letter-spacing:-0.01em; }
header p { margin:0; opacity:.85; max-width:900px; }
main { max-width:1160px; margin:0 auto; padding:24px 20px 40px; }
.stats { display:grid; grid-template-columns:repeat(auto-fit,minmax(170px,1fr)); gap:14px; margin-top:-46px; }
.stat { background:var(--card); border-radius:12px; padding:14px 18px; box-shadow:0 2px 10px rgba(20,30,60,.08); }
.stat .v { font-size:26px; font-weight:700; font-variant-numeric:tabular-nums; white-space:nowrap; }
.stat .k { color:var(--muted); font-size:13px; text-transform:uppercase; letter-spacing:.04em; }
.stat.hero .v { color:var(--accent); font-size:34px; }
section { background:var(--card); border-radius:12px; padding:18px 22px 22px; margin-top:22px; box-shadow:0 2px 10px rgba(20,30,60,.06); }
section h2 { margin:0 0 4px; font-size:19px; }
section > p.note { margin:0 0 14px; color:var(--muted); font-size:14px; }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:22px; }
@media (max-width:900px) { .grid2 { grid-template-columns:1fr; } }
.chart { position:relative; height:280px; }
.digits { display:grid; grid-template-columns:repeat(auto-fill,minmax(340px,1fr)); gap:16px; }
.digit { border:1px solid var(--line); border-radius:10px; padding:12px; }
.digit .head { display:flex; align-items:center; gap:12px; margin-bottom:8px; }
.digit canvas.img { width:84px; height:84px; image-rendering:pixelated; border-radius:6px; border:1px solid var(--line); }
.digit .verdict { font-size:15px; }
.digit .verdict b { font-size:22px; }
.ok { color:var(--good); } .wrong { color:var(--bad); }
.digit .small { position:relative; height:130px; margin-top:4px; }
.digit .cap { color:var(--muted); font-size:12px; margin:6px 0 0; }
table.cm { border-collapse:collapse; margin:6px auto 0; font-variant-numeric:tabular-nums; }
table.cm td, table.cm th { width:52px; height:38px; text-align:center; font-size:13px; }
table.cm th { color:var(--muted); font-weight:600; }
table.cm td { border:1px solid #fff; border-radius:3px; }
table.kv { border-collapse:collapse; width:100%; font-size:14px; }
table.kv td { padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
table.kv td:first-child { color:var(--muted); width:42%; }
footer { text-align:center; color:var(--muted); font-size:13px; padding:10px 0 30px; }
`;

/** The page script: draws every plot from the inline data, then marks `<body data-ok="1">` if all went well. */
const PAGE_JS = String.raw`
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message || e)); });
  var origError = console.error;
  console.error = function () { errors.push(Array.prototype.join.call(arguments, " ")); return origError.apply(console, arguments); };
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var PALETTE = ["#4e79a7","#f28e2b","#e15759","#76b7b2","#59a14f","#edc948","#b07aa1","#ff9da7","#9c755f","#bab0ac"];
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#5b6475";
  var charts = [];
  function chart(id, cfg) { var c = new Chart(document.getElementById(id), cfg); charts.push(c); return c; }
  function range(n, f) { var a = []; for (var i = 0; i < n; i++) a.push(f(i)); return a; }
  var ms = function (k) { return +(1000 * D.dt * (k + 1)).toFixed(3); };

  // Loss curve.
  var ep = D.epochs.map(function (e) { return e.epoch; });
  chart("loss", { type: "line", data: { labels: ep, datasets: [
      { label: "training loss", data: D.epochs.map(function (e) { return e.trainLoss; }), borderColor: PALETTE[0], backgroundColor: PALETTE[0], tension: 0.2 },
      { label: "test loss", data: D.epochs.map(function (e) { return e.testLoss; }), borderColor: PALETTE[1], backgroundColor: PALETTE[1], tension: 0.2 } ] },
    options: { plugins: { title: { display: true, text: "Cross-entropy (rate mode) per epoch" } },
      scales: { x: { title: { display: true, text: "epoch" } }, y: { type: "logarithmic", title: { display: true, text: "loss" } } } } });
  chart("epoch-acc", { type: "line", data: { labels: ep, datasets: [
      { label: "rate-mode test accuracy", data: D.epochs.map(function (e) { return 100 * e.testAccuracy; }), borderColor: PALETTE[4], backgroundColor: PALETTE[4], tension: 0.2 } ] },
    options: { plugins: { title: { display: true, text: "Test accuracy during training" } },
      scales: { x: { title: { display: true, text: "epoch" } }, y: { title: { display: true, text: "accuracy (%)" } } } } });

  // Rate vs spiking.
  chart("rate-vs-spiking", { type: "bar", data: { labels: ["rate (LIFRate, 1 step)", "spiking (LIF, " + D.nSteps + " steps)"],
      datasets: [{ label: "test accuracy", data: [100 * D.rateAccuracy, 100 * D.spikingAccuracy], backgroundColor: ["#9fb3e8", "#3b5bdb"], borderRadius: 6 }] },
    options: { plugins: { legend: { display: false }, title: { display: true, text: "Test accuracy: rate vs spiking" },
        tooltip: { callbacks: { label: function (c) { return c.parsed.y.toFixed(2) + "%"; } } } },
      scales: { y: { min: Math.max(0, Math.floor(100 * Math.min(D.rateAccuracy, D.spikingAccuracy) / 5) * 5 - 10), max: 100, title: { display: true, text: "accuracy (%)" } } } } });
  chart("acc-steps", { type: "line", data: { labels: range(D.accuracyBySteps.length, ms), datasets: [
      { label: "spiking accuracy", data: D.accuracyBySteps.map(function (a) { return 100 * a; }), borderColor: PALETTE[0], backgroundColor: PALETTE[0], pointRadius: 0, borderWidth: 2 },
      { label: "rate accuracy", data: D.accuracyBySteps.map(function () { return 100 * D.rateAccuracy; }), borderColor: "#9fb3e8", borderDash: [6, 4], pointRadius: 0, borderWidth: 2 } ] },
    options: { plugins: { title: { display: true, text: "Spiking accuracy vs simulated time" } },
      scales: { x: { title: { display: true, text: "time (ms)" }, ticks: { maxTicksLimit: 10 } }, y: { min: 0, max: 100, title: { display: true, text: "accuracy (%)" } } } } });

  // Test digits.
  var box = document.getElementById("digits");
  D.examples.forEach(function (ex, i) {
    var card = document.createElement("div");
    card.className = "digit";
    var ok = ex.label === ex.prediction;
    card.innerHTML = '<div class="head"><canvas class="img" width="28" height="28" id="img' + i + '"></canvas>' +
      '<div class="verdict">true digit <b>' + ex.label + '</b><br>spiking network says <b class="' + (ok ? "ok" : "wrong") + '">' + ex.prediction +
      '</b> ' + (ok ? '<span class="ok">&#10003;</span>' : '<span class="wrong">&#10007;</span>') + '<br><span class="cap">test digit #' + ex.index + '</span></div></div>' +
      '<div class="small"><canvas id="raster' + i + '"></canvas></div><p class="cap">Spikes of ' + ex.spikes.length + ' hidden LIF neurons</p>' +
      '<div class="small"><canvas id="out' + i + '"></canvas></div><p class="cap">Filtered output (class scores) over time</p>';
    box.appendChild(card);
    var ctx = document.getElementById("img" + i).getContext("2d");
    var img = ctx.createImageData(28, 28);
    for (var p = 0; p < 784; p++) { var v = 255 - ex.image[p]; img.data[4 * p] = v; img.data[4 * p + 1] = v; img.data[4 * p + 2] = v; img.data[4 * p + 3] = 255; }
    ctx.putImageData(img, 0, 0);
    var pts = [];
    ex.spikes.forEach(function (steps, n) { steps.forEach(function (k) { pts.push({ x: ms(k), y: n }); }); });
    chart("raster" + i, { type: "scatter", data: { datasets: [{ data: pts, pointStyle: "line", rotation: 90, radius: 3, borderWidth: 1.5, borderColor: "#1d2433" }] },
      options: { plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: { x: { min: 0, max: ms(D.nSteps - 1), title: { display: true, text: "time (ms)" }, ticks: { maxTicksLimit: 6 } }, y: { min: -1, max: ex.spikes.length, reverse: true, ticks: { display: false }, grid: { display: false } } } } });
    chart("out" + i, { type: "line", data: { labels: range(ex.output.length, ms), datasets: range(10, function (c) {
        var hi = c === ex.label || c === ex.prediction;
        return { label: String(c), data: ex.output.map(function (r) { return r[c]; }), borderColor: hi ? (c === ex.label ? "#1a7f4b" : "#c0392b") : "rgba(120,130,150,0.35)", borderWidth: hi ? 2.5 : 1, pointRadius: 0, order: hi ? 0 : 1 };
      }) },
      options: { plugins: { legend: { display: false } }, scales: { x: { ticks: { maxTicksLimit: 6 }, title: { display: true, text: "time (ms)" } }, y: { ticks: { maxTicksLimit: 4 } } } } });
  });

  // Confusion matrix.
  var cm = D.confusion, max = 0;
  cm.forEach(function (r) { r.forEach(function (v) { if (v > max) max = v; }); });
  var html = '<tr><th></th><th colspan="10">predicted digit</th></tr><tr><th>true</th>' + range(10, function (j) { return "<th>" + j + "</th>"; }).join("") + "</tr>";
  cm.forEach(function (r, i) {
    html += "<tr><th>" + i + "</th>" + r.map(function (v, j) {
      var a = max ? v / max : 0, diag = i === j;
      var bg = v === 0 ? "#f5f7fb" : diag ? "rgba(59,91,219," + (0.15 + 0.85 * a).toFixed(3) + ")" : "rgba(192,57,43," + (0.15 + 0.85 * Math.min(1, 8 * a)).toFixed(3) + ")";
      var fg = (diag && a > 0.45) || (!diag && 8 * a > 0.6) ? "#fff" : "#1d2433";
      return '<td style="background:' + bg + ";color:" + fg + '">' + (v || "") + "</td>";
    }).join("") + "</tr>";
  });
  document.getElementById("confusion").innerHTML = html;

  // Self-check: every canvas has ink and nothing threw.
  function inked(cv) {
    var d = cv.getContext("2d").getImageData(0, 0, cv.width, cv.height).data;
    for (var q = 3; q < d.length; q += 4) if (d[q] !== 0) return true;
    return false;
  }
  var canvases = Array.prototype.slice.call(document.querySelectorAll("canvas"));
  var blank = canvases.filter(function (c) { return c.width === 0 || !inked(c); }).map(function (c) { return c.id; });
  if (blank.length) errors.push("blank canvas: " + blank.join(", "));
  document.body.setAttribute("data-charts", String(charts.length));
  document.body.setAttribute("data-canvases", String(canvases.length));
  if (errors.length === 0) document.body.setAttribute("data-ok", "1");
  else document.body.setAttribute("data-errors", errors.join(" | "));
})();
`;

/**
 * Render the report page. `chartJs` is Chart.js's UMD build (see {@link loadChartJs}); it and all data are
 * inlined, so the page needs no network. The page sets `data-ok="1"` on `<body>` once every plot rendered
 * without an error (what the browser test checks).
 */
export function renderReport(r: DemoResults, chartJs: string): string {
  validateResults(r);
  const title = r.title ?? "Spiking MNIST with nengo-ts";
  const kv = (o: Record<string, unknown>): string =>
    Object.entries(o)
      .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(String(v))}</td></tr>`)
      .join("");
  const stat = (k: string, v: string, hero = false): string =>
    `<div class="stat${hero ? " hero" : ""}"><div class="k">${escapeHtml(k)}</div><div class="v">${escapeHtml(v)}</div></div>`;
  const ms = (1000 * r.nSteps * r.dt).toFixed(0);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p>A network of leaky integrate-and-fire neurons learns to read handwritten digits. It is trained with
backpropagation through a smoothed LIF rate curve (rate mode), then run with real spikes for ${r.nSteps} steps
(${ms} ms) while the digit is shown, and classified by its low-pass filtered output at the last step.</p>
</header>
<main>
<div class="stats">
${stat("spiking test accuracy", pct(r.spikingAccuracy), true)}
${stat("rate-mode test accuracy", pct(r.rateAccuracy))}
${stat("training time", formatSeconds(r.trainSeconds))}
${stat("digits train / test", `${r.nTrain} / ${r.nTest}`)}
${r.meanRate !== undefined ? stat("mean firing rate", `${r.meanRate.toFixed(1)} Hz`) : ""}
</div>
<section>
<h2>Training</h2>
<p class="note">Loss and accuracy of the rate-mode network (LIF replaced by its rate curve) after each epoch.</p>
<div class="grid2"><div class="chart"><canvas id="loss"></canvas></div><div class="chart"><canvas id="epoch-acc"></canvas></div></div>
</section>
<section>
<h2>Rate vs spiking</h2>
<p class="note">The same trained weights with rate neurons (one step) and with spiking LIF neurons. Right: how the
spiking network's accuracy grows as it integrates more spikes.</p>
<div class="grid2"><div class="chart"><canvas id="rate-vs-spiking"></canvas></div><div class="chart"><canvas id="acc-steps"></canvas></div></div>
</section>
<section>
<h2>Test digits</h2>
<p class="note">Input image, spike raster of the first hidden neurons, and the filtered output of each class over
time (green: true class, red: a wrong prediction).</p>
<div class="digits" id="digits"></div>
</section>
<section>
<h2>Confusion matrix (spiking)</h2>
<p class="note">Rows: true digit; columns: the spiking network's answer. Off-diagonal cells are mistakes.</p>
<table class="cm" id="confusion"></table>
</section>
<section>
<div class="grid2">
<div><h2>Settings</h2><table class="kv">${kv(r.config)}</table></div>
<div><h2>Run</h2><table class="kv">${kv({ "total time": formatSeconds(r.totalSeconds), ...r.environment })}</table></div>
</div>
</section>
</main>
<footer>Generated by <code>nengo-ts demo</code>. Self-contained page: plots drawn with Chart.js (MIT), inlined.</footer>
<script type="application/json" id="report-data">${inlineJson(pageData(r))}</script>
<script>${inlineScript(chartJs)}</script>
<script>${inlineScript(PAGE_JS)}</script>
</body>
</html>
`;
}
