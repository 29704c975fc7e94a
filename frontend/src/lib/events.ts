// Wrapper around the backend's Server-Sent Events channel (GET /api/events).
// One EventSource is shared by the whole UI; components subscribe to the event
// types they care about and get parsed, typed payloads.

import { derived, writable, type Readable } from 'svelte/store';

// `client=ui` lets the backend log that its own page opened the stream
// (EventSource cannot send the X-Threadline-Client header).
export const EVENTS_PATH = '/api/events?client=ui';

/** Sent once when a stream opens; proves the stream is live. */
export interface HelloEvent {
  time: string;
}

/** Every event from the backend's bus arrives in this envelope. */
export interface BusEvent<T = unknown> {
  type: string;
  /** RFC 3339 time the event happened. */
  time: string;
  data?: T;
}

// Payloads below are still settling on the backend; keep them open-ended so
// new fields do not break the build, and narrow them as features land.
export interface SyncProgressData {
  account?: string;
  done?: number;
  total?: number;
  [key: string]: unknown;
}

export interface MailNewData {
  account?: string;
  count?: number;
  [key: string]: unknown;
}

export interface LeadData {
  id?: string;
  [key: string]: unknown;
}

export interface ReminderDueData {
  id?: string;
  [key: string]: unknown;
}

/** Known event types and what their handlers receive. */
export interface EventMap {
  hello: HelloEvent;
  /** This client fell behind and lost events: refetch whatever is shown. */
  'stream.lagged': BusEvent<never>;
  'sync.progress': BusEvent<SyncProgressData>;
  'mail.new': BusEvent<MailNewData>;
  'reminder.due': BusEvent<ReminderDueData>;
  [leadEvent: `lead.${string}`]: BusEvent<LeadData>;
}

export type EventType = Extract<keyof EventMap, string>;
export type EventData<K extends string> = K extends keyof EventMap ? EventMap[K] : unknown;
export type EventHandler<K extends string> = (data: EventData<K>, event: MessageEvent<string>) => void;

export type StreamState = 'connecting' | 'open' | 'closed';

/** The parts of EventSource this module relies on, so tests can supply a fake. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((this: EventSource, ev: Event) => unknown) | null;
  onerror: ((this: EventSource, ev: Event) => unknown) | null;
  addEventListener(type: string, listener: (ev: MessageEvent<string>) => void): void;
  removeEventListener(type: string, listener: (ev: MessageEvent<string>) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export interface EventStreamOptions {
  url?: string;
  factory?: EventSourceFactory;
  /** Backoff bounds for re-creating a source the browser gave up on. */
  minRetryMs?: number;
  maxRetryMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

const CLOSED = 2;

type AnyHandler = (data: unknown, event: MessageEvent<string>) => void;

export class EventStream {
  readonly #url: string;
  readonly #factory: EventSourceFactory;
  readonly #minRetry: number;
  readonly #maxRetry: number;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;

  #source: EventSourceLike | null = null;
  #handlers = new Map<string, Set<AnyHandler>>();
  #listeners = new Map<string, (ev: MessageEvent<string>) => void>();
  #retryMs: number;
  #retryTimer: unknown = null;
  #running = false;
  #state = writable<StreamState>('closed');

  /** Current state of the stream. */
  readonly state: Readable<StreamState> = { subscribe: this.#state.subscribe };
  /** True while the stream is open and events can arrive. */
  readonly connected: Readable<boolean> = derived(this.#state, (s) => s === 'open');

  constructor(options: EventStreamOptions = {}) {
    this.#url = options.url ?? EVENTS_PATH;
    this.#factory =
      options.factory ??
      ((url) => new EventSource(url, { withCredentials: true }) as unknown as EventSourceLike);
    this.#minRetry = options.minRetryMs ?? 1000;
    this.#maxRetry = options.maxRetryMs ?? 30000;
    this.#retryMs = this.#minRetry;
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#open();
  }

  stop(): void {
    this.#running = false;
    if (this.#retryTimer !== null) this.#clearTimer(this.#retryTimer);
    this.#retryTimer = null;
    this.#closeSource();
    this.#state.set('closed');
  }

  /**
   * Calls `handler` for every event of `type`; returns the unsubscribe function.
   * SSE dispatches by exact name, so subscribe to e.g. `lead.created`, not `lead.*`.
   */
  subscribe<K extends EventType | (string & {})>(type: K, handler: EventHandler<K>): () => void {
    let set = this.#handlers.get(type);
    if (!set) {
      set = new Set();
      this.#handlers.set(type, set);
      if (this.#source) this.#listen(this.#source, type);
    }
    const h = handler as AnyHandler;
    set.add(h);
    return () => {
      const current = this.#handlers.get(type);
      if (!current) return;
      current.delete(h);
      if (current.size === 0) {
        this.#handlers.delete(type);
        const listener = this.#listeners.get(type);
        if (listener && this.#source) this.#source.removeEventListener(type, listener);
        this.#listeners.delete(type);
      }
    };
  }

  #open(): void {
    this.#state.set('connecting');
    const source = this.#factory(this.#url);
    this.#source = source;
    this.#listeners.clear();
    for (const type of this.#handlers.keys()) this.#listen(source, type);

    source.onopen = () => {
      if (this.#source !== source) return;
      this.#retryMs = this.#minRetry;
      this.#state.set('open');
    };
    source.onerror = () => {
      if (this.#source !== source) return;
      // A transient drop leaves the source CONNECTING and the browser retries by
      // itself. It gives up for good (CLOSED) on e.g. a 401 or a restart that
      // answered with an error, so re-create the source ourselves with backoff.
      if (source.readyState === CLOSED) {
        this.#closeSource();
        this.#state.set('closed');
        this.#scheduleReconnect();
      } else {
        this.#state.set('connecting');
      }
    };
  }

  #listen(source: EventSourceLike, type: string): void {
    const listener = (ev: MessageEvent<string>) => this.#dispatch(type, ev);
    this.#listeners.set(type, listener);
    source.addEventListener(type, listener);
  }

  #dispatch(type: string, ev: MessageEvent<string>): void {
    // Any event proves the stream is alive, even if `open` was missed.
    if (this.#source) this.#state.set('open');
    let data: unknown;
    try {
      data = ev.data ? JSON.parse(ev.data) : undefined;
    } catch {
      console.warn(`threadline: ignoring ${type} event with malformed JSON`);
      return;
    }
    for (const handler of [...(this.#handlers.get(type) ?? [])]) {
      try {
        handler(data, ev);
      } catch (err) {
        // One broken subscriber must not starve the others.
        console.error(`threadline: ${type} handler failed`, err);
      }
    }
  }

  #scheduleReconnect(): void {
    if (!this.#running || this.#retryTimer !== null) return;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, this.#maxRetry);
    this.#retryTimer = this.#setTimer(() => {
      this.#retryTimer = null;
      if (this.#running) this.#open();
    }, delay);
  }

  #closeSource(): void {
    const source = this.#source;
    if (!source) return;
    this.#source = null;
    source.onopen = null;
    source.onerror = null;
    for (const [type, listener] of this.#listeners) source.removeEventListener(type, listener);
    this.#listeners.clear();
    source.close();
  }
}

/** The stream the UI shares. Started by the app shell. */
export const events = new EventStream();
