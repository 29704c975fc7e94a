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

import type {
  Account,
  Board,
  Column,
  Deal,
  DealInput,
  DiscardReason,
  FieldDef,
  FieldType,
  FollowUp,
  FollowUpPage,
  Lead,
  LeadInput,
  LeadPage,
  LeadPatch,
  LeadQuery,
  Note,
  Pipeline,
  PipelineSettings,
  Signal,
  CaptureStatus,
  Stage,
  StageInput,
  Tag,
  ThreadDetail,
  ThreadPage,
  ThreadQuery,
  TimelinePage,
  UpsertInput,
} from './types';

import { toCaptureStatus, toSignal, toThreadDetail, toThreadSummary } from './mail';
import type {
  AccountForm,
  AccountList,
  ComposeRequest,
  ConnectionTest,
  LlmSettings,
  LlmSettingsUpdate,
  OutboxItem,
  Preset,
  Rendered,
  Suggestion,
  Template,
  TemplateInput,
} from './compose';
import type { SearchCounts, SearchKind, SearchResult } from './search';

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

  const enc = encodeURIComponent;

  /**
   * For endpoints another part of the backend may not serve yet: resolves to
   * null on 404 so the UI can show an honest "not available" state.
   */
  async function optional<T>(p: Promise<T>): Promise<T | null> {
    try {
      return await p;
    } catch (err) {
      // 404: the route is not there; 503 unavailable: the build or the
      // engine runs without that service (e.g. no mail).
      if (err instanceof ApiError && (err.status === 404 || (err.status === 503 && err.code === 'unavailable'))) return null;
      throw err;
    }
  }

  const list = <T>(path: string, signal?: AbortSignal) =>
    request<{ items: T[] }>('GET', path, { signal }).then((r) => r.items ?? []);

  return {
    request,
    optional,
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

    // Pipelines and stages.
    pipelines: (signal?: AbortSignal) => list<Pipeline>('/api/pipelines', signal),
    pipeline: (id: string) => request<Pipeline>('GET', `/api/pipelines/${enc(id)}`),
    createPipeline: (body: { name: string; stages?: StageInput[]; settings?: PipelineSettings }) =>
      request<Pipeline>('POST', '/api/pipelines', { body }),
    updatePipeline: (id: string, body: { version?: number; name?: string; settings?: PipelineSettings }) =>
      request<Pipeline>('PATCH', `/api/pipelines/${enc(id)}`, { body }),
    deletePipeline: (id: string) => request<void>('DELETE', `/api/pipelines/${enc(id)}`),
    addStage: (pipelineId: string, body: StageInput & { version?: number }) =>
      request<{ pipeline: Pipeline; stage: Stage }>('POST', `/api/pipelines/${enc(pipelineId)}/stages`, { body }),
    updateStage: (pipelineId: string, stageId: string, body: StageInput & { version?: number }) =>
      request<Pipeline>('PATCH', `/api/pipelines/${enc(pipelineId)}/stages/${enc(stageId)}`, { body }),
    deleteStage: (pipelineId: string, stageId: string, moveTo?: string) =>
      request<Pipeline>(
        'DELETE',
        `/api/pipelines/${enc(pipelineId)}/stages/${enc(stageId)}` + (moveTo ? `?move_to=${enc(moveTo)}` : ''),
      ),
    reorderStages: (pipelineId: string, order: string[], version?: number) =>
      request<Pipeline>('PUT', `/api/pipelines/${enc(pipelineId)}/stages/order`, { body: { order, version } }),

    // Board.
    board: (pipelineId: string, limit = 25, signal?: AbortSignal) =>
      request<Board>('GET', `/api/pipelines/${enc(pipelineId)}/board?limit=${limit}`, { signal }),
    boardColumn: (pipelineId: string, stageId: string, cursor: string, limit = 25) =>
      request<Column>(
        'GET',
        `/api/pipelines/${enc(pipelineId)}/board/columns/${enc(stageId)}?limit=${limit}&cursor=${enc(cursor)}`,
      ),

    // Leads.
    leads: (q: LeadQuery = {}, signal?: AbortSignal) =>
      request<LeadPage>('GET', '/api/leads' + queryString(q), { signal }),
    lead: (id: string, signal?: AbortSignal) => request<Lead>('GET', `/api/leads/${enc(id)}`, { signal }),
    createLead: (body: LeadInput) => request<Lead>('POST', '/api/leads', { body }),
    updateLead: (id: string, body: LeadPatch) => request<Lead>('PATCH', `/api/leads/${enc(id)}`, { body }),
    archiveLead: (id: string) => request<Lead>('DELETE', `/api/leads/${enc(id)}`),
    purgeLead: (id: string) => request<void>('DELETE', `/api/leads/${enc(id)}?purge=1`),
    moveLead: (id: string, body: { stage_id: string; pipeline_id?: string; lost_reason_id?: string; version?: number }) =>
      request<Lead>('POST', `/api/leads/${enc(id)}/move`, { body }),
    bulkMove: (body: { ids: string[]; stage_id: string; lost_reason_id?: string }) =>
      request<{ moved: number }>('POST', '/api/leads/bulk-move', { body }),
    reopenLead: (id: string, stageId?: string) =>
      request<Lead>('POST', `/api/leads/${enc(id)}/reopen`, { body: stageId ? { stage_id: stageId } : {} }),
    upsertLead: (body: UpsertInput) => request<{ lead: Lead; created: boolean }>('POST', '/api/leads/upsert', { body }),
    linkThread: (id: string, threadId: string, mailbox = '') =>
      request<Lead>('POST', `/api/leads/${enc(id)}/threads`, { body: { thread_id: threadId, mailbox } }),

    // Notes, timeline, follow-ups, deals.
    notes: (leadId: string) => list<Note>(`/api/leads/${enc(leadId)}/notes`),
    addNote: (leadId: string, body: string) => request<Note>('POST', `/api/leads/${enc(leadId)}/notes`, { body: { body } }),
    deleteNote: (id: string) => request<void>('DELETE', `/api/notes/${enc(id)}`),
    timeline: (leadId: string, q: { type?: string; q?: string; limit?: number; cursor?: string } = {}) =>
      request<TimelinePage>('GET', `/api/leads/${enc(leadId)}/timeline` + queryString(q)),
    leadFollowUps: (leadId: string) =>
      request<FollowUpPage>('GET', `/api/leads/${enc(leadId)}/followups`).then((p) => p.items ?? []),
    followUps: (due?: 'overdue' | 'today' | 'upcoming') =>
      request<FollowUpPage>('GET', '/api/followups' + queryString({ due })),
    createFollowUp: (leadId: string, body: { due_at: string; note?: string }) =>
      request<FollowUp>('POST', `/api/leads/${enc(leadId)}/followups`, { body }),
    completeFollowUp: (id: string) => request<FollowUp>('POST', `/api/followups/${enc(id)}/complete`, { body: {} }),
    snoozeFollowUp: (id: string, days: number) =>
      request<FollowUp>('POST', `/api/followups/${enc(id)}/snooze`, { body: { days } }),
    deals: (leadId: string) => list<Deal>(`/api/deals?lead_id=${enc(leadId)}`),
    createDeal: (body: DealInput) => request<Deal>('POST', '/api/deals', { body }),
    updateDeal: (id: string, body: DealInput) => request<Deal>('PATCH', `/api/deals/${enc(id)}`, { body }),
    deleteDeal: (id: string) => request<void>('DELETE', `/api/deals/${enc(id)}`),

    // Settings vocabularies.
    tags: () => list<Tag>('/api/tags'),
    createTag: (body: { name: string; colour?: string }) => request<Tag>('POST', '/api/tags', { body }),
    updateTag: (id: string, body: { name?: string; colour?: string; version?: number }) =>
      request<Tag>('PATCH', `/api/tags/${enc(id)}`, { body }),
    deleteTag: (id: string) => request<void>('DELETE', `/api/tags/${enc(id)}`),
    fieldDefs: () => list<FieldDef>('/api/custom-fields'),
    createFieldDef: (body: { key: string; label: string; type: FieldType; options?: string[] }) =>
      request<FieldDef>('POST', '/api/custom-fields', { body }),
    updateFieldDef: (id: string, body: { label?: string; options?: string[]; version?: number }) =>
      request<FieldDef>('PATCH', `/api/custom-fields/${enc(id)}`, { body }),
    deleteFieldDef: (id: string) => request<void>('DELETE', `/api/custom-fields/${enc(id)}`),
    discardReasons: () => list<DiscardReason>('/api/discard-reasons'),
    createDiscardReason: (label: string) => request<DiscardReason>('POST', '/api/discard-reasons', { body: { label } }),
    updateDiscardReason: (id: string, label: string) =>
      request<DiscardReason>('PATCH', `/api/discard-reasons/${enc(id)}`, { body: { label } }),
    deleteDiscardReason: (id: string) => request<void>('DELETE', `/api/discard-reasons/${enc(id)}`),

    // Mail and lead capture: null while the backend does not serve them.
    accounts: () => optional(request<{ accounts?: Account[]; items?: Account[] }>('GET', '/api/accounts')).then(
      (r) => (r === null ? null : (r.accounts ?? r.items ?? [])),
    ),
    threads: (q: ThreadQuery = {}, signal?: AbortSignal) =>
      optional(request<{ threads?: unknown[]; next_cursor?: string }>('GET', '/api/threads' + queryString(q), { signal })).then(
        (r): ThreadPage | null =>
          r === null ? null : { threads: (r.threads ?? []).map(toThreadSummary), next_cursor: r.next_cursor ?? '' },
      ),
    thread: (id: string) =>
      optional(request<unknown>('GET', `/api/threads/${enc(id)}`)).then((r): ThreadDetail | null =>
        r === null ? null : toThreadDetail(r),
      ),
    signals: (pipelineId = '', signal?: AbortSignal) =>
      optional(request<{ signals?: unknown[] }>('GET', '/api/signals' + queryString({ pipeline: pipelineId }), { signal })).then(
        (r): Signal[] | null => (r === null ? null : (r.signals ?? []).map(toSignal)),
      ),
    /** Makes the thread's prospect a lead (201 new, 200 already one) and teaches lead capture. */
    convertSignal: (threadId: string, body: { pipeline_id: string; stage_id?: string }) =>
      request<Lead>('POST', `/api/signals/${enc(threadId)}/convert`, { body }),
    dismissSignal: (threadId: string) =>
      request<{ thread_id: string; dismissed_at: string }>('POST', `/api/signals/${enc(threadId)}/dismiss`),
    captureStatus: (signal?: AbortSignal) =>
      optional(request<unknown>('GET', '/api/capture/status', { signal })).then((r): CaptureStatus | null =>
        r === null ? null : toCaptureStatus(r),
      ),

    // Follow-up rescheduling (complete and snooze are above).
    rescheduleFollowUp: (id: string, dueAt: string, version?: number) =>
      request<FollowUp>('PATCH', `/api/followups/${enc(id)}`, { body: { due_at: dueAt, version } }),

    // Account management.
    accountList: () => request<AccountList>('GET', '/api/accounts'),
    accountPresets: () => request<{ presets: Preset[] }>('GET', '/api/accounts/presets').then((r) => r.presets ?? []),
    createAccount: (body: AccountForm) => request<Account>('POST', '/api/accounts', { body }),
    updateAccount: (id: string, body: AccountForm) => request<Account>('PUT', `/api/accounts/${enc(id)}`, { body }),
    deleteAccount: (id: string) => request<void>('DELETE', `/api/accounts/${enc(id)}`),
    testAccount: (body: AccountForm, id?: string) =>
      request<ConnectionTest>('POST', id ? `/api/accounts/${enc(id)}/test` : '/api/accounts/test', { body }),

    // Sending.
    send: (body: ComposeRequest) => request<OutboxItem>('POST', '/api/outbox', { body }),
    outbox: (state?: string) => list<OutboxItem>('/api/outbox' + queryString({ state })),
    retryOutbox: (id: string) => request<OutboxItem>('POST', `/api/outbox/${enc(id)}/retry`),
    deleteOutbox: (id: string) => request<void>('DELETE', `/api/outbox/${enc(id)}`),

    // Templates, snippets and suggested replies.
    templates: (kind?: 'template' | 'snippet') =>
      request<{ templates: Template[] | null }>('GET', '/api/templates' + queryString({ kind })).then((r) => r.templates ?? []),
    createTemplate: (body: TemplateInput) => request<Template>('POST', '/api/templates', { body }),
    updateTemplate: (id: string, body: TemplateInput) => request<Template>('PUT', `/api/templates/${enc(id)}`, { body }),
    deleteTemplate: (id: string) => request<void>('DELETE', `/api/templates/${enc(id)}`),
    renderTemplate: (id: string, vars: Record<string, string>) =>
      request<Rendered>('POST', `/api/templates/${enc(id)}/render`, { body: { vars } }),
    suggestReply: (threadId: string, vars?: Record<string, string>) =>
      request<Suggestion>('POST', '/api/suggest-reply', { body: { thread_id: threadId, vars } }),
    llmSettings: () => request<LlmSettings>('GET', '/api/settings/llm'),
    saveLlmSettings: (body: LlmSettingsUpdate) => request<LlmSettings>('PUT', '/api/settings/llm', { body }),

    // Search.
    search: (
      q: string,
      kind: SearchKind = 'all',
      opts: { limit?: number; cursor?: string; sort?: 'relevance' | 'date'; signal?: AbortSignal } = {},
    ) =>
      request<SearchResult>(
        'GET',
        '/api/search' + queryString({ q, kind, limit: opts.limit, cursor: opts.cursor, sort: opts.sort }),
        { signal: opts.signal },
      ),
    /** Every match counted by kind, folder and stage: slower than a page of hits. */
    searchCounts: (q: string, signal?: AbortSignal) =>
      request<SearchCounts>('GET', '/api/search/counts' + queryString({ q }), { signal }),
  };
}

/** `?a=1&b=x` from the defined, non-empty values of q ('' when none). */
export function queryString(q: object): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
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
