/** Classifies AWS SDK errors for the engine: which ones leave an operation in doubt and may be retried. */

/** Errors after which the request may or may not have been applied, and a retry is safe. */
export function isRetriableAwsError(err: unknown): boolean {
  const e = err as {
    name?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    code?: string;
  };
  if (!e || typeof e !== 'object') return false;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return [
    'TimeoutError',
    'RequestTimeout',
    'RequestTimeoutException',
    'ThrottlingException',
    'ProvisionedThroughputExceededException',
    'RequestLimitExceeded',
    'TransactionInProgressException',
    'TransactionConflictException',
    'InternalServerError',
    'ServiceUnavailable',
    'SlowDown',
    'ECONNRESET',
    'ECONNREFUSED',
    'EPIPE',
    'ETIMEDOUT',
  ].some((n) => e.name === n || e.code === n);
}
