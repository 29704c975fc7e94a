import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, createApiClient, errorFromResponse } from './api';

type FetchArgs = [input: string, init: RequestInit];

function stubFetch(response: Response | (() => Promise<Response>)) {
  const fn = vi.fn(async (..._args: FetchArgs) => (typeof response === 'function' ? response() : response.clone()));
  vi.stubGlobal('fetch', fn);
  return fn;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function lastCall(fn: ReturnType<typeof stubFetch>): { url: string; init: RequestInit; headers: Headers } {
  const call = fn.mock.calls.at(-1);
  if (!call) throw new Error('fetch was not called');
  const [url, init] = call;
  return { url, init, headers: new Headers(init.headers) };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('api client', () => {
  it('calls /api/health with the UI client header and same-origin credentials', async () => {
    const fetch = stubFetch(json({ status: 'ok' }));
    await expect(api.health()).resolves.toEqual({ status: 'ok' });
    const { url, init, headers } = lastCall(fetch);
    expect(url).toBe('/api/health');
    expect(init.method).toBe('GET');
    expect(init.credentials).toBe('same-origin');
    expect(headers.get('X-Threadline-Client')).toBe('ui');
    expect(headers.has('Content-Type')).toBe(false);
    expect(init.body).toBeUndefined();
  });

  it('tells the backend when push events arrived', async () => {
    const fetch = stubFetch(json({ status: 'ok' }));
    await api.health({ eventsReceived: true });
    const { url, headers } = lastCall(fetch);
    expect(url).toBe('/api/health?events=received');
    expect(headers.get('X-Threadline-Client')).toBe('ui');
  });

  it('parses the version', async () => {
    stubFetch(json({ version: '0.1.0', commit: 'abc123', schema: 1 }));
    await expect(api.version()).resolves.toEqual({ version: '0.1.0', commit: 'abc123', schema: 1 });
  });

  it('sends JSON bodies with a JSON content type', async () => {
    const fetch = stubFetch(json({ id: 7 }, 201));
    const created = await api.post<{ id: number }>('/api/leads', { name: 'Ada', tags: ['vip'] });
    expect(created).toEqual({ id: 7 });
    const { init, headers } = lastCall(fetch);
    expect(init.method).toBe('POST');
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(headers.get('X-Threadline-Client')).toBe('ui');
    expect(JSON.parse(String(init.body))).toEqual({ name: 'Ada', tags: ['vip'] });
  });

  it.each(['PATCH', 'PUT'] as const)('sends a JSON body for %s', async (method) => {
    const fetch = stubFetch(json({ ok: true }));
    await api.request(method, '/api/leads/1', { body: { stage: 'won' } });
    const { init, headers } = lastCall(fetch);
    expect(init.method).toBe(method);
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(init.body).toBe('{"stage":"won"}');
  });

  it('turns an error body into an ApiError with status, code, message and field', async () => {
    stubFetch(
      json({ error: { code: 'bad_request', message: 'Email address is not valid', field: 'contact.email' } }, 400),
    );
    const err = await api.post('/api/leads', { email: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      name: 'ApiError',
      status: 400,
      code: 'bad_request',
      message: 'Email address is not valid',
      field: 'contact.email',
    });
  });

  it('leaves field undefined when the backend does not name one', async () => {
    stubFetch(json({ error: { code: 'internal', message: 'database is locked' } }, 500));
    const err = await api.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).field).toBeUndefined();
    expect((err as ApiError).code).toBe('internal');
    expect((err as ApiError).status).toBe(500);
  });

  it('copes with error responses that are not JSON', async () => {
    stubFetch(new Response('unauthorized\n', { status: 401, statusText: 'Unauthorized' }));
    const err = await api.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: 'unauthorized', message: 'unauthorized' });
  });

  it('reports an unreachable backend as a network ApiError with status 0', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    const err = await api.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 0, code: 'network' });
  });

  it('returns undefined for 204 No Content', async () => {
    stubFetch(new Response(null, { status: 204 }));
    await expect(api.delete('/api/leads/1')).resolves.toBeUndefined();
  });

  it('rejects paths outside /api/', async () => {
    stubFetch(json({}));
    await expect(api.get('/health')).rejects.toThrow(/must start with \/api\//);
  });

  it('adds a bearer token and base URL for non-browser clients', async () => {
    const fetch = vi.fn(async (..._args: FetchArgs) => json({ status: 'ok' }));
    const client = createApiClient({ baseUrl: 'http://127.0.0.1:9999/', token: 's3cret', fetch });
    await client.health();
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('http://127.0.0.1:9999/api/health');
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer s3cret');
  });

  it('errorFromResponse ignores bodies that only look like errors', async () => {
    const err = await errorFromResponse(json({ error: 'plain string' }, 404));
    expect(err).toMatchObject({ status: 404, code: 'not_found' });
  });
});
