// Shapes of the sending side of the API (outbox, templates, suggestions,
// accounts) and the composer's logic, kept free of Svelte so it is tested on
// its own.

import type { Lead, Message, Person } from './types';

/** Decoded attachment bytes allowed per message (the backend's MaxAttachmentBytes). */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

export interface AttachmentInput {
  filename: string;
  content_type: string;
  /** Standard base64. */
  data: string;
}

/** Body of POST /api/outbox. */
export interface ComposeRequest {
  account_id: string;
  from?: string;
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  text?: string;
  html?: string;
  attachments?: AttachmentInput[];
  reply_to_message_id?: string;
  reply_all?: boolean;
  quote?: boolean;
  forward_of?: string;
  forward_as?: 'inline' | 'attachment';
  thread_id?: string;
  lead_id?: string;
  draft_id?: string;
}

export type OutboxState = 'queued' | 'sending' | 'sent' | 'failed';

export interface OutboxItem {
  id: string;
  account_id: string;
  message_id: string;
  envelope: { from: string; rcpts: string[] };
  bcc?: string[];
  subject: string;
  size: number;
  thread_id?: string;
  lead_id?: string;
  reply_to_id?: string;
  forward_of?: string;
  draft_id?: string;
  state: OutboxState;
  phase?: string;
  attempts: number;
  next_attempt?: string;
  last_error?: string;
  created_at: string;
  updated_at: string;
  sent_at?: string;
}

/** Data of an `outbox.updated` event. */
export interface OutboxUpdate {
  id: string;
  state?: OutboxState;
  attempts?: number;
  last_error?: string;
  message_id?: string;
  thread_id?: string;
  deleted?: boolean;
}

export interface Template {
  id: string;
  kind: 'template' | 'snippet';
  name: string;
  subject?: string;
  body: string;
  intent?: string;
  created_at: string;
  updated_at: string;
}

export interface TemplateInput {
  kind: 'template' | 'snippet';
  name: string;
  subject?: string;
  body: string;
  intent?: string;
}

export interface Rendered {
  subject?: string;
  body: string;
  missing: string[];
}

export interface Suggestion {
  text: string;
  intent?: string;
  source: string;
  template_id?: string;
  model?: string;
  missing: string[];
  fallback?: string;
}

export interface LlmSettings {
  base_url: string;
  model: string;
  has_api_key: boolean;
  timeout_seconds?: number;
  enabled: boolean;
  local: boolean;
}

export interface LlmSettingsUpdate {
  base_url: string;
  model: string;
  /** Absent keeps the stored key, '' removes it. */
  api_key?: string;
  timeout_seconds?: number;
}

export type Security = 'tls' | 'starttls' | 'none';

export interface ServerSettings {
  host: string;
  port: number;
  security: Security;
  username?: string;
}

export interface Preset {
  id: string;
  name: string;
  imap: ServerSettings;
  smtp: ServerSettings;
  note: string;
}

export interface MailAccount {
  id: string;
  name: string;
  email: string;
  identities: string[];
  imap: ServerSettings;
  smtp: ServerSettings;
  insecure?: boolean;
  sync_days: number;
  preset?: string;
  disabled?: boolean;
  status?: { state?: string; error?: string; [k: string]: unknown };
}

/** Body of POST/PUT /api/accounts and the connection tests. */
export interface AccountForm {
  name: string;
  email: string;
  identities?: string[];
  imap: ServerSettings;
  smtp: ServerSettings;
  insecure?: boolean;
  preset?: string;
  sync_days?: number;
  password?: string;
  smtp_password?: string;
}

export interface SecretStorage {
  name: string;
  insecure: boolean;
  path?: string;
  warning?: string;
}

export interface AccountList {
  accounts: MailAccount[] | null;
  secret_storage?: SecretStorage;
}

export interface TestStep {
  server: string;
  stage: string;
  ok: boolean;
  detail?: string;
  ms: number;
}

export interface ConnectionTest {
  ok: boolean;
  steps: TestStep[];
  failure?: TestStep;
  capabilities?: string[];
  warnings?: string[];
}

/** True for a host that never leaves this machine. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

/** Warning for a server that would carry the password in clear text, or ''. */
export function plaintextWarning(server: ServerSettings): string {
  if (server.security !== 'none' || !server.host.trim() || isLoopback(server.host)) return '';
  return `${server.host} is set to no encryption: your password and mail travel in clear text over the network.`;
}

// A deliberately loose check: the server validates for real; this only
// catches typos while the user types.
const emailRe = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$|^[^\s@<>,;"]+@localhost$/i;

export function isEmail(s: string): boolean {
  return emailRe.test(s.trim());
}

/**
 * Splits typed recipients into addresses. Accepts commas, semicolons, new
 * lines and `Name <addr>` forms; quoted names may contain commas.
 */
export function parseRecipients(input: string): { valid: string[]; invalid: string[] } {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = false;
  for (const ch of input) {
    if (ch === '"') quoted = !quoted;
    else if (ch === '<' && !quoted) angle = true;
    else if (ch === '>' && !quoted) angle = false;
    if (!quoted && !angle && (ch === ',' || ch === ';' || ch === '\n')) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) continue;
    const m = /<([^<>]*)>\s*$/.exec(p);
    const addr = (m ? m[1]! : p).trim();
    if (isEmail(addr)) {
      if (!valid.some((v) => v.toLowerCase() === addr.toLowerCase())) valid.push(addr);
    } else invalid.push(p);
  }
  return { valid, invalid };
}

