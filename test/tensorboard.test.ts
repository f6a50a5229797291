/**
 * Tests of the TensorBoard event-file writer against an independent reader (test/helpers/tfevents.ts):
 * TFRecord framing, a bitwise CRC-32C and a protobuf wire-format decoder that share no code with the writer.
 */
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import {
  crc32c,
  decodeEvent,
  maskedCrc32c,
  nextRunDir,
  sanitizeName,
  SummaryWriter,
} from "../src/tensorboard/index.js";
import { readEvents, readRecords, refCrc32c, refMask } from "./helpers/tfevents.js";

// ---------------------------------------------------------------- tests

const tmpDirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "nengo-tb-"));
  tmpDirs.push(d);
  return d;
}
after(async () => {
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

describe("reference CRC-32C", () => {
  it("matches the RFC 3720 test vectors", () => {
    const enc = new TextEncoder();
    assert.equal(refCrc32c(enc.encode("123456789")), 0xe3069283);
    assert.equal(refCrc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(refCrc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(refCrc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  });
});

describe("writer's CRC-32C", () => {
  it("matches the test vectors and the bitwise reference, also when continued", () => {
    assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    let seed = 12345;
    for (const n of [0, 1, 3, 4, 5, 7, 8, 63, 1000]) {
      const data = Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
      assert.equal(crc32c(data), refCrc32c(data));
      assert.equal(maskedCrc32c(data), refMask(refCrc32c(data)));
      const k = n >> 1;
      assert.equal(crc32c(data.subarray(k), crc32c(data.subarray(0, k))), refCrc32c(data));
    }
  });
});

describe("SummaryWriter", () => {
  it("writes a file_version event first, then scalars with tags and steps", async () => {
    const dir = await tmp();
    const t0 = Date.now() / 1000;
    const w = await SummaryWriter.create(join(dir, "logs", "run_0"));
    const name = w.path.split(/[\\/]/).pop()!;
    assert.match(name, new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${hostname().replace(/\./g, "\\.")}$`));
    assert.ok(Math.abs(Number(name.split(".")[3]) - t0) < 5);
    w.scalar("loss/loss", 0.5, 1);
    w.scalar("loss/loss", 0.25, 2);
    w.scalar("loss/Probe_p_loss", -3.75, 2);
    w.scalar("zero", 0, 0);
    await w.close();
    assert.equal(w.closed, true);
    await w.close(); // idempotent
    assert.throws(() => w.scalar("x", 1, 3), /closed/);

    const events = await readEvents(w.path);
    assert.equal(events.length, 5);
    assert.equal(events[0].fileVersion, "brain.Event:2");
    assert.equal(events[0].values, undefined);
    for (const e of events) assert.ok(e.wallTime >= t0 - 1 && e.wallTime <= Date.now() / 1000 + 1);
    const scalars = events.slice(1).map((e) => [e.values![0].tag, e.step, e.values![0].simpleValue]);
    assert.deepEqual(scalars, [
      ["loss/loss", 1, 0.5],
      ["loss/loss", 2, 0.25],
      ["loss/Probe_p_loss", 2, -3.75],
      ["zero", 0, 0],
    ]);
  });

  it("stores float32 values and large int64 steps", async () => {
    const w = await SummaryWriter.create(await tmp());
    w.scalar("a", 0.1, 2 ** 40 + 3);
    await w.close();
    const [, e] = await readEvents(w.path);
    assert.equal(e.step, 2 ** 40 + 3);
    assert.equal(e.values![0].simpleValue, Math.fround(0.1));
  });

  it("writes histograms with TensorFlow's bucketing invariants", async () => {
    const w = await SummaryWriter.create(await tmp());
    const values = [0, 0, 1, -1, 2.5, 1e-13, -7e-9, 100, 3.25, 3.25, 3.25, -0.5];
    w.histogram("Connection_c_weights", Float32Array.from(values), 7);
    w.histogram("Ensemble_a_encoders", [], 8);
    w.histogram("big", [Number.MAX_VALUE, -Number.MAX_VALUE, NaN, Infinity], 9);
    await w.close();
    const events = await readEvents(w.path);
    assert.equal(events.length, 4);

    const e = events[1];
    assert.equal(e.step, 7);
    assert.equal(e.values![0].tag, "Connection_c_weights");
    const h = e.values![0].histo!;
    const f = Array.from(Float32Array.from(values));
    assert.equal(h.num, f.length);
    assert.ok(Math.abs(h.sum - f.reduce((a, b) => a + b, 0)) < 1e-9);
    assert.ok(Math.abs(h.sumSquares - f.reduce((a, b) => a + b * b, 0)) < 1e-9);
    assert.equal(h.min, Math.min(...f));
    assert.equal(h.max, Math.max(...f));
    assert.equal(h.bucket.length, h.bucketLimit.length);
    assert.equal(
      h.bucket.reduce((a, b) => a + b, 0),
      h.num,
    );
    for (let i = 1; i < h.bucketLimit.length; i++) assert.ok(h.bucketLimit[i] > h.bucketLimit[i - 1]);
    // Every value lies in its bucket's range (previous limit, inclusive, to limit, exclusive).
    for (const v of f) {
      const i = h.bucketLimit.findIndex((l) => v < l);
      assert.ok(i >= 0 && h.bucket[i] > 0, `value ${v} has a non-empty bucket`);
    }
    // Runs of empty buckets are collapsed: no two empty buckets in a row.
    for (let i = 1; i < h.bucket.length; i++) assert.ok(h.bucket[i] > 0 || h.bucket[i - 1] > 0);
    // The three 3.25 share a bucket; both zeros share the bucket ending at 1e-12.
    assert.ok(h.bucket.includes(3));
    const zi = h.bucketLimit.findIndex((l) => l > 0);
    assert.ok(Math.abs(h.bucketLimit[zi] - 1e-12) < 1e-24);
    assert.equal(h.bucket[zi], 3); // 0, 0 and 1e-13
    // Limits are TensorFlow's exponential ones: 1e-12 * 1.1^k (or ±DBL_MAX / 0).
    for (const l of h.bucketLimit) {
      if (l === 0 || Math.abs(l) === Number.MAX_VALUE) continue;
      const k = Math.log(Math.abs(l) / 1e-12) / Math.log(1.1);
      assert.ok(Math.abs(k - Math.round(k)) < 1e-6, `limit ${l} is 1e-12*1.1^k`);
    }

    const empty = events[2].values![0].histo!;
    assert.equal(empty.num, 0);
    assert.deepEqual(empty.bucket, [0]);
    assert.deepEqual(empty.bucketLimit, [Number.MAX_VALUE]);

    const big = events[3].values![0].histo!;
    assert.equal(big.num, 2); // NaN and Infinity are skipped
    assert.equal(
      big.bucket.reduce((a, b) => a + b, 0),
      2,
    );
    assert.equal(big.max, Number.MAX_VALUE);
    assert.equal(big.min, -Number.MAX_VALUE);
  });

  it("decodeEvent reads back what the writer wrote", async () => {
    const w = await SummaryWriter.create(await tmp());
    w.scalar("s", 1.5, 3);
    await w.close();
    const [first, second] = readRecords(new Uint8Array(await readFile(w.path))).map(decodeEvent);
    assert.equal(first.fileVersion, "brain.Event:2");
    assert.equal(second.step, 3);
    assert.deepEqual(second.summary, { value: [{ tag: "s", simpleValue: 1.5 }] });
  });

  it("merges several values into one event with write()", async () => {
    const w = await SummaryWriter.create(await tmp());
    w.write(
      [
        { tag: "a", simpleValue: 1 },
        { tag: "b", simpleValue: 2 },
      ],
      5,
    );
    await w.close();
    const [, e] = await readEvents(w.path);
    assert.equal(e.step, 5);
    assert.deepEqual(
      e.values!.map((v) => [v.tag, v.simpleValue]),
      [
        ["a", 1],
        ["b", 2],
      ],
    );
  });

  /** Polls until the file holds `n` events; fails after `ms` milliseconds. */
  async function waitForEvents(path: string, n: number, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while ((await readEvents(path)).length < n) {
      assert.ok(Date.now() < end, `expected ${n} events within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal((await readEvents(path)).length, n);
  }

  it("appends on flush and when the queue is full", async () => {
    const w = await SummaryWriter.create(await tmp(), { maxQueue: 3, flushMillis: 0 });
    assert.equal((await readEvents(w.path)).length, 1, "file_version is written at once");
    w.scalar("s", 1, 1);
    await w.flush();
    assert.equal((await readEvents(w.path)).length, 2);
    w.scalar("s", 2, 2);
    w.scalar("s", 3, 3);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await readEvents(w.path)).length, 2, "no timer: nothing written below maxQueue");
    w.scalar("s", 4, 4); // queue full -> background flush
    await waitForEvents(w.path, 5, 2000);
    w.scalar("s", 5, 5);
    await w.close();
    const events = await readEvents(w.path);
    assert.deepEqual(
      events.slice(1).map((e) => e.step),
      [1, 2, 3, 4, 5],
    );
  });

  it("flushes periodically", async () => {
    const w = await SummaryWriter.create(await tmp(), { flushMillis: 30 });
    w.scalar("s", 1, 1);
    await waitForEvents(w.path, 2, 2000);
    await w.close();
  });

  it("never overwrites an existing event file", async () => {
    const dir = await tmp();
    const a = await SummaryWriter.create(dir);
    const b = await SummaryWriter.create(dir);
    assert.notEqual(a.path, b.path);
    a.scalar("a", 1, 1);
    b.scalar("b", 2, 1);
    await Promise.all([a.close(), b.close()]);
    assert.equal((await readEvents(a.path))[1].values![0].tag, "a");
    assert.equal((await readEvents(b.path))[1].values![0].tag, "b");
    assert.equal((await readdir(dir)).filter((n) => n.includes("tfevents")).length, 2);
  });

  it("rejects bad arguments", async () => {
    const w = await SummaryWriter.create(await tmp());
    assert.throws(() => w.scalar("", 1, 0), /tag/);
    assert.throws(() => w.scalar("a", 1, 1.5), /step/);
    assert.throws(() => w.scalar("a", "1" as unknown as number, 1), /value/);
    assert.throws(() => w.histogram("a", null as unknown as number[], 1), /values/);
    await w.close();
    assert.equal((await readEvents(w.path)).length, 1);
    await assert.rejects(SummaryWriter.create(""), /logdir/);
  });
});

describe("nextRunDir", () => {
  it("creates the directory and numbers runs after the largest run_<int>", async () => {
    const base = join(await tmp(), "tb", "logs");
    assert.equal(await nextRunDir(base), join(base, "run_0"));
    assert.deepEqual(await readdir(base), []);
    await mkdir(join(base, "run_0"));
    await mkdir(join(base, "run_7"));
    await mkdir(join(base, "run_x"));
    await mkdir(join(base, "other"));
    assert.equal(await nextRunDir(base), join(base, "run_8"));
    assert.equal(await nextRunDir(base, { reserve: true }), join(base, "run_8"));
    assert.equal(await nextRunDir(base, { reserve: true }), join(base, "run_9"));
    assert.deepEqual((await readdir(base)).sort(), ["other", "run_0", "run_7", "run_8", "run_9", "run_x"]);
  });
});

describe("sanitizeName", () => {
  it("behaves like NengoDL's sanitize_name", () => {
    assert.equal(sanitizeName("Ensemble.neurons_my ens:0_bias"), "Ensemble.neurons_my_ens_0_bias");
    assert.equal(sanitizeName("Connection_<a -> b>_weights"), "Connection_a_-_b_weights");
    assert.equal(sanitizeName("loss/Probe_None_loss"), "loss/Probe_None_loss");
    assert.equal(sanitizeName("é(x)[1]{2}!"), "x12");
    assert.equal(sanitizeName(null), "null");
  });
});
