// Turns a thread's messages into what the Messages tab shows: date separators
// and runs of messages from one sender within five minutes grouped together,
// plus search highlighting.

import type { Message } from './types';

export const GROUP_WINDOW_MS = 5 * 60 * 1000;

export type ConversationItem =
  | { kind: 'separator'; key: string; label: string }
  | { kind: 'group'; key: string; from: Message['from']; direction: Message['direction']; messages: Message[] };

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** "Today", "Yesterday", or the date ("Mon, 3 Nov 2026") in local time. */
export function dayLabel(date: Date, now: Date = new Date()): string {
  const days = Math.round((startOfDay(now) - startOfDay(date)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return date.toLocaleDateString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: date.getFullYear() === now.getFullYear() ? undefined : 'numeric',
  });
}

/**
 * Sorts by date and groups consecutive messages from the same address sent
 * within GROUP_WINDOW_MS of the previous one on the same day; a new day
 * always starts with a separator.
 */
export function groupConversation(messages: Message[], now: Date = new Date()): ConversationItem[] {
  const sorted = [...messages].sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
  const out: ConversationItem[] = [];
  let day = -1;
  let group: Extract<ConversationItem, { kind: 'group' }> | null = null;
  let last = 0;
  for (const m of sorted) {
    const at = new Date(m.date);
    const d = startOfDay(at);
    if (d !== day) {
      day = d;
      group = null;
      out.push({ kind: 'separator', key: `day-${d}`, label: dayLabel(at, now) });
    }
    const same = group && group.from.addr.toLowerCase() === m.from.addr.toLowerCase();
    if (group && same && at.getTime() - last <= GROUP_WINDOW_MS) {
      group.messages.push(m);
    } else {
      group = { kind: 'group', key: `g-${m.id}`, from: m.from, direction: m.direction, messages: [m] };
      out.push(group);
    }
    last = at.getTime();
  }
  return out;
}

export interface Segment {
  text: string;
  match: boolean;
}

/** Splits text around case-insensitive matches of query, for <mark>ing them. */
export function highlight(text: string, query: string): Segment[] {
  const q = query.trim();
  if (!q) return [{ text, match: false }];
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  const out: Segment[] = [];
  let i = 0;
  for (;;) {
    const j = lower.indexOf(needle, i);
    if (j < 0) break;
    if (j > i) out.push({ text: text.slice(i, j), match: false });
    out.push({ text: text.slice(j, j + needle.length), match: true });
    i = j + needle.length;
  }
  if (i < text.length) out.push({ text: text.slice(i), match: false });
  return out.length ? out : [{ text, match: false }];
}

export function messageMatches(m: Message, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [m.text, m.subject, m.from.name, m.from.addr].join(' ').toLowerCase().includes(q);
}
