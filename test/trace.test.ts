/** Tests of the Chrome trace profiler and of the atomic file writers it saves with. */
import assert from "node:assert/strict";
import { chmod, mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { writeFileAtomic, writeFilesAtomic } from "../src/utils/atomic.js";
import { Profiler, type TraceEvent } from "../src/utils/trace.js";

const tmpDirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "nengo-trace-"));
  tmpDirs.push(d);
  return d;
}
after(async () => {
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const within = (child: TraceEvent, parent: TraceEvent) =>
  child.ts >= parent.ts && child.ts + child.dur! <= parent.ts + parent.dur!;

describe("Profiler", () => {
  it("saves well-formed trace JSON with nested complete events", async () => {
    const prof = new Profiler();
    prof.begin("train", "sim", { nEpochs: 2 });
    for (let epoch = 0; epoch < 2; epoch++) {
      prof.begin("epoch", "sim", { epoch });
      const r = prof.span("minibatch", "step", () => {
        busy(2);
        return 42;
      });
      assert.equal(r, 42);
      prof.counter("loss", { loss: 1 / (epoch + 1) });
      prof.end("epoch", { done: true });
    }
    const v = await prof.span("async", "io", async () => {
      await sleep(5);
      prof.instant("halfway", "io", { x: 1 });
      await sleep(5);
      return "ok";
    });
    assert.equal(v, "ok");
    prof.end();

    const path = join(await tmp(), "profile.json");
    await prof.save(path);
    const doc = JSON.parse(await readFile(path, "utf8")) as { traceEvents: TraceEvent[]; displayTimeUnit: string };
    assert.equal(doc.displayTimeUnit, "ms");
    assert.ok(Array.isArray(doc.traceEvents));
    for (const e of doc.traceEvents) {
      assert.equal(typeof e.name, "string");
      assert.equal(typeof e.cat, "string");
      assert.ok(["X", "i", "C", "M"].includes(e.ph));
      assert.ok(Number.isFinite(e.ts) && e.ts >= 0);
      assert.equal(e.pid, process.pid);
      assert.equal(typeof e.tid, "number");
      if (e.ph === "X") assert.ok(Number.isFinite(e.dur) && e.dur! >= 0, `${e.name} dur >= 0`);
    }
    const meta = doc.traceEvents.filter((e) => e.ph === "M").map((e) => [e.name, e.args!.name]);
    assert.deepEqual(meta, [
      ["process_name", "nengo-ts"],
      ["thread_name", "main"],
    ]);
    const x = (name: string) => doc.traceEvents.filter((e) => e.ph === "X" && e.name === name);
    const [train] = x("train");
    assert.deepEqual(train.args, { nEpochs: 2 });
    const epochs = x("epoch");
    assert.equal(epochs.length, 2);
    assert.deepEqual(epochs[1].args, { epoch: 1, done: true });
    for (const ep of epochs) assert.ok(within(ep, train));
    const mbs = x("minibatch");
    assert.equal(mbs.length, 2);
    mbs.forEach((mb, i) => {
      assert.ok(within(mb, epochs[i]), "minibatch within its epoch");
      assert.ok(mb.dur! >= 1500, `busy span lasted ${mb.dur} us`);
    });
    const [asyncSpan] = x("async");
    assert.ok(within(asyncSpan, train));
    assert.ok(asyncSpan.dur! >= 9000);
    const [inst] = doc.traceEvents.filter((e) => e.ph === "i");
    assert.equal(inst.s, "t");
    assert.ok(inst.ts >= asyncSpan.ts && inst.ts <= asyncSpan.ts + asyncSpan.dur!);
    const counters = doc.traceEvents.filter((e) => e.ph === "C");
    assert.deepEqual(
      counters.map((c) => c.args),
      [{ loss: 1 }, { loss: 0.5 }],
    );
    // sorted by start time, parent before child
    for (let i = 1; i < doc.traceEvents.length; i++) assert.ok(doc.traceEvents[i].ts >= doc.traceEvents[i - 1].ts);
    assert.ok(doc.traceEvents.indexOf(train) < doc.traceEvents.indexOf(epochs[0]));
  });

  it("records failing spans and rethrows", async () => {
    const prof = new Profiler();
    assert.throws(
      () =>
        prof.span("bad", "c", () => {
          throw new Error("boom");
        }),
      /boom/,
    );
    await assert.rejects(
      prof.span("badAsync", "c", async () => {
        throw new Error("later");
      }),
      /later/,
    );
    const ev = prof.toJSON().traceEvents.filter((e) => e.ph === "X");
    assert.deepEqual(
      ev.map((e) => [e.name, e.args?.error]),
      [
        ["bad", "Error: boom"],
        ["badAsync", "Error: later"],
      ],
    );
  });

  it("checks begin/end pairing", () => {
    const prof = new Profiler();
    assert.throws(() => prof.end(), /no span/);
    prof.begin("a", "c");
    assert.throws(() => prof.end("b"), /"a"/);
    prof.end("a");
  });

  it("records nothing when disabled", async () => {
    const prof = new Profiler({ enabled: false });
    prof.begin("a", "c");
    prof.end("zzz");
    prof.instant("i");
    prof.counter("n", { v: 1 });
    assert.equal(
      prof.span("s", "c", () => 3),
      3,
    );
    assert.equal(await prof.span("s", "c", async () => 4), 4);
    assert.deepEqual(prof.toJSON(), { traceEvents: [], displayTimeUnit: "ms" });
  });
});

describe("writeFileAtomic", () => {
  it("creates and replaces files, leaving no temp files", async () => {
    const dir = await tmp();
    const p = join(dir, "a.json");
    await writeFileAtomic(p, "one");
    assert.equal(await readFile(p, "utf8"), "one");
    await writeFileAtomic(p, new Uint8Array([104, 105]));
    assert.equal(await readFile(p, "utf8"), "hi");
    assert.deepEqual(await readdir(dir), ["a.json"]);
  });

  it("leaves the target untouched and cleans up on failure", async () => {
    const dir = await tmp();
    const p = join(dir, "a.txt");
    await writeFile(p, "old");
    // a directory in the way of the rename makes it fail after the temp file was written
    const blocked = join(dir, "blocked");
    await mkdir(join(blocked, "inner"), { recursive: true });
    await assert.rejects(writeFileAtomic(blocked, "x"));
    assert.deepEqual((await readdir(dir)).sort(), ["a.txt", "blocked"]);
    await assert.rejects(writeFileAtomic(join(dir, "missing", "f"), "x"), /ENOENT/);
    assert.equal(await readFile(p, "utf8"), "old");
  });
});

describe("writeFilesAtomic", () => {
  it("writes all files into a new or existing directory", async () => {
    const dir = join(await tmp(), "params");
    await writeFilesAtomic(dir, { "a.bin": new Uint8Array([1, 2]), "meta.json": "{}", "sub/c.txt": "c" });
    assert.deepEqual((await readdir(dir)).sort(), ["a.bin", "meta.json", "sub"]);
    await writeFile(join(dir, "keep.txt"), "keep");
    await writeFilesAtomic(dir, new Map([["meta.json", '{"v":2}']]));
    assert.equal(await readFile(join(dir, "meta.json"), "utf8"), '{"v":2}');
    assert.equal(await readFile(join(dir, "keep.txt"), "utf8"), "keep");
    assert.deepEqual((await readdir(dir)).sort(), ["a.bin", "keep.txt", "meta.json", "sub"]);
  });

  it("changes nothing when one file cannot be written", async () => {
    const root = await tmp();
    const dir = join(root, "params");
    await writeFilesAtomic(dir, { "a.txt": "old a", "b.txt": "old b" });
    await mkdir(join(dir, "c.txt", "x"), { recursive: true }); // a directory where a file should go
    await assert.rejects(writeFilesAtomic(dir, { "a.txt": "new a", "b.txt": "new b", "c.txt": "c" }));
    assert.equal(await readFile(join(dir, "a.txt"), "utf8"), "old a");
    assert.equal(await readFile(join(dir, "b.txt"), "utf8"), "old b");
    assert.deepEqual((await readdir(dir)).sort(), ["a.txt", "b.txt", "c.txt"]);

    // a directory created by the failed call is removed again
    const fresh = join(root, "fresh", "deeper");
    await assert.rejects(writeFilesAtomic(fresh, { "ok.txt": "x", "bad\0name": "y" }));
    assert.deepEqual(await readdir(root), ["params"]);
  });

  it("fails cleanly in a read-only directory", { skip: process.getuid?.() === 0 }, async () => {
    const dir = await tmp();
    await writeFile(join(dir, "a.txt"), "old");
    await chmod(dir, 0o555);
    try {
      await assert.rejects(writeFilesAtomic(dir, { "a.txt": "new" }), /EACCES/);
      assert.deepEqual(await readdir(dir), ["a.txt"]);
      assert.equal(await readFile(join(dir, "a.txt"), "utf8"), "old");
    } finally {
      await chmod(dir, 0o755);
    }
  });
});
