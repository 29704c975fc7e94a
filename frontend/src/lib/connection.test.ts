import { get } from 'svelte/store';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { createConnection, statusFrom } from './connection';
import { EventStream } from './events';
import { fakeFactory } from './fake-event-source';

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('statusFrom', () => {
  it('needs both a healthy backend and an open stream to be connected', () => {
    expect(statusFrom('ok', 'open', true)).toBe('connected');
    expect(statusFrom('ok', 'connecting', true)).toBe('offline');
    expect(statusFrom('ok', 'closed', true)).toBe('offline');
    expect(statusFrom('failed', 'open', true)).toBe('offline');
  });

  it('says connecting only during the first attempt', () => {
    expect(statusFrom('unknown', 'connecting', false)).toBe('connecting');
    expect(statusFrom('ok', 'connecting', false)).toBe('connecting');
    expect(statusFrom('failed', 'connecting', false)).toBe('offline');
    expect(statusFrom('ok', 'closed', false)).toBe('offline');
  });
});

describe('createConnection', () => {
  it('checks health at start, loads the version and goes connected once the stream opens', async () => {
    const { sources, factory } = fakeFactory();
    const stream = new EventStream({ factory });
    const client = {
      health: vi.fn(async (_opts?: { eventsReceived?: boolean }) => ({ status: 'ok' })),
      version: vi.fn(async () => ({ version: '0.1.0', commit: 'abc', schema: 1 })),
    };
    const conn = createConnection(client, stream);
    conn.start();
    await flush();
    expect(client.health).toHaveBeenCalledTimes(1);
    expect(client.health.mock.calls[0]?.[0]).toEqual({});
    expect(get(conn.status)).toBe('connecting');
    sources[0]?.open();
    expect(get(conn.status)).toBe('connected');
    expect(get(conn.version)).toEqual({ version: '0.1.0', commit: 'abc', schema: 1 });

    // `hello` reports that push events arrive.
    sources[0]?.emit('hello', '{"time":"2025-01-01T00:00:00Z"}');
    await flush();
    expect(client.health).toHaveBeenCalledTimes(2);
    expect(client.health.mock.calls[1]?.[0]).toEqual({ eventsReceived: true });

    // A drop shows offline; the reconnect's hello re-checks health.
    sources[0]?.fail(0);
    expect(get(conn.status)).toBe('offline');
    client.health.mockRejectedValueOnce(new ApiError(0, 'network', 'down'));
    sources[0]?.open();
    sources[0]?.emit('hello', '{"time":"2025-01-01T00:00:05Z"}');
    await flush();
    expect(client.health).toHaveBeenCalledTimes(3);
    expect(get(conn.status)).toBe('offline');
    sources[0]?.emit('hello', '{"time":"2025-01-01T00:00:09Z"}');
    await flush();
    expect(get(conn.status)).toBe('connected');
    conn.stop();
  });

  it('is offline when the health check fails', async () => {
    const { sources, factory } = fakeFactory();
    const stream = new EventStream({ factory });
    const client = {
      health: vi.fn(async () => {
        throw new ApiError(0, 'network', 'down');
      }),
      version: vi.fn(async () => ({ version: '0.1.0', commit: '', schema: 1 })),
    };
    const conn = createConnection(client, stream);
    conn.start();
    sources[0]?.open();
    await flush();
    expect(get(conn.status)).toBe('offline');
    expect(client.version).not.toHaveBeenCalled();
    conn.stop();
  });
});
