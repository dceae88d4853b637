import { expect, it } from 'vitest';
import { anchoredPattern, kafkaRegexOf } from '../../lib/engine/groups/kafka-consumer-group.js';

it('anchors a Kafka regex to the whole topic name, and shows it back as the client sent it', () => {
  const re = new RegExp(anchoredPattern('orders-.*'));
  expect(re.test('orders-eu')).toBe(true);
  expect(re.test('old-orders-eu')).toBe(false);
  expect(new RegExp(anchoredPattern('a|b')).test('ab')).toBe(false);
  expect(new RegExp(anchoredPattern('a|b')).test('b')).toBe(true);
  for (const r of ['orders-.*', 'a|b', '', '(x)$']) expect(kafkaRegexOf(anchoredPattern(r))).toBe(r);
  // An HTTP member's pattern (unanchored) is shown as written.
  expect(kafkaRegexOf('^orders-')).toBe('^orders-');
});
