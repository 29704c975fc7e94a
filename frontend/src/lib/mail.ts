// The mail API as the UI uses it. Two shapes are accepted: the one first
// announced ({thread, messages}, from: {name, addr}) and the one the mail
// sync serves (thread fields at the top level, from: [{name, address}],
// unread as a count, last_date). Everything is normalised here so pages see
// one shape whichever lands.

import type { Message, Person, ThreadDetail, ThreadSummary } from './types';

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
