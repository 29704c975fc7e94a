// Shapes of GET /api/search and how the global search box presents them.

export type SearchKind = 'all' | 'mail' | 'leads';

export interface SearchHit {
  kind: 'mail' | 'lead';
  id: string;
  thread_id?: string;
  title: string;
  /** Escaped HTML with matched words in <mark>. */
  title_html: string;
  /** Escaped HTML with matched words in <mark>. */
  snippet: string;
  score: number;
  date: string;
  place?: string;
}

export interface SearchResult {
  total: number;
  hits: SearchHit[] | null;
  counts?: {
    kinds: Partial<Record<'mail' | 'lead', number>>;
    folders: { account: string; folder: string; count: number }[] | null;
    stages: { stage: string; name: string; count: number }[] | null;
  };
  next_cursor?: string;
}

export interface SearchGroup {
  kind: 'mail' | 'lead';
  label: string;
  /** Every match of that kind, not only the ones shown. */
  count: number;
  hits: SearchHit[];
}

/**
 * Groups hits as the results panel shows them: Mail first, then Leads, each
 * with its total from the counts (or the hits shown when the page has no
 * counts). Empty groups are left out.
 */
export function groupResults(res: SearchResult): SearchGroup[] {
  const hits = res.hits ?? [];
  const groups: SearchGroup[] = [];
  for (const [kind, label] of [
    ['mail', 'Mail'],
    ['lead', 'Leads'],
  ] as const) {
    const mine = hits.filter((h) => h.kind === kind);
    const count = res.counts?.kinds?.[kind] ?? mine.length;
    if (mine.length === 0 && count === 0) continue;
    groups.push({ kind, label, count: Math.max(count, mine.length), hits: mine });
  }
  return groups;
}

/**
 * Makes the API's highlighted text safe for {@html}: the API escapes text
 * and adds only <mark>, but this does not rely on it — any "<" that does
 * not open or close a bare <mark> is escaped, so no other element or
 * attribute can appear.
 */
export function safeMarks(html: string): string {
  const escaped = html.replace(/<(?!\/?mark>)/gi, '&lt;');
  // Close marks left open so highlighting never bleeds into later rows.
  const opens = (escaped.match(/<mark>/gi) ?? []).length;
  const closes = (escaped.match(/<\/mark>/gi) ?? []).length;
  return opens > closes ? escaped + '</mark>'.repeat(opens - closes) : escaped;
}

/** Where a hit opens: the thread in the Inbox or the lead's page. */
export function hitHref(h: SearchHit): string {
  if (h.kind === 'lead') return `#/leads/${encodeURIComponent(h.id)}`;
  return `#/inbox/thread/${encodeURIComponent(h.thread_id || h.id)}`;
}
