// The mail API as the UI uses it. Two shapes are accepted: the one first
// announced ({thread, messages}, from: {name, addr}) and the one the mail
// sync serves (thread fields at the top level, from: [{name, address}],
// unread as a count, last_date). Everything is normalised here so pages see
// one shape whichever lands.

import type { CaptureStatus, Message, Person, Signal, SignalReason, ThreadDetail, ThreadSummary } from './types';

type Raw = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function toPerson(v: unknown): Person {
  const p = (v && typeof v === 'object' ? v : {}) as Raw;
  return { name: str(p.name), addr: str(p.addr) || str(p.address) };
}

function firstPerson(v: unknown): Person {
  return Array.isArray(v) ? toPerson(v[0]) : toPerson(v);
}

export function toThreadSummary(v: unknown): ThreadSummary {
  const t = (v ?? {}) as Raw;
  const unread = t.unread;
  return {
    id: str(t.id),
    subject: str(t.subject),
    participants: arr(t.participants).map(toPerson),
    last_message_at: str(t.last_message_at) || str(t.last_date),
    last_direction: t.last_direction === 'outbound' ? 'outbound' : 'inbound',
    unread: typeof unread === 'number' ? unread > 0 : unread === true,
    message_count: typeof t.message_count === 'number' ? t.message_count : 0,
    snippet: str(t.snippet),
  };
}

export function toMessage(v: unknown): Message {
  const m = (v ?? {}) as Raw;
  return {
    id: str(m.id),
    from: firstPerson(m.from),
    to: arr(m.to).map(toPerson),
    cc: arr(m.cc).map(toPerson),
    date: str(m.date),
    subject: str(m.subject),
    text: str(m.text),
    html: str(m.html),
    direction: m.direction === 'outbound' ? 'outbound' : 'inbound',
    attachments: arr(m.attachments).map((a) => {
      const x = (a ?? {}) as Raw;
      return { name: str(x.name) || str(x.filename), size: typeof x.size === 'number' ? x.size : 0 };
    }),
  };
}

export function toThreadDetail(v: unknown): ThreadDetail {
  const d = (v ?? {}) as Raw;
  return {
    thread: toThreadSummary(d.thread && typeof d.thread === 'object' ? d.thread : d),
    messages: arr(d.messages).map(toMessage),
  };
}

/** Addresses that are the user's own: account addresses and identities. */
export function ownAddresses(accounts: { email?: string; identities?: unknown }[] | null): Set<string> {
  const out = new Set<string>();
  for (const a of accounts ?? []) {
    if (a.email) out.add(a.email.toLowerCase());
    for (const i of arr(a.identities)) if (typeof i === 'string') out.add(i.toLowerCase());
  }
  return out;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A reason as lead capture sends it ({text, effect}); a bare string counts as a neutral reason. */
export function toReason(v: unknown): SignalReason {
  if (typeof v === 'string') return { text: v, effect: 0 };
  const r = (v ?? {}) as Raw;
  return { text: str(r.text), effect: num(r.effect) };
}

/** A signal from GET /api/signals, with every field present. */
export function toSignal(v: unknown): Signal {
  const s = (v ?? {}) as Raw;
  const from = toPerson(s.from);
  const prospect = toPerson(s.prospect);
  return {
    thread_id: str(s.thread_id),
    subject: str(s.subject),
    from,
    prospect: prospect.addr ? prospect : from,
    score: num(s.score),
    label: str(s.label) || 'lead',
    category: str(s.category) || 'other',
    reasons: arr(s.reasons)
      .map(toReason)
      .filter((r) => r.text !== ''),
    received_at: str(s.received_at),
    message_count: num(s.message_count),
  };
}

export function toCaptureStatus(v: unknown): CaptureStatus {
  const c = (v ?? {}) as Raw;
  const out: CaptureStatus = { state: str(c.state), pending: num(c.pending), processed: num(c.processed), signals: num(c.signals) };
  if (str(c.last_error)) out.last_error = str(c.last_error);
  if (str(c.last_error_at)) out.last_error_at = str(c.last_error_at);
  if (str(c.last_run_at)) out.last_run_at = str(c.last_run_at);
  return out;
}

const categoryNames: Record<string, string> = {
  hot_lead: 'Inquiry',
  customer: 'Customer',
  vendor_pitch: 'Vendor pitch',
  newsletter: 'Newsletter',
  notification: 'Notification',
  personal: 'Personal',
  other: 'Other',
};

/** The category in words, for the chip on a signal. */
export function categoryLabel(c: string): string {
  return categoryNames[c] ?? c.replace(/_/g, ' ');
}

/** The reasons that matter most, strongest first, at most n. */
export function topReasons(reasons: SignalReason[], n = 3): SignalReason[] {
  return [...reasons].sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect)).slice(0, n);
}

/** "+" for a reason toward a lead, "−" against, "" for a neutral one. */
export function effectSign(effect: number): '+' | '−' | '' {
  return effect > 0 ? '+' : effect < 0 ? '−' : '';
}

/** A score (0..1, or already a percentage) as a whole percentage. */
export function scorePercent(score: number): number {
  const p = score <= 1 ? score * 100 : score;
  return Math.max(0, Math.min(100, Math.round(p)));
}

/** What the capture job is doing, in a few words, or '' when there is nothing to say. */
export function captureLine(c: CaptureStatus | null): string {
  if (!c) return '';
  if (c.pending > 0) return `Scanning ${c.pending} new message${c.pending === 1 ? '' : 's'}…`;
  if (c.last_error) return 'Lead capture paused: ' + c.last_error;
  return '';
}

/**
 * A sanitized message body as an iframe document: the app's font and a
 * width limit for images, since the frame inherits nothing from the page.
 * The body's own styles still win.
 */
export function framedHTML(html: string): string {
  return (
    '<!doctype html><meta charset="utf-8"><style>body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;' +
    'color:#1f2328;margin:4px 8px;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style>' +
    html
  );
}
