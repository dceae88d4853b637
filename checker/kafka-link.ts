/**
 * The Kafka workload's connection to the gateways: one request at a time, each with a timeout,
 * classified the way the HTTP client (checker/http.ts) classifies calls. A request that got no
 * answer (connection refused or dropped, a timeout) is `info`: it may or may not have happened.
 * After such a failure the link drops its connection and the next request connects to the next
 * gateway in the list, as a client whose broker died moves to another bootstrap address.
 */
import { connect, type Socket } from 'node:net';
import { decodeResponse, encodeRequest } from '../lib/kafka/protocol/codec.js';
import type { ApiKey, ApiNameOf, RequestInput, ResponseBody } from '../lib/kafka/protocol/schema/index.js';

export type LinkResult<T> = { kind: 'ok'; body: T } | { kind: 'info'; message: string };

export interface KafkaLink {
  request<K extends ApiKey>(
    apiKey: K,
    apiVersion: number,
    body: RequestInput<ApiNameOf<K>>,
    timeoutMs?: number,
  ): Promise<LinkResult<ResponseBody<ApiNameOf<K>>>>;
  /** Closes the connection without a goodbye (a crashed client). */
  close(): void;
}

interface Connection {
  socket: Socket;
  /** Resolves with the next whole frame, or rejects when the connection fails or closes. */
  next(): Promise<Uint8Array>;
}

export function kafkaLink(
  bootstraps: () => readonly string[],
  options: { first?: number; clientId: string; timeoutMs?: number },
): KafkaLink {
  let current: Connection | undefined;
  let index = options.first ?? 0;
  let correlationId = 0;
  const defaultTimeout = options.timeoutMs ?? 5000;

  const drop = () => {
    current?.socket.destroy();
    current = undefined;
    index++;
  };

  return {
    async request(apiKey, apiVersion, body, timeoutMs = defaultTimeout) {
      const list = bootstraps();
      const target = list[index % list.length] as string;
      const id = ++correlationId;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      });
      let opening: Promise<Connection> | undefined;
      try {
        if (!current) {
          opening = open(target);
          current = await Promise.race([opening, timeout]);
        }
        const conn = current;
        conn.socket.write(
          encodeRequest({ apiKey, apiVersion, correlationId: id, clientId: options.clientId }, body),
        );
        const frame = await Promise.race([conn.next(), timeout]);
        const decoded = decodeResponse(apiKey, apiVersion, frame);
        if (decoded.correlationId !== id)
          throw new Error(`correlation id ${decoded.correlationId}, expected ${id}`);
        return { kind: 'ok', body: decoded.body };
      } catch (err) {
        // A connect that loses the race to the timeout is closed when it completes.
        if (opening && !current)
          opening.then(
            (c) => c.socket.destroy(),
            () => {},
          );
        drop();
        return { kind: 'info', message: `${target}: ${(err as Error).message}` };
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => {
      current?.socket.destroy();
      current = undefined;
    },
  };
}

async function open(bootstrap: string): Promise<Connection> {
  const [host, port] = bootstrap.split(':') as [string, string];
  const socket = connect({ host, port: Number(port) });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const frames: Uint8Array[] = [];
  let waiting: { resolve(f: Uint8Array): void; reject(e: Error): void } | undefined;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    waiting?.reject(failure);
    waiting = undefined;
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed')));
  onFrames(socket, (frame) => {
    if (waiting) {
      waiting.resolve(frame);
      waiting = undefined;
    } else frames.push(frame);
  });
  return {
    socket,
    next: () =>
      new Promise<Uint8Array>((resolve, reject) => {
        const ready = frames.shift();
        if (ready) return resolve(ready);
        if (failure) return reject(failure);
        waiting = { resolve, reject };
      }),
  };
}

/** Calls `onFrame` with each whole size-prefixed frame the socket receives (without the prefix). */
export function onFrames(socket: Socket, onFrame: (frame: Uint8Array) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const size = buffered.readInt32BE(0);
      if (buffered.length < 4 + size) break;
      const frame = buffered.subarray(4, 4 + size);
      buffered = buffered.subarray(4 + size);
      onFrame(frame);
    }
  });
}
