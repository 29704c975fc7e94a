// The in-app badge on the Follow-ups nav item: how many follow-ups need
// attention now (overdue plus due today).

import type { FollowUp } from './types';

/** Counts open follow-ups due before the end of `now`'s local day. */
export function badgeCount(items: Pick<FollowUp, 'due_at' | 'state'>[], now: Date = new Date()): number {
  const end = new Date(now);
  end.setHours(23, 59, 59, 999);
  let n = 0;
  for (const f of items) {
    if (f.state === 'done' || f.state === 'cancelled') continue;
    const due = Date.parse(f.due_at);
    if (!Number.isNaN(due) && due <= end.getTime()) n++;
  }
  return n;
}

/** What the badge shows: nothing for 0, "99+" past 99. */
export function badgeLabel(n: number): string {
  if (n <= 0) return '';
  return n > 99 ? '99+' : String(n);
}

/** `YYYY-MM-DDTHH:mm` for a datetime-local input, in local time. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
