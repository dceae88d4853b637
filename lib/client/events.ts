/** A tiny browser-safe emitter with KafkaJS's instrumentation event shape `{id, type, timestamp, payload}`. */

export interface InstrumentationEvent<T = unknown> {
  id: number;
  type: string;
  timestamp: number;
  payload: T;
}

export type Listener<T = unknown> = (event: InstrumentationEvent<T>) => void;
export type RemoveListener = () => void;

let nextId = 0;

export class Emitter {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly known: readonly string[],
    private readonly onListenerError?: (err: unknown, type: string) => void,
  ) {}

  on<T = unknown>(type: string, listener: Listener<T>): RemoveListener {
    if (!this.known.includes(type)) {
      throw new TypeError(`unknown event "${type}"; expected one of ${this.known.join(', ')}`);
    }
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  emit(type: string, payload: unknown): void {
    const set = this.listeners.get(type);
    if (!set || set.size === 0) return;
    const event: InstrumentationEvent = { id: nextId++, type, timestamp: Date.now(), payload };
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError?.(err, type);
      }
    }
  }
}
