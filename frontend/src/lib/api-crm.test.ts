import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient, queryString } from './api';

function client(responses: Response[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return responses.shift() ?? new Response('', { status: 500 });
  });
  return { api: createApiClient({ fetch }), calls };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const notFound = () => json({ error: { code: 'not_found', message: 'no API endpoint GET /api/signals' } }, 404);

afterEach(() => vi.restoreAllMocks());

describe('CRM client', () => {
  it('queryString drops empty values and encodes the rest', () => {
    expect(queryString({ q: 'a b', stage: '', include_archived: false, limit: 50, x: undefined })).toBe('?q=a+b&limit=50');
    expect(queryString({})).toBe('');
  });

  it('lists leads with the filter in the query', async () => {
    const { api, calls } = client([json({ items: [], total: 0, next_cursor: '' })]);
    await api.leads({ pipeline: 'p1', priority: 'high', sort: 'value', dir: 'desc', include_archived: true });
    expect(calls[0]!.url).toBe('/api/leads?pipeline=p1&priority=high&sort=value&dir=desc&include_archived=true');
  });

  it('moves and bulk-moves with JSON bodies', async () => {
    const { api, calls } = client([json({ id: 'l1' }), json({ moved: 2 })]);
    await api.moveLead('l1', { stage_id: 'won' });
    await expect(api.bulkMove({ ids: ['a', 'b'], stage_id: 'new' })).resolves.toEqual({ moved: 2 });
    expect(calls.map((c) => [c.init.method, c.url, c.init.body])).toEqual([
      ['POST', '/api/leads/l1/move', '{"stage_id":"won"}'],
      ['POST', '/api/leads/bulk-move', '{"ids":["a","b"],"stage_id":"new"}'],
    ]);
  });

  it('surfaces a refused move as ApiError with the backend code', async () => {
    const { api } = client([json({ error: { code: 'final_state', message: 'the lead is closed', field: 'stage_id' } }, 422)]);
    const err = await api.moveLead('l1', { stage_id: 'new' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect((err as ApiError).code).toBe('final_state');
  });

  it('reads absent mail and signal endpoints as null, not as an error', async () => {
    const { api } = client([notFound(), notFound(), notFound(), notFound()]);
    await expect(api.signals()).resolves.toBeNull();
    await expect(api.threads()).resolves.toBeNull();
    await expect(api.thread('t1')).resolves.toBeNull();
    await expect(api.accounts()).resolves.toBeNull();
  });

  it('still throws other failures of optional endpoints', async () => {
    const { api } = client([json({ error: { code: 'internal', message: 'boom' } }, 500)]);
    await expect(api.signals()).rejects.toBeInstanceOf(ApiError);
  });

  it('unwraps list envelopes', async () => {
    const { api } = client([json({ items: [{ id: 't', name: 'vip' }] }), json({ signals: [{ thread_id: 'x' }] })]);
    await expect(api.tags()).resolves.toEqual([{ id: 't', name: 'vip' }]);
    await expect(api.signals()).resolves.toMatchObject([{ thread_id: 'x', reasons: [] }]);
  });

  it('lists signals for a pipeline, converts through lead capture and reads its status', async () => {
    const { api, calls } = client([
      json({
        signals: [
          {
            thread_id: 't1',
            subject: 'Pricing',
            from: { name: 'Ann', addr: 'ann@x.test' },
            prospect: { name: 'Ann', addr: 'ann@x.test' },
            score: 0.87,
            label: 'lead',
            category: 'hot_lead',
            reasons: [{ text: 'pricing', effect: 1.2 }, { text: 'unsubscribe', effect: -0.4 }],
            received_at: '2026-11-20T10:00:00Z',
            message_count: 1,
          },
        ],
      }),
      json({ id: 'l1', pipeline_id: 'p1', stage_id: 's2', email: 'ann@x.test' }, 201),
      json({ state: 'running', pending: 12, processed: 40, signals: 3 }),
      json({ error: { code: 'not_found', message: 'no such route' } }, 404),
    ]);
    const list = await api.signals('p1');
    expect(list![0]!.reasons).toEqual([
      { text: 'pricing', effect: 1.2 },
      { text: 'unsubscribe', effect: -0.4 },
    ]);
    const lead = await api.convertSignal('t1', { pipeline_id: 'p1', stage_id: 's2' });
    expect(lead.id).toBe('l1');
    await expect(api.captureStatus()).resolves.toEqual({ state: 'running', pending: 12, processed: 40, signals: 3 });
    await expect(api.captureStatus()).resolves.toBeNull();
    expect(calls.map((c) => [c.init.method, c.url, c.init.body ?? null])).toEqual([
      ['GET', '/api/signals?pipeline=p1', null],
      ['POST', '/api/signals/t1/convert', JSON.stringify({ pipeline_id: 'p1', stage_id: 's2' })],
      ['GET', '/api/capture/status', null],
      ['GET', '/api/capture/status', null],
    ]);
  });
});

describe('toasts', () => {
  it('keeps only the latest Undo offer', async () => {
    const { toasts } = await import('./toasts.svelte');
    const noop = { label: 'Undo', run: () => {} };
    toasts.show('first', { action: noop });
    toasts.show('plain');
    toasts.show('second', { action: noop });
    expect(toasts.items.map((t) => t.message)).toEqual(['plain', 'second']);
    for (const t of [...toasts.items]) toasts.dismiss(t.id);
  });
});
