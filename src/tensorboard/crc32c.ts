/**
 * CRC-32C (Castagnoli) as used by TFRecord framing, from `@node-rs/crc32` (a well-kept SIMD
 * implementation shipped as prebuilt binaries inside its npm packages), plus TFRecord's masking.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const native = require("@node-rs/crc32") as { crc32c(input: Uint8Array, initialState?: number): number };

/** CRC-32C of `data`, optionally continuing from a previous (unmasked) checksum; unsigned 32-bit. */
export function crc32c(data: Uint8Array, previous = 0): number {
  return native.crc32c(Buffer.from(data.buffer, data.byteOffset, data.byteLength), previous) >>> 0;
}

/** TFRecord's masked CRC: `((crc >>> 15) | (crc << 17)) + 0xa282ead8`, modulo 2^32. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Masked CRC-32C of `data`, the checksum that TFRecord framing stores. */
export function maskedCrc32c(data: Uint8Array): number {
  return maskCrc(crc32c(data));
}
