// Display formatting shared by every screen. Kept pure so it can be tested and
// so the same value reads the same way on the board, the list and the detail.

const moneyCache = new Map<string, Intl.NumberFormat>();

/** "€1,200" — whole units, the currency's symbol; a bad code falls back to "1,200 XYZ". */
export function money(value: number, currency = 'EUR'): string {
  const code = currency || 'EUR';
  let f = moneyCache.get(code);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency: code, maximumFractionDigits: 0 });
    } catch {
      f = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
    }
    moneyCache.set(code, f);
  }
  return f.format(value);
}

/** Compact money for column headers: "€12.4k". */
export function moneyShort(value: number, currency = 'EUR'): string {
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency: currency || 'EUR',
      notation: 'compact',
      maximumFractionDigits: 1,
    }).format(value);
  } catch {
    return String(Math.round(value));
  }
}

const DAY = 24 * 60 * 60 * 1000;

/** Whole days from `from` to `now`, never negative. */
export function daysSince(from: string | Date, now: Date = new Date()): number {
  const t = typeof from === 'string' ? Date.parse(from) : from.getTime();
  if (Number.isNaN(t)) return 0;
  return Math.max(0, Math.floor((now.getTime() - t) / DAY));
}

/** "just now", "5m ago", "3h ago", "2d ago", then a date. Future times read "in 3d". */
export function relativeTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = now.getTime() - t;
  const abs = Math.abs(diff);
  const future = diff < 0;
  const fmt = (n: number, unit: string) => (future ? `in ${n}${unit}` : `${n}${unit} ago`);
  if (abs < 60_000) return 'just now';
  if (abs < 3_600_000) return fmt(Math.floor(abs / 60_000), 'm');
  if (abs < DAY) return fmt(Math.floor(abs / 3_600_000), 'h');
  if (abs < 30 * DAY) return fmt(Math.floor(abs / DAY), 'd');
  return shortDate(iso);
}

export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "2h 5m", "3d 4h" for durations in milliseconds. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

export function initials(name: string, fallback = '?'): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return fallback;
  const first = parts[0]?.[0] ?? '';
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}

export const chipLabels = {
  waiting_for_reply: 'Waiting for reply',
  follow_up_today: 'Follow-up today',
  overdue: 'Overdue',
  rotting: 'Rotting',
} as const;

export const priorityLabels = { low: 'Low', medium: 'Medium', high: 'High' } as const;
