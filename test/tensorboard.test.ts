/**
 * Tests of the TensorBoard event-file writer against an independent reader written here: TFRecord
 * framing, a bitwise CRC-32C and a protobuf wire-format decoder that share no code with the writer.
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

// ---------------------------------------------------------------- independent reader

/** Bitwise (table-free) CRC-32C, reflected polynomial 0x82F63B78. */
function refCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function refMask(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 0x100000000;
}

/** Splits a TFRecord file into its payloads, checking both CRCs of every record. */
function readRecords(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < file.length) {
    assert.ok(pos + 12 <= file.length, "truncated record header");
    const lenLo = view.getUint32(pos, true);
    const lenHi = view.getUint32(pos + 4, true);
    assert.equal(lenHi, 0);
    assert.equal(view.getUint32(pos + 8, true), refMask(refCrc32c(file.subarray(pos, pos + 8))), "length crc");
    const data = file.subarray(pos + 12, pos + 12 + lenLo);
    assert.equal(data.length, lenLo, "truncated record data");
    assert.equal(view.getUint32(pos + 12 + lenLo, true), refMask(refCrc32c(data)), "data crc");
    out.push(data);
    pos += 16 + lenLo;
  }
  assert.equal(pos, file.length);
  return out;
}

type Wire = {
  field: number;
  type: number;
  varint?: bigint;
  fixed64?: DataView;
  fixed32?: DataView;
  bytes?: Uint8Array;
};

/** Decodes one protobuf message into its raw fields. */
function decodeFields(buf: Uint8Array): Wire[] {
  const fields: Wire[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      assert.ok(pos < buf.length, "truncated varint");
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(readVarint());
    const field = key >>> 3;
    const type = key & 7;
    if (type === 0) fields.push({ field, type, varint: readVarint() });
    else if (type === 1) {
      fields.push({ field, type, fixed64: new DataView(buf.buffer, buf.byteOffset + pos, 8) });
      pos += 8;
    } else if (type === 2) {
      const len = Number(readVarint());
      fields.push({ field, type, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (type === 5) {
      fields.push({ field, type, fixed32: new DataView(buf.buffer, buf.byteOffset + pos, 4) });
      pos += 4;
    } else assert.fail(`unexpected wire type ${type}`);
  }
  assert.equal(pos, buf.length);
  return fields;
}

interface Histo {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}
interface Value {
  tag: string;
  simpleValue?: number;
  histo?: Histo;
}
interface Event {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values?: Value[];
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const f64 = (w: Wire) => w.fixed64!.getFloat64(0, true);

function packedDoubles(w: Wire): number[] {
  assert.equal(w.type, 2, "repeated double must be packed");
  const b = w.bytes!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 8) out.push(dv.getFloat64(i, true));
  return out;
}

function decodeHisto(buf: Uint8Array): Histo {
  const h: Histo = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  for (const w of decodeFields(buf)) {
    if (w.field === 1) h.min = f64(w);
    else if (w.field === 2) h.max = f64(w);
    else if (w.field === 3) h.num = f64(w);
    else if (w.field === 4) h.sum = f64(w);
    else if (w.field === 5) h.sumSquares = f64(w);
    else if (w.field === 6) h.bucketLimit.push(...packedDoubles(w));
    else if (w.field === 7) h.bucket.push(...packedDoubles(w));
  }
  return h;
}

function decodeEventBytes(buf: Uint8Array): Event {
  const ev: Event = { wallTime: 0, step: 0 };
  for (const w of decodeFields(buf)) {
    if (w.field === 1) ev.wallTime = f64(w);
    else if (w.field === 2) ev.step = Number(BigInt.asIntN(64, w.varint!));
    else if (w.field === 3) ev.fileVersion = text(w.bytes!);
    else if (w.field === 5) {
      ev.values = [];
      for (const vw of decodeFields(w.bytes!)) {
        assert.equal(vw.field, 1);
        const v: Value = { tag: "" };
        for (const x of decodeFields(vw.bytes!)) {
          if (x.field === 1) v.tag = text(x.bytes!);
          else if (x.field === 2) v.simpleValue = x.fixed32!.getFloat32(0, true);
          else if (x.field === 5) v.histo = decodeHisto(x.bytes!);
        }
        ev.values.push(v);
      }
    }
  }
  return ev;
}

async function readEvents(path: string): Promise<Event[]> {
  return readRecords(new Uint8Array(await readFile(path))).map(decodeEventBytes);
}

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
