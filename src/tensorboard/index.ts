/** TensorBoard event-file writing without native TensorFlow. */
export { crc32c, maskCrc, maskedCrc32c } from "./crc32c.js";
export { DEFAULT_BUCKET_LIMITS, makeHistogram } from "./histogram.js";
export { decodeEvent, encodeEvent, type EventMessage, type HistogramProto, type SummaryValue } from "./proto.js";
export { encodeRecord } from "./record.js";
export { FILE_VERSION, nextRunDir, sanitizeName, SummaryWriter, type SummaryWriterOptions } from "./writer.js";
