import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../../lib/kafka/protocol/codec.js';
import {
  type KafkaProtocolError,
  MalformedFrameError,
  TruncatedFrameError,
  UnknownApiKeyError,
  UnsupportedApiVersionError,
} from '../../../lib/kafka/protocol/errors.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { inVersions, parseVersions } from '../../../lib/kafka/protocol/schema/types.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const frameOf = (wire: Uint8Array) => wire.subarray(4);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('request headers', () => {
  it('v1 for classic versions: int16-length client id, no tagged fields', () => {
    const wire = encodeRequest({ apiKey: 18, apiVersion: 0, correlationId: 7, clientId: 'kc' }, {});
    expect(toHex(frameOf(wire))).toBe('0012 0000 00000007 0002 6b63'.replace(/ /g, ''));
    expect(requestHeaderVersion(18, 0)).toBe(1);
  });

  it('v2 for flexible versions: the client id stays int16-length, then a tagged-field section', () => {
    const frame = hex('0012 0003 00000007 0002 6b63 00   02 61 02 62 00');
    const decoded = decodeRequest(frame);
    expect(decoded.header).toEqual({ apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'kc' });
    expect(decoded.body).toEqual({ clientSoftwareName: 'a', clientSoftwareVersion: 'b' });
    expect(requestHeaderVersion(18, 3)).toBe(2);
    expect(frameOf(encodeRequest(decoded.header as never, decoded.body as never))).toEqual(frame);
  });

  it('a null client id is length -1', () => {
    const decoded = decodeRequest(hex('0012 0000 00000001 ffff'));
    expect(decoded.header.clientId).toBeNull();
  });

  it('keeps unknown header tags', () => {
    const frame = hex('0012 0003 00000007 0002 6b63 01 05 02 abcd   02 61 02 62 00');
    const decoded = decodeRequest(frame);
    expect(decoded.header.unknownTags).toEqual([{ tag: 5, data: hex('abcd') }]);
    expect(frameOf(encodeRequest(decoded.header as never, decoded.body as never))).toEqual(frame);
  });
});

describe('response headers', () => {
  it('ApiVersions answers with header v0 even at flexible versions', () => {
    expect(responseHeaderVersion(18, 3)).toBe(0);
    const wire = encodeResponse(18, 3, 7, { apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] });
    // size, correlation id, then the body at once: no tagged-field byte after the correlation id
    expect(toHex(wire)).toBe(
      ['00000013', '00000007', '0000', '02 0012 0000 0004 00', '00000000', '00'].join('').replace(/ /g, ''),
    );
    expect(decodeResponse(18, 3, frameOf(wire)).body.apiKeys).toEqual([
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ]);
  });

  it('other flexible responses use header v1 (a tagged-field section), classic ones v0', () => {
    expect(responseHeaderVersion(3, 9)).toBe(1);
    expect(responseHeaderVersion(3, 8)).toBe(0);
    const flexible = frameOf(encodeResponse(3, 9, 7, {}));
    const classic = frameOf(encodeResponse(3, 8, 7, {}));
    expect(toHex(flexible.subarray(0, 5))).toBe('0000000700');
    expect(toHex(classic.subarray(0, 8))).toBe('0000000700000000'); // corr id, then throttleTimeMs
  });

  it('an ApiVersions v0 error answer carries the ranges a client retries with', () => {
    const wire = encodeResponse(18, 0, 9, {
      errorCode: 35,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
    });
    expect(toHex(wire)).toBe('00000010 00000009 0023 00000001 0012 0000 0004'.replace(/ /g, ''));
  });
});

