import { StrataError } from '../../engine/errors.js';

/** What could be read of a request header before decoding failed, so a gateway can still answer. */
export interface PartialRequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId?: string | null;
}

/**
 * Every failure of the Kafka protocol codec. Decoders throw nothing else, whatever the input
 * (test/unit/kafka/codec.test.ts holds them to it).
 */
export abstract class KafkaProtocolError extends StrataError {
  /** Set once the request header was read. */
  header?: PartialRequestHeader;
}

/** A known API at a version the schema does not define. The gateway answers it; Kafka does too. */
export class UnsupportedApiVersionError extends KafkaProtocolError {
  readonly code = 'UNSUPPORTED_VERSION';
  constructor(header: PartialRequestHeader) {
    super(`API ${header.apiKey} has no version ${header.apiVersion}`);
    this.header = header;
  }
}

/** An API key the schema does not know at all (Kafka closes the connection on these). */
export class UnknownApiKeyError extends KafkaProtocolError {
  readonly code = 'INVALID_REQUEST';
  constructor(header: PartialRequestHeader) {
    super(`unknown API key ${header.apiKey}`);
    this.header = header;
  }
}

/** Bytes that do not follow the message's schema: a bad length, a null where none is allowed, trailing bytes. */
export class MalformedFrameError extends KafkaProtocolError {
  readonly code = 'INVALID_REQUEST';
}

/** The frame ended before the message did. */
export class TruncatedFrameError extends MalformedFrameError {}