function addrOf(p: Person): string {
  return p.addr.trim();
}

/**
 * Who a reply goes to: the sender of `m` (or, for a message we sent, its
 * recipients); reply-all adds everyone else on To and Cc except our own
 * addresses. The backend computes the same when To is left empty; the
 * composer shows it so the user can edit it.
 */
export function replyRecipients(m: Message, mine: string[], all: boolean): { to: string[]; cc: string[] } {
  const me = new Set(mine.map((a) => a.toLowerCase()));
  const seen = new Set<string>();
  const take = (list: Person[]) => {
    const out: string[] = [];
    for (const p of list) {
      const a = addrOf(p);
      const k = a.toLowerCase();
      if (!a || me.has(k) || seen.has(k)) continue;
      seen.add(k);
      out.push(a);
    }
    return out;
  };
  const fromMe = me.has(m.from.addr.toLowerCase()) || m.direction === 'outbound';
  const to = fromMe ? take(m.to) : take([m.from]);
  if (!all) return { to, cc: [] };
  const cc = fromMe ? take(m.cc) : take([...m.to, ...m.cc]);
  return { to, cc };
}

/** "Re: subject", without stacking prefixes. */
export function replySubject(subject: string): string {
  const s = subject.trim();
  return /^(re|aw|sv)\s*:/i.test(s) ? s : `Re: ${s}`;
}

export function forwardSubject(subject: string): string {
  const s = subject.trim();
  return /^(fwd?|wg)\s*:/i.test(s) ? s : `Fwd: ${s}`;
}

/** The original as `> ` quoted text under an attribution line. */
export function quoteOriginal(m: Message): string {
  const who = m.from.name ? `${m.from.name} <${m.from.addr}>` : m.from.addr;
  const when = new Date(m.date).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const body = m.text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`))
    .join('\n');
  return `On ${when}, ${who} wrote:\n${body}`;
}

const varRe = /\{\{|\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g;

/**
 * Fills {variables} like the backend's templates.Render: unknown or empty
 * ones stay in the text as {name} and are listed in `missing`; "{{" is "{".
 */
export function fillVariables(text: string, vars: Record<string, string>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(varRe, (m: string, name: string | undefined) => {
    if (m === '{{') return '{';
    const v = vars[name!];
    if (v) return v;
    if (!missing.includes(name!)) missing.push(name!);
    return m;
  });
  return { text: out, missing };
}

function splitName(name: string): [string, string] {
  const n = name.trim();
  const comma = n.indexOf(',');
  if (comma > 0) return [n.slice(comma + 1).trim(), n.slice(0, comma).trim()];
  const f = n.split(/\s+/).filter(Boolean);
  return [f[0] ?? '', f.slice(1).join(' ')];
}

/** The standard template variables for a lead and the sending identity. */
export function leadVariables(
  lead: Pick<Lead, 'name' | 'email' | 'company'> | null,
  me: { name?: string; email?: string } = {},
): Record<string, string> {
  const [first, last] = splitName(lead?.name ?? '');
  const [myFirst] = splitName(me.name ?? '');
  return {
    first_name: first,
    last_name: last,
    name: (lead?.name ?? '').trim(),
    company: lead?.company ?? '',
    email: lead?.email ?? '',
    my_name: (me.name ?? '').trim(),
    my_first_name: myFirst,
    my_email: me.email ?? '',
  };
}

/** Message for attachments over the limit, or '' when they fit. */
export function attachmentSizeError(sizes: number[], limit = MAX_ATTACHMENT_BYTES): string {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= limit) return '';
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);
  return `Attachments come to ${mb(total)} MB; the limit is ${mb(limit)} MB per message.`;
}

/** Standard base64 of bytes, in chunks so large files do not blow the stack. */
export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** Applies an `outbox.updated` event to a list; unknown ids ask for a reload (returns null). */
export function applyOutboxUpdate(items: OutboxItem[], u: OutboxUpdate): OutboxItem[] | null {
  if (u.deleted) return items.filter((i) => i.id !== u.id);
  const i = items.findIndex((x) => x.id === u.id);
  if (i < 0) return null;
  const old = items[i]!;
  const next: OutboxItem = {
    ...old,
    state: u.state ?? old.state,
    attempts: u.attempts ?? old.attempts,
    last_error: u.state === 'sent' ? undefined : (u.last_error ?? old.last_error),
    thread_id: u.thread_id || old.thread_id,
  };
  return [...items.slice(0, i), next, ...items.slice(i + 1)];
}

export const outboxStateLabel: Record<OutboxState, string> = {
  queued: 'Queued',
  sending: 'Sending…',
  sent: 'Sent',
  failed: 'Failed',
};

/** A fresh id making a submit idempotent when the user double-clicks Send. */
export function newDraftId(): string {
  const r = globalThis.crypto?.randomUUID?.();
  return r ?? `d${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}
