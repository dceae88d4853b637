/**
 * `Map.groupBy`, which Node 20 lacks (Lambda's Node 22 has it): the items by key, each group in
 * the order the items came, the groups in the order their keys first appeared.
 */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
