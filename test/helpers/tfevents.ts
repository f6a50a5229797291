/**
 * An independent reader of TensorBoard event files for tests: TFRecord framing, a bitwise CRC-32C and a
 * protobuf wire-format decoder that share no code with the writer in src/tensorboard/.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

/** Bitwise (table-free) CRC-32C, reflected polynomial 0x82F63B78. */
export function refCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function refMask(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 0x100000000;
}

/** Splits a TFRecord file into its payloads, checking both CRCs of every record. */
export function readRecords(file: Uint8Array): Uint8Array[] {
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

export type Wire = {
  field: number;
  type: number;
  varint?: bigint;
  fixed64?: DataView;
  fixed32?: DataView;
  bytes?: Uint8Array;
};

/** Decodes one protobuf message into its raw fields. */
export function decodeFields(buf: Uint8Array): Wire[] {
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

export interface Histo {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}
export interface Value {
  tag: string;
  simpleValue?: number;
  histo?: Histo;
}
export interface Event {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values?: Value[];
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const f64 = (w: Wire) => w.fixed64!.getFloat64(0, true);

export function packedDoubles(w: Wire): number[] {
  assert.equal(w.type, 2, "repeated double must be packed");
  const b = w.bytes!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 8) out.push(dv.getFloat64(i, true));
  return out;
}

export function decodeHisto(buf: Uint8Array): Histo {
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

export function decodeEventBytes(buf: Uint8Array): Event {
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

export async function readEvents(path: string): Promise<Event[]> {
  return readRecords(new Uint8Array(await readFile(path))).map(decodeEventBytes);
}
