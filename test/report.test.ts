import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  formatSeconds,
  inlineJson,
  inlineScript,
  loadChartJs,
  renderReport,
  validateResults,
  type DemoResults,
} from "../src/demo/report.js";

const CHROMIUM = "/usr/bin/chromium";

/** A small, made-up result set (shapes as the demo writes them; numbers are not from a real run). */
function fakeResults(): DemoResults {
  const nSteps = 40;
  const examples = [3, 7, 1, 8].map((label, i) => {
    const image = Array.from({ length: 784 }, (_, p) => {
      const x = (p % 28) - 14;
      const y = Math.floor(p / 28) - 14;
      const r = Math.hypot(x, y * 0.7);
      return r > 6 + label * 0.3 && r < 9 + label * 0.3 ? 1 : 0;
    });
    const prediction = i === 3 ? 5 : label;
    const spikes = Array.from({ length: 32 }, (_, n) =>
      Array.from({ length: nSteps }, (_, k) => k).filter((k) => (k * ((n % 7) + 1) + n) % 11 === 0),
    );
    const output = Array.from({ length: nSteps }, (_, k) =>
      Array.from(
        { length: 10 },
        (_, c) => (1 - Math.exp(-(k + 1) / 15)) * (c === prediction ? 8 : c === label ? 5 : (c % 3) - 1),
      ),
    );
    return { index: 100 + i, label, prediction, image, spikes, output };
  });
  const confusion = Array.from({ length: 10 }, (_, i) =>
    Array.from({ length: 10 }, (_, j) => (i === j ? 190 + i : (i + j) % 7 === 0 ? 2 : 0)),
  );
  return {
    title: "Spiking MNIST </script> & <b>test</b>",
    config: { "hidden layers": "256 LIF", epochs: 3, "learning rate": 0.001 },
    dt: 0.001,
    nSteps,
    rateAccuracy: 0.975,
    spikingAccuracy: 0.968,
    accuracyBySteps: Array.from({ length: nSteps }, (_, k) => 0.968 * (1 - Math.exp(-(k + 1) / 4))),
    epochs: [1, 2, 3].map((epoch) => ({
      epoch,
      trainLoss: 0.5 / epoch,
      testLoss: 0.6 / epoch,
      testAccuracy: 0.9 + 0.025 * epoch,
      seconds: 10 * epoch,
    })),
    trainSeconds: 30,
    totalSeconds: 45,
    nTrain: 8000,
    nTest: 2000,
    confusion,
    meanRate: 12.3,
    examples,
    environment: { node: process.version, backend: "wasm", note: "fake results for the report test" },
  };
}

test("renderReport: self-contained page with every section and escaped data", async () => {
  const html = renderReport(fakeResults(), await loadChartJs());
  assert.match(html, /^<!DOCTYPE html>/);
  for (const id of ["loss", "epoch-acc", "rate-vs-spiking", "acc-steps", "digits", "confusion"]) {
    assert.ok(html.includes(`id="${id}"`), `missing #${id}`);
  }
  // No network: nothing loaded from elsewhere.
  assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(html, /url\(\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(html, /@import/);
  // The title with markup is escaped, and the only </script> closers are our own three.
  assert.ok(html.includes("Spiking MNIST &lt;/script&gt; &amp; &lt;b&gt;test&lt;/b&gt;"));
  assert.equal(html.match(/<\/script>/gi)?.length, 3);
  assert.ok(html.includes("96.8%") && html.includes("97.5%"));
});

test("report helpers", () => {
  assert.equal(inlineScript('a("</script>")<!--'), 'a("<\\/script>")<\\!--');
  assert.equal(JSON.parse(inlineJson({ s: "</script><&>" })).s, "</script><&>");
  assert.doesNotMatch(inlineJson({ s: "</script>" }), /</);
  assert.equal(formatSeconds(12.345), "12.3 s");
  assert.equal(formatSeconds(185), "3 min 05 s");
  assert.equal(formatSeconds(179.6), "3 min 00 s");
  const r = fakeResults();
  r.spikingAccuracy = 1.5;
  assert.throws(() => validateResults(r), /spikingAccuracy/);
  const r2 = fakeResults();
  r2.examples[0].image = [1, 2];
  assert.throws(() => validateResults(r2), /image/);
});

/** Load `file` in headless Chromium and return the DOM after scripts ran, plus stderr. */
function chromiumDump(file: string, extra: string[] = []): { dom: string; stderr: string; status: number | null } {
  const profile = mkdtempSync(join(tmpdir(), "nengo-ts-chromium-"));
  try {
    const r = spawnSync(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        `--user-data-dir=${profile}`,
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        ...extra,
        `file://${file}`,
      ],
      { encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return { dom: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const noChromium = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the browser test`;

test("report.html renders in headless Chromium without errors", { skip: noChromium, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "nengo-ts-report-"));
  try {
    const file = join(dir, "report.html");
    writeFileSync(file, renderReport(fakeResults(), await loadChartJs()));
    const { dom, stderr, status } = chromiumDump(file, ["--dump-dom"]);
    assert.equal(status, 0, `chromium exited with ${status}: ${stderr.slice(-2000)}`);
    const body = /<body[^>]*>/.exec(dom)?.[0] ?? "";
    assert.match(body, /data-ok="1"/, `page reported errors: ${body}\n${stderr.slice(-2000)}`);
    // 4 overview charts + 2 per example digit, and 4 digit images.
    assert.match(body, /data-charts="12"/);
    assert.match(body, /data-canvases="16"/);
    const cm = /<table class="cm" id="confusion">([\s\S]*?)<\/table>/.exec(dom)?.[1] ?? "";
    assert.equal((cm.match(/<td style="background/g) ?? []).length, 100, "confusion matrix has 100 cells");
    const consoleErrors = stderr.split("\n").filter((l) => /CONSOLE|Uncaught/.test(l) && /error|Uncaught/i.test(l));
    assert.deepEqual(consoleErrors, []);
    // A screenshot, for people to look at (kept when NENGO_TS_REPORT_SCREENSHOT names a file).
    const shot = process.env.NENGO_TS_REPORT_SCREENSHOT ?? join(dir, "report.png");
    const s = chromiumDump(file, [`--screenshot=${shot}`, "--window-size=1200,2000", "--hide-scrollbars"]);
    assert.equal(s.status, 0, s.stderr.slice(-2000));
    assert.ok(statSync(shot).size > 20_000, "screenshot is not blank");
    assert.equal(readFileSync(shot).subarray(1, 4).toString(), "PNG");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the browser check catches a broken page", { skip: noChromium, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "nengo-ts-report-"));
  try {
    const file = join(dir, "report.html");
    writeFileSync(file, renderReport(fakeResults(), "window.Chart = undefined;"));
    const { dom } = chromiumDump(file, ["--dump-dom"]);
    const body = /<body[^>]*>/.exec(dom)?.[0] ?? "";
    assert.doesNotMatch(body, /data-ok="1"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
