/** The values that occur more than once (Kafka answers each such entry with INVALID_REQUEST). */
export function duplicates<T>(values: readonly T[]): Set<T> {
  const seen = new Set<T>();
  const twice = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) twice.add(v);
    seen.add(v);
  }
  return twice;
}
