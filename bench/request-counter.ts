/** Counts the HTTP requests an AWS SDK client really sends (each attempt, retries included). */
export interface RequestCounter {
  readonly count: number;
  reset(): void;
}

interface ClientWithStack {
  middlewareStack: { add(...args: never[]): unknown };
}

export function countRequests(client: ClientWithStack, name: string): RequestCounter {
  let count = 0;
  const middleware = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    count++;
    return next(args);
  };
  (client.middlewareStack.add as (m: unknown, o: unknown) => void)(middleware, {
    step: 'finalizeRequest',
    name: `benchCount-${name}`,
  });
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}
