/**
 * Thrown by a decompressor whose output would pass the limit it was given, before or while it
 * writes. Its own class, so that a codec's other faults (a RangeError from corrupt input inside a
 * library) are never taken for it.
 */
export class DecompressionLimitError extends Error {}
