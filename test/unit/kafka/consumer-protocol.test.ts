import { describe, expect, it } from 'vitest';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../../lib/kafka/protocol/consumer-protocol.js';

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('consumer protocol blobs', () => {
  it('Subscription v0: version, topics, null user data', () => {
    const bytes = encodeSubscription({ topics: ['ab'], userData: null });
    expect(toHex(bytes)).toBe('0000' + '00000001' + '0002' + '6162' + 'ffffffff');
    expect(decodeSubscription(bytes)).toMatchObject({
      version: 0,
      value: { topics: ['ab'], userData: null },
    });
  });

  it('Assignment v0: version, topic partitions, null user data', () => {
    const bytes = encodeAssignment({
      assignedPartitions: [{ topic: 't', partitions: [0, 2] }],
      userData: null,
    });
    expect(toHex(bytes)).toBe(
      '0000' + '00000001' + '0001' + '74' + '00000002' + '00000000' + '00000002' + 'ffffffff',
    );
    expect(decodeAssignment(bytes).value.assignedPartitions).toEqual([{ topic: 't', partitions: [0, 2] }]);
  });

  it('reads later versions: Subscription v3 with owned partitions, generation and rack', () => {
    const bytes = encodeSubscription(
      {
        topics: ['t'],
        userData: new Uint8Array([1]),
        ownedPartitions: [{ topic: 't', partitions: [1] }],
        generationId: 7,
        rackId: 'r',
      },
      3,
    );
    expect(decodeSubscription(bytes)).toMatchObject({
      version: 3,
      value: {
        topics: ['t'],
        ownedPartitions: [{ topic: 't', partitions: [1] }],
        generationId: 7,
        rackId: 'r',
      },
    });
  });
});
