import type { EventSourceLike } from './events';

type Listener = (ev: MessageEvent<string>) => void;

// Test helper (not shipped): minimal stand-in for the browser's EventSource: tests drive it by hand.
export class FakeSource implements EventSourceLike {
  readyState = 0;
  onopen: EventSourceLike['onopen'] = null;
  onerror: EventSourceLike['onerror'] = null;
  closed = false;
  readonly listeners = new Map<string, Set<Listener>>();

  constructor(readonly url: string) {}

  addEventListener(type: string, listener: Listener): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)?.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.call(this as unknown as EventSource, new Event('open'));
  }

  fail(readyState: 0 | 2): void {
    this.readyState = readyState;
    this.onerror?.call(this as unknown as EventSource, new Event('error'));
  }

  emit(type: string, data: string): void {
    const ev = new MessageEvent<string>(type, { data });
    for (const l of this.listeners.get(type) ?? []) l(ev);
  }
}

export function fakeFactory() {
  const sources: FakeSource[] = [];
  const factory = (url: string) => {
    const s = new FakeSource(url);
    sources.push(s);
    return s;
  };
  return { sources, factory };
}

