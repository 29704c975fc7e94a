import { get } from 'svelte/store';
import { describe, expect, it, vi } from 'vitest';
import { EventStream } from './events';
import { fakeFactory, type FakeSource } from './fake-event-source';

function last(sources: FakeSource[]): FakeSource {
  const s = sources.at(-1);
  if (!s) throw new Error('no source created');
  return s;
}

describe('EventStream', () => {
  it('connects to /api/events and reports open/closed', () => {
    const { sources, factory } = fakeFactory();
    const stream = new EventStream({ factory });
    expect(get(stream.state)).toBe('closed');
    stream.start();
    expect(last(sources).url).toBe('/api/events?client=ui');
    expect(get(stream.state)).toBe('connecting');
    expect(get(stream.connected)).toBe(false);
    last(sources).open();
    expect(get(stream.connected)).toBe(true);
    stream.stop();
    expect(last(sources).closed).toBe(true);
    expect(get(stream.connected)).toBe(false);
  });

  it('delivers parsed payloads to typed subscribers and stops after unsubscribe', () => {
    const { sources, factory } = fakeFactory();
    const stream = new EventStream({ factory });
    const times: string[] = [];
    const unsubscribe = stream.subscribe('hello', (data) => times.push(data.time));
    stream.start();
    last(sources).emit('hello', '{"time":"2025-01-01T00:00:00Z"}');
    expect(times).toEqual(['2025-01-01T00:00:00Z']);
    unsubscribe();
    last(sources).emit('hello', '{"time":"later"}');
    expect(times).toHaveLength(1);
  });

  it('registers listeners added after the stream started', () => {
    const { sources, factory } = fakeFactory();
    const stream = new EventStream({ factory });
    stream.start();
    const seen: unknown[] = [];
    stream.subscribe('lead.created', (event) => seen.push(event.data?.id));
    last(sources).emit('lead.created', '{"type":"lead.created","time":"2025-01-01T00:00:00Z","data":{"id":"0a1b"}}');
    expect(seen).toEqual(['0a1b']);
  });

  it('keeps other subscribers running when one throws or the JSON is bad', () => {
    const { sources, factory } = fakeFactory();
    const stream = new EventStream({ factory });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warns = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const good = vi.fn();
    stream.subscribe('mail.new', () => {
      throw new Error('boom');
    });
    stream.subscribe('mail.new', good);
    stream.start();
    last(sources).emit('mail.new', '{"type":"mail.new","time":"t","data":{"count":3}}');
    last(sources).emit('mail.new', '{not json');
    expect(good).toHaveBeenCalledTimes(1);
    expect(good.mock.calls[0]?.[0]).toEqual({ type: 'mail.new', time: 't', data: { count: 3 } });
    expect(errors).toHaveBeenCalledOnce();
    expect(warns).toHaveBeenCalledOnce();
    errors.mockRestore();
    warns.mockRestore();
  });

  it('lets the browser retry transient drops but re-creates a closed source with backoff', () => {
    const { sources, factory } = fakeFactory();
    const timers: { fn: () => void; ms: number }[] = [];
    const stream = new EventStream({
      factory,
      minRetryMs: 100,
      maxRetryMs: 250,
      setTimer: (fn, ms) => timers.push({ fn, ms }),
      clearTimer: () => {},
    });
    const seen: string[] = [];
    stream.subscribe('hello', (d) => seen.push(d.time));
    stream.start();
    last(sources).open();

    last(sources).fail(0);
    expect(get(stream.state)).toBe('connecting');
    expect(sources).toHaveLength(1);

    last(sources).fail(2);
    expect(get(stream.state)).toBe('closed');
    expect(timers.map((t) => t.ms)).toEqual([100]);
    timers.shift()?.fn();
    expect(sources).toHaveLength(2);
    last(sources).fail(2);
    timers.shift()?.fn();
    last(sources).fail(2);
    expect(timers.map((t) => t.ms)).toEqual([250]);
    timers.shift()?.fn();

    // The new source carries the old subscriptions.
    last(sources).open();
    last(sources).emit('hello', '{"time":"again"}');
    expect(seen).toEqual(['again']);
    expect(get(stream.connected)).toBe(true);
  });
});
