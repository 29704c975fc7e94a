// Combines the health check and the event stream into the one status the shell
// shows. "Connected" needs both: a health answer alone says nothing about push
// updates, and an open stream alone could be a stale proxy.

import { derived, get, writable, type Readable } from 'svelte/store';
import { api as defaultApi, type ApiClient, type Version } from './api';
import { events as defaultEvents, type EventStream, type StreamState } from './events';

export type ConnectionStatus = 'connecting' | 'connected' | 'offline';

type HealthState = 'unknown' | 'ok' | 'failed';

export interface Connection {
  status: Readable<ConnectionStatus>;
  version: Readable<Version | null>;
  start(): void;
  stop(): void;
  /** Re-runs the health check now; resolves to whether it succeeded. */
  checkHealth(opts?: { eventsReceived?: boolean }): Promise<boolean>;
}

/**
 * `everOpen` tells the first connection attempt apart from a later drop: only
 * the former is shown as "connecting", so a start-up never flashes "Offline"
 * while a backend that went away is reported as offline right away.
 */
export function statusFrom(health: HealthState, stream: StreamState, everOpen: boolean): ConnectionStatus {
  if (health === 'ok' && stream === 'open') return 'connected';
  if (health === 'failed') return 'offline';
  if (!everOpen && stream !== 'closed') return 'connecting';
  if (health === 'unknown' && !everOpen) return 'connecting';
  return 'offline';
}

export function createConnection(
  client: Pick<ApiClient, 'health' | 'version'> = defaultApi,
  stream: EventStream = defaultEvents,
): Connection {
  const health = writable<HealthState>('unknown');
  const version = writable<Version | null>(null);
  const everOpen = writable(false);
  const status = derived([health, stream.state, everOpen], ([h, s, o]) => statusFrom(h, s, o));
  let unsubscribers: (() => void)[] = [];

  async function checkHealth(opts: { eventsReceived?: boolean } = {}): Promise<boolean> {
    try {
      const res = await client.health(opts);
      const ok = res?.status === 'ok';
      health.set(ok ? 'ok' : 'failed');
      if (ok && get(version) === null) void loadVersion();
      return ok;
    } catch {
      health.set('failed');
      return false;
    }
  }

  async function loadVersion(): Promise<void> {
    try {
      version.set(await client.version());
    } catch {
      // The version is cosmetic; the health check already reports real trouble.
    }
  }

  return {
    status,
    version: { subscribe: version.subscribe },
    checkHealth,
    start() {
      if (unsubscribers.length > 0) return;
      void checkHealth();
      unsubscribers = [
        stream.state.subscribe((s) => {
          if (s === 'open') everOpen.set(true);
        }),
        // Every (re)connect starts with `hello`. A reconnect usually means the
        // backend restarted, so confirm health again rather than trust the old
        // answer; the flag also lets the backend log that push events arrive.
        stream.subscribe('hello', () => void checkHealth({ eventsReceived: true })),
      ];
      stream.start();
    },
    stop() {
      for (const unsubscribe of unsubscribers) unsubscribe();
      unsubscribers = [];
      stream.stop();
    },
  };
}

export const connection = createConnection();
