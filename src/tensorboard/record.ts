import { maskedCrc32c } from "./crc32c.js";

/**
 * Frames one record in the TFRecord format:
 * `uint64 length (LE) | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)`.
 */
export function encodeRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length + 16);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}