describe('errors a gateway answers from', () => {
  it('an ApiVersions version we do not know: UnsupportedApiVersionError with the correlation and client ids', () => {
    const err = thrown(() => decodeRequest(hex('0012 0063 0000002a 0003 6b6b6b 00 ffffff')));
    expect(err).toBeInstanceOf(UnsupportedApiVersionError);
    expect((err as UnsupportedApiVersionError).kafkaCode).toBe(35);
    expect((err as UnsupportedApiVersionError).header).toEqual({
      apiKey: 18,
      apiVersion: 99,
      correlationId: 42,
      clientId: 'kkk',
    });
  });

  it('an unknown API key: UnknownApiKeyError', () => {
    const err = thrown(() => decodeRequest(hex('03e7 0000 00000001 ffff')));
    expect(err).toBeInstanceOf(UnknownApiKeyError);
    expect((err as UnknownApiKeyError).header).toMatchObject({
      apiKey: 999,
      correlationId: 1,
      clientId: null,
    });
  });

  it('APIs we do not define yet (EndTxn) are unknown keys, not crashes', () => {
    expect(thrown(() => decodeRequest(hex('001a 0003 00000001 ffff')))).toBeInstanceOf(UnknownApiKeyError);
  });

  it('every strict prefix of a valid frame is TruncatedFrameError, with the header once it was read', () => {
    const frame = frameOf(
      encodeRequest(
        { apiKey: 3, apiVersion: 12, correlationId: 5, clientId: 'client' },
        { topics: [{ topicId: '0b5a8d4e-3c52-4c43-9a33-7bbf7e1e2b11', name: 'orders' }] },
      ),
    );
    for (let n = 0; n < frame.length; n++) {
      const err = thrown(() => decodeRequest(frame.subarray(0, n)));
      expect(err, `prefix ${n}`).toBeInstanceOf(TruncatedFrameError);
      if (n >= 8) expect((err as KafkaProtocolError).header?.correlationId).toBe(5);
    }
  });

  it('bytes after the body are malformed, not ignored', () => {
    const frame = frameOf(encodeRequest({ apiKey: 18, apiVersion: 0, correlationId: 1, clientId: 'c' }, {}));
    const err = thrown(() => decodeRequest(Uint8Array.of(...frame, 0)));
    expect(err).toBeInstanceOf(MalformedFrameError);
    expect(err).not.toBeInstanceOf(TruncatedFrameError);
  });

  it('negative lengths other than -1 and absurd counts are typed errors', () => {
    // Metadata v1: topics count -2
    expect(thrown(() => decodeRequest(hex('0003 0001 00000001 ffff fffffffe')))).toBeInstanceOf(
      MalformedFrameError,
    );
    // Metadata v1: 2^31-1 topics in 0 bytes
    expect(thrown(() => decodeRequest(hex('0003 0001 00000001 ffff 7fffffff')))).toBeInstanceOf(
      TruncatedFrameError,
    );
    // a varint longer than five bytes
    expect(thrown(() => decodeRequest(hex('0003 0009 00000001 ffff 00 ffffffffff01')))).toBeInstanceOf(
      MalformedFrameError,
    );
  });
});

describe('nullable fields', () => {
  it('Metadata topics: null means all topics from v1, and is malformed at v0', () => {
    const v1 = decodeRequest(hex('0003 0001 00000001 ffff ffffffff'));
    expect(v1.api === 'Metadata' && v1.body.topics).toBeNull();
    expect(thrown(() => decodeRequest(hex('0003 0000 00000001 ffff ffffffff')))).toBeInstanceOf(
      MalformedFrameError,
    );
    const v9 = decodeRequest(hex('0003 0009 00000001 ffff 00   00 01 00 00 00'));
    expect(v9.api === 'Metadata' && v9.body.topics).toBeNull();
  });

  it('a null records field survives, and a null where the version forbids it is refused when encoding', () => {
    const wire = encodeRequest(
      { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: null },
      { acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: null }] }] },
    );
    const decoded = decodeRequest(frameOf(wire));
    expect(decoded.api === 'Produce' && decoded.body.topicData[0]?.partitionData[0]?.records).toBeNull();
    expect(() => encodeResponse(3, 0, 1, { topics: [{ name: null }] })).toThrow(/not nullable/);
  });

  it('a compact string of length 0 is null, of length 1 is empty', () => {
    const decode = (b: string) =>
      decodeRequest(hex(`0003 000a 00000001 ffff 00 02 ${'00'.repeat(16)} ${b} 00  01 00 00  00`));
    const nul = decode('00');
    const empty = decode('01');
    expect(nul.api === 'Metadata' && nul.body.topics?.[0]?.name).toBeNull();
    expect(empty.api === 'Metadata' && empty.body.topics?.[0]?.name).toBe('');
  });
});

