// The single way the UI talks to the Threadline backend. Components import
// `api` from here and never call fetch themselves, so headers, auth and error
// handling stay consistent in one place.

/** Header the backend uses to tell the bundled UI apart from other clients. */
export const CLIENT_HEADER = 'X-Threadline-Client';
export const CLIENT_NAME = 'ui';

/** Shape of every error body the backend sends with a 4xx/5xx status. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    field?: string;
  };
}

/**
 * Thrown for any failed request. `status` is 0 when the backend could not be
 * reached at all, so callers can tell "offline" apart from "rejected".
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export interface Health {
  status: string;
}

export interface Version {
  version: string;
  commit: string;
  schema: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** Serialised as JSON; only sent for methods that carry a body. */
  body?: unknown;
  signal?: AbortSignal;
}

/** The part of fetch the client uses; narrower than `typeof fetch` so fakes stay simple. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  /** Origin-relative by default so the same bundle works in Wails and a browser. */
  baseUrl?: string;
  /** Only for non-browser callers; the UI itself authenticates by session cookie. */
  token?: string;
  /** Defaults to the global fetch looked up per request (keeps test stubs working). */
  fetch?: FetchLike;
}

// Fallback codes for errors that do not come with the backend's JSON body,
// e.g. a proxy failure or an auth middleware answering in plain text.
const statusCodes: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  422: 'unprocessable',
  429: 'rate_limited',
  500: 'internal',
  502: 'bad_gateway',
  503: 'unavailable',
};

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const err = (value as { error: unknown }).error;
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { message?: unknown }).message === 'string'
  );
}

/** Turns a non-2xx response into an ApiError, whatever its body looks like. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isErrorBody(parsed)) {
    const { code, message, field } = parsed.error;
    return new ApiError(res.status, code, message, typeof field === 'string' && field ? field : undefined);
  }
  const code = statusCodes[res.status] ?? (res.status >= 500 ? 'internal' : 'http_error');
  const message = text.trim() || res.statusText || `Request failed with status ${res.status}`;
  return new ApiError(res.status, code, message);
}

const bodyMethods: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');

  async function request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    if (!path.startsWith('/api/')) {
      // Catch typos early; every backend route lives under /api/.
      throw new Error(`API path must start with /api/: ${path}`);
    }
    const headers = new Headers({ [CLIENT_HEADER]: CLIENT_NAME, Accept: 'application/json' });
    if (options.token) headers.set('Authorization', `Bearer ${options.token}`);

    const init: RequestInit = { method, headers, credentials: 'same-origin', signal: opts.signal };
    if (opts.body !== undefined && bodyMethods.has(method)) {
      headers.set('Content-Type', 'application/json');
      init.body = JSON.stringify(opts.body);
    }

    const doFetch: FetchLike = options.fetch ?? globalThis.fetch;
    let res: Response;
    try {
      res = await doFetch(baseUrl + path, init);
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'network', 'Could not reach Threadline. Is it still running?');
    }

    if (!res.ok) throw await errorFromResponse(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, 'invalid_response', 'The server sent a response that is not JSON.');
    }
  }

  return {
    request,
    get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal }),
    post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
    put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
    patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
    delete: <T>(path: string) => request<T>('DELETE', path),

    /**
     * `eventsReceived` tells the backend this page has also received a push
     * event; it logs that, and the desktop smoke test waits for it.
     */
    health: (opts: { eventsReceived?: boolean; signal?: AbortSignal } = {}) =>
      request<Health>('GET', opts.eventsReceived ? '/api/health?events=received' : '/api/health', {
        signal: opts.signal,
      }),
    version: (signal?: AbortSignal) => request<Version>('GET', '/api/version', { signal }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The client the UI uses. */
export const api: ApiClient = createApiClient();

/** Human-readable text for any thrown value, for showing in the UI. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
