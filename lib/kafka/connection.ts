import type { Socket } from 'node:net';

export interface ConnectionOptions {
  /** socket.request.max.bytes: a frame declaring more (or less than 1 byte) closes the connection. */
  maxFrameBytes: number;
  /** connections.max.idle.ms: closed after this long with nothing read, written or in flight. */
  idleMs: number;
  /** Requests processed at once; past this the socket is not read. */
  maxInFlight: number;
  /** Bytes of requests in flight plus responses not yet flushed; past this the socket is not read. */
  maxQueuedBytes: number;
  /**
   * Answers one frame: the response to write (size prefix included), or null for none. A Produce
   * calls `admitted` once its batches hold their place in the flush: the connection's next
   * Produce may start then, before this one is answered.
   */
  handle(frame: Uint8Array, admitted: () => void): Promise<Uint8Array | null>;
  /** Told why a connection was closed on its client (a bad frame, a failed handler). */
  onClose?(reason: string, err?: unknown): void;
}

const PRODUCE_KEY = 0;
const noop = () => {};

/**
 * Thrown by `handle` when Kafka answers a request and then closes the connection (a failed SASL
 * authentication): the response is written after those before it, then the connection closes.
 */
export class AnswerThenClose extends Error {
  constructor(
    message: string,
    readonly response: Uint8Array,
  ) {
    super(message);
  }
}

interface Slot {
  bytes: number;
  settled: boolean;
  response: Uint8Array | null;
  /** Set on a request that cannot be answered: the connection closes when its turn comes. */
  closeWith?: { reason: string; err?: unknown };
}

/**
 * One client connection: splits the byte stream into size-prefixed frames, hands each to the
 * handler, and writes the responses back in request order. Requests run concurrently, except that
 * Produce requests are admitted one after another (an idempotent producer's in-flight batches must
 * commit in sequence order, as they do on a Kafka broker, which runs a connection's requests one at
 * a time): the next starts once the one before has taken its place in a flush, or is answered.
 * Reading stops while too much is in flight or the client is not draining its responses. A frame
 * that cannot be answered closes the connection, once the answers before it are written.
 */
export function serveConnection(socket: Socket, opts: ConnectionOptions): { inFlight(): number } {
  const chunks: Buffer[] = [];
  let buffered = 0;
  /** Size of the frame being received, once its prefix has arrived. */
  let frameSize = -1;
  const slots: Slot[] = [];
  let queuedBytes = 0;
  let running = 0;
  let closed = false;
  /** A frame that cannot be answered was read: nothing after it is read or started. */
  let failed = false;
  let produceTail: Promise<unknown> = Promise.resolve();

  const close = (reason: string, err?: unknown) => {
    if (closed) return;
    closed = true;
    chunks.length = 0;
    slots.length = 0;
    opts.onClose?.(reason, err);
    socket.destroy();
  };

  /**
   * Kafka answers a connection's requests in order, so the requests before a bad one still get
   * their answers (a produce's tells the client it committed): they are written, then the
   * connection is closed. Requests after it are not started; those already running are not answered.
   */
  const fail = (slot: Slot, reason: string, err?: unknown) => {
    if (closed) return;
    // Even after another failure: that one may sit behind this slot, and is reached through it.
    failed = true;
    chunks.length = 0;
    buffered = 0;
    slot.settled = true;
    slot.closeWith = { reason, ...(err ? { err } : {}) };
    flush();
  };

  const closeAfterWrites = (reason: string, err?: unknown) => {
    if (closed) return;
    closed = true;
    slots.length = 0;
    opts.onClose?.(reason, err);
    socket.end(() => socket.destroy());
  };

  const take = (n: number): Buffer => {
    const first = chunks[0] as Buffer;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) chunks.shift();
      else chunks[0] = first.subarray(n);
      buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = chunks[0] as Buffer;
      const used = Math.min(c.length, n - at);
      c.copy(out, at, 0, used);
      at += used;
      if (used === c.length) chunks.shift();
      else chunks[0] = c.subarray(used);
    }
    buffered -= n;
    return out;
  };

  const flowControl = () => {
    if (closed) return;
    const full =
      running >= opts.maxInFlight || queuedBytes >= opts.maxQueuedBytes || socket.writableNeedDrain;
    if (full) socket.pause();
    else socket.resume();
  };

  const flush = () => {
    while (slots.length > 0 && (slots[0] as Slot).settled) {
      const slot = slots.shift() as Slot;
      queuedBytes -= slot.bytes;
      if (slot.response) socket.write(slot.response);
      if (slot.closeWith) return closeAfterWrites(slot.closeWith.reason, slot.closeWith.err);
    }
    flowControl();
  };

  const start = (frame: Buffer) => {
    const slot: Slot = { bytes: frame.length, settled: false, response: null };
    slots.push(slot);
    queuedBytes += frame.length;
    running++;
    let work: Promise<Uint8Array | null>;
    if (frame.length >= 2 && frame.readInt16BE(0) === PRODUCE_KEY) {
      let admit = () => {};
      const admitted = new Promise<void>((resolve) => {
        admit = resolve;
      });
      work = produceTail.then(() => opts.handle(frame, admit));
      produceTail = Promise.race([admitted, work.then(noop, noop)]);
    } else {
      work = opts.handle(frame, noop);
    }
    work.then(
      (response) => {
        running--;
        if (closed) return;
        slot.settled = true;
        slot.response = response;
        if (response) {
          slot.bytes += response.length;
          queuedBytes += response.length;
        }
        flush();
      },
      (err: unknown) => {
        running--;
        if (closed) return;
        if (err instanceof AnswerThenClose) {
          slot.response = err.response;
          slot.bytes += err.response.length;
          queuedBytes += err.response.length;
        }
        fail(slot, err instanceof AnswerThenClose ? err.message : 'request failed', err);
      },
    );
  };

  const readFrames = () => {
    while (!closed && !failed) {
      if (frameSize < 0) {
        if (buffered < 4) return;
        frameSize = take(4).readInt32BE(0);
        if (frameSize < 1 || frameSize > opts.maxFrameBytes) {
          const slot: Slot = { bytes: 0, settled: false, response: null };
          slots.push(slot);
          fail(slot, `frame length ${frameSize} outside 1-${opts.maxFrameBytes}`);
          return;
        }
      }
      if (buffered < frameSize) return;
      const frame = take(frameSize);
      frameSize = -1;
      start(frame);
    }
  };

  socket.setNoDelay(true);
  socket.setTimeout(opts.idleMs);
  socket.on('timeout', () => {
    // A connection closing after its last answers, whose client does not read them, goes now.
    if (closed) socket.destroy();
    else if (running === 0 && slots.length === 0) close('idle');
  });
  socket.on('data', (chunk: Buffer) => {
    if (closed || failed) return;
    chunks.push(chunk);
    buffered += chunk.length;
    readFrames();
    flowControl();
  });
  socket.on('drain', flowControl);
  // A client that vanishes mid-frame or mid-request: drop what was buffered; work in flight
  // finishes on its own (a produce still commits or not as a whole) and its answer is discarded.
  socket.on('close', () => {
    closed = true;
    chunks.length = 0;
    slots.length = 0;
  });
  socket.on('error', () => {});
  return { inFlight: () => running };
}
