/** Tests of the cli-progress wrapper: silent off a TTY, drawn on a (fake) TTY. */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";

import { createProgress, type ProgressStream } from "../src/utils/progress.js";

/** A writable stream collecting what is written, optionally pretending to be a TTY. */
function captureStream(isTTY: boolean): { stream: ProgressStream; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const stream = Object.assign(w, isTTY ? { isTTY: true, columns: 200 } : {}) as ProgressStream;
  if (isTTY) {
    // readline.cursorTo / clearLine only need write(); give them the TTY methods they may look for.
    Object.assign(stream, {
      cursorTo: (_x: number, _y?: number, cb?: () => void) => (cb?.(), true),
      clearLine: (_d: number, cb?: () => void) => (cb?.(), true),
      moveCursor: (_dx: number, _dy: number, cb?: () => void) => (cb?.(), true),
    });
  }
  return { stream, text: () => chunks.join("") };
}

// eslint-disable-next-line no-control-regex -- ANSI escape sequences are what we strip
const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, "");

describe("createProgress", () => {
  it("is a silent no-op on a non-TTY stream by default", () => {
    const { stream, text } = captureStream(false);
    const bar = createProgress({ label: "Training", total: 10, stream });
    assert.equal(bar.enabled, false);
    bar.update(3, { epoch: 1 });
    bar.increment({ loss: 0.5 });
    bar.stop();
    assert.equal(text(), "");
  });

  it("is silent when disabled even on a TTY", () => {
    const { stream, text } = captureStream(true);
    const bar = createProgress({ label: "Training", total: 10, stream, enabled: false });
    bar.update(5);
    bar.stop();
    assert.equal(text(), "");
  });

  it("draws label, value/total and payload fields on a TTY", () => {
    const { stream, text } = captureStream(true);
    const bar = createProgress({ label: "Training", total: 4, stream });
    assert.equal(bar.enabled, true);
    bar.update(1, { epoch: 1, minibatch: 1, loss: 0.123456 });
    bar.increment({ minibatch: 2 });
    bar.increment(2, { loss: 0.05 });
    bar.stop();
    bar.stop(); // idempotent
    bar.update(0); // ignored after stop
    const out = strip(text());
    assert.match(out, /Training \|/);
    assert.match(out, /4\/4 \| epoch: 1 \| minibatch: 2 \| loss: 0\.05/);
  });

  it("shows the ETA while running", async () => {
    const { stream, text } = captureStream(true);
    const bar = createProgress({ label: "Sim", total: 100, stream });
    bar.update(10);
    await new Promise((r) => setTimeout(r, 250)); // let the redraw timer fire
    bar.update(20);
    await new Promise((r) => setTimeout(r, 250));
    bar.stop();
    assert.match(strip(text()), /Sim \|.*\| 20\/100 \| ETA: /);
  });

  it("draws on a non-TTY stream when enabled explicitly", () => {
    const { stream, text } = captureStream(false);
    const bar = createProgress({ label: "Log", total: 2, stream, enabled: true });
    bar.update(2);
    bar.stop();
    assert.match(text(), /Log \|.*\| 2\/2/);
  });
});