describe('nullable structs', () => {
  // ConsumerGroupHeartbeat v0 response: throttle, error, message, member id, epoch, interval, assignment.
  const head = '00000001 00 00000000 0000 00 00 00000005 00000bb8';
  it('a null struct is the marker -1, a present one the marker 1 then the struct', () => {
    const nul = encodeResponse(68, 0, 1, { memberEpoch: 5, heartbeatIntervalMs: 3000, assignment: null });
    expect(toHex(frameOf(nul))).toBe(`${head} ff 00`.replace(/ /g, ''));
    const present = encodeResponse(68, 0, 1, {
      memberEpoch: 5,
      heartbeatIntervalMs: 3000,
      assignment: { topicPartitions: [] },
    });
    expect(toHex(frameOf(present))).toBe(`${head} 01 01 00 00`.replace(/ /g, ''));
    const decoded = decodeResponse(68, 0, frameOf(present));
    expect(decoded.body.assignment).toEqual({ topicPartitions: [] });
    expect(decodeResponse(68, 0, frameOf(nul)).body.assignment).toBeNull();
  });

  it('any other marker is malformed', () => {
    expect(thrown(() => decodeResponse(68, 0, hex(`${head} 02 01 00 00`)))).toBeInstanceOf(
      MalformedFrameError,
    );
  });
});

describe('tagged fields', () => {
  const fetchV12 = (tags: string) =>
    hex(
      `0001 000c 00000001 ffff 00  ffffffff 000001f4 00000001 00100000 00 00000000 ffffffff  01 01 01  ${tags}`,
    );

  it('decodes a known tag (Fetch clusterId, tag 0) and re-encodes it', () => {
    const frame = fetchV12('01 00 03 03 6f6b');
    const decoded = decodeRequest(frame);
    expect(decoded.api === 'Fetch' && decoded.body.clusterId).toBe('ok');
    expect(frameOf(encodeRequest(decoded.header as never, decoded.body as never))).toEqual(frame);
  });

  it('leaves a tagged field at its default out of the frame', () => {
    const decoded = decodeRequest(fetchV12('00'));
    expect(decoded.api === 'Fetch' && decoded.body.clusterId).toBeNull();
    expect(decoded.api === 'Fetch' && decoded.body.maxWaitMs).toBe(500);
  });

  it('keeps unknown tags in order beside known ones, byte for byte', () => {
    const frame = fetchV12('03 00 02 02 61  07 01 ff  2a 00');
    const decoded = decodeRequest(frame);
    expect(decoded.body.unknownTags).toEqual([
      { tag: 7, data: hex('ff') },
      { tag: 42, data: new Uint8Array(0) },
    ]);
    expect(frameOf(encodeRequest(decoded.header as never, decoded.body as never))).toEqual(frame);
  });

  it('refuses tags out of order, repeated, or with bytes their field does not use', () => {
    expect(thrown(() => decodeRequest(fetchV12('02 07 00 03 00')))).toBeInstanceOf(MalformedFrameError);
    expect(thrown(() => decodeRequest(fetchV12('02 07 00 07 00')))).toBeInstanceOf(MalformedFrameError);
    expect(thrown(() => decodeRequest(fetchV12('01 00 03 01 61 62')))).toBeInstanceOf(MalformedFrameError);
  });

  it('writes tagged structs only when they differ from their defaults (Produce v10 currentLeader)', () => {
    const body = (leader: { leaderId: number; leaderEpoch: number }) => ({
      responses: [{ name: 't', partitionResponses: [{ index: 0, baseOffset: 0n, currentLeader: leader }] }],
    });
    const atDefault = encodeResponse(0, 10, 1, body({ leaderId: -1, leaderEpoch: -1 }));
    const set = encodeResponse(0, 10, 1, body({ leaderId: 0, leaderEpoch: 0 }));
    expect(set.length - atDefault.length).toBe(2 + 8 + 1); // tag, size, two int32, the struct's own empty tag section
    expect(
      decodeResponse(0, 10, frameOf(set)).body.responses[0]?.partitionResponses[0]?.currentLeader,
    ).toEqual({
      leaderId: 0,
      leaderEpoch: 0,
    });
  });
});

