import protobuf from "protobufjs";

/**
 * The subset of TensorFlow's `event.proto` / `summary.proto` that TensorBoard needs for scalars and
 * histograms, defined with protobufjs reflection (no code generation step). Field numbers match
 * tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    tensorboard: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ["fileVersion", "summary"] } },
          fields: {
            wallTime: { type: "double", id: 1 },
            step: { type: "int64", id: 2 },
            fileVersion: { type: "string", id: 3 },
            summary: { type: "Summary", id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: "repeated", type: "Value", id: 1 } },
          nested: {
            Value: {
              oneofs: { value: { oneof: ["simpleValue", "histo"] } },
              fields: {
                tag: { type: "string", id: 1 },
                simpleValue: { type: "float", id: 2 },
                histo: { type: "HistogramProto", id: 5 },
              },
            },
          },
        },
        HistogramProto: {
          fields: {
            min: { type: "double", id: 1 },
            max: { type: "double", id: 2 },
            num: { type: "double", id: 3 },
            sum: { type: "double", id: 4 },
            sumSquares: { type: "double", id: 5 },
            bucketLimit: { rule: "repeated", type: "double", id: 6, options: { packed: true } },
            bucket: { rule: "repeated", type: "double", id: 7, options: { packed: true } },
          },
        },
      },
    },
  },
});

const EventType = root.lookupType("tensorboard.Event");

/** Plain-object form of `HistogramProto` (camelCase field names). */
export interface HistogramProto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

/** Plain-object form of one `Summary.Value`: a tag with either a scalar or a histogram. */
export interface SummaryValue {
  tag: string;
  simpleValue?: number;
  histo?: HistogramProto;
}

/** Plain-object form of an `Event` carrying either the file version or a summary. */
export interface EventMessage {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  summary?: { value: SummaryValue[] };
}

/** Serializes an `Event` message to protobuf bytes. */
export function encodeEvent(event: EventMessage): Uint8Array {
  return EventType.encode(EventType.fromObject(event)).finish();
}

/** Parses protobuf bytes into an `Event` plain object (int64 steps as numbers); for debugging and tools. */
export function decodeEvent(bytes: Uint8Array): EventMessage {
  return EventType.toObject(EventType.decode(bytes), { longs: Number, defaults: false }) as EventMessage;
}