describe('defaults', () => {
  it('fills fields a version lacks with their defaults (Metadata v0 allows auto-creation)', () => {
    const decoded = decodeRequest(hex('0003 0000 00000001 ffff 00000000'));
    expect(decoded.api === 'Metadata' && decoded.body.allowAutoTopicCreation).toBe(true);
  });

  it('writes fields left out of an encoder input as their defaults', () => {
    const decoded = decodeResponse(22, 1, frameOf(encodeResponse(22, 1, 1, { producerEpoch: 3 })));
    expect(decoded.body).toEqual({ throttleTimeMs: 0, errorCode: 0, producerId: -1n, producerEpoch: 3 });
  });
});

describe('the schema serves the ranges of kafka-protocol.md', () => {
  // key: [serve min, serve max, first flexible version]
  const TABLE: Record<string, [number, number, number]> = {
    ApiVersions: [0, 4, 3],
    Metadata: [0, 12, 9],
    Produce: [0, 11, 9],
    Fetch: [4, 13, 12],
    ListOffsets: [1, 9, 6],
    FindCoordinator: [0, 6, 3],
    OffsetCommit: [2, 9, 8],
    OffsetFetch: [1, 9, 6],
    DescribeGroups: [0, 5, 5],
    ListGroups: [0, 5, 3],
    DeleteGroups: [0, 2, 2],
    InitProducerId: [0, 5, 2],
    OffsetForLeaderEpoch: [2, 4, 4],
    CreateTopics: [2, 7, 5],
    DeleteTopics: [1, 6, 4],
    CreatePartitions: [0, 3, 2],
    DeleteRecords: [0, 2, 2],
    DescribeConfigs: [1, 4, 4],
    AlterConfigs: [0, 2, 2],
    IncrementalAlterConfigs: [0, 1, 1],
    DescribeCluster: [0, 1, 0],
    JoinGroup: [0, 9, 6],
    SyncGroup: [0, 5, 4],
    Heartbeat: [0, 4, 4],
    LeaveGroup: [0, 5, 4],
    ConsumerGroupHeartbeat: [0, 1, 0],
    ConsumerGroupDescribe: [0, 1, 0],
    SaslAuthenticate: [0, 2, 2],
  };

  it('OffsetDelete is v0 only, never flexible', () => {
    expect(parseVersions(APIS.OffsetDelete.versions)).toEqual({ min: 0, max: 0 });
    expect(inVersions(APIS.OffsetDelete.flexible, 0)).toBe(false);
  });

  it('SaslHandshake is never flexible', () => {
    expect(parseVersions(APIS.SaslHandshake.versions)).toEqual({ min: 0, max: 1 });
    expect(inVersions(APIS.SaslHandshake.flexible, 1)).toBe(false);
  });

  it.each(Object.entries(TABLE))('%s', (name, [min, max, flexibleFrom]) => {
    const schema = APIS[name as keyof typeof APIS];
    const range = parseVersions(schema.versions);
    expect(range.min).toBeLessThanOrEqual(min);
    expect(range.max).toBeGreaterThanOrEqual(max);
    expect(parseVersions(schema.flexible).min).toBe(flexibleFrom);
    expect(inVersions(schema.flexible, flexibleFrom - 1)).toBe(false);
  });
});
