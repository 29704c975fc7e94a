// Shapes of GET /api/search and /api/search/counts, and how the global
// search box presents them.

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

export interface SearchCounts {
  kinds: Partial<Record<'mail' | 'lead', number>>;
  folders: { account: string; folder: string; count: number }[] | null;
  stages: { stage: string; name: string; count: number }[] | null;
}

export interface SearchResult {
  /** How many match; only a lower bound unless total_exact. */
  total: number;
  total_exact: boolean;
  /** The order used: a query of filters only comes newest first. */
  sort: 'relevance' | 'date';
  hits: SearchHit[] | null;
  /** Only when asked for with counts=true. */
  counts?: SearchCounts;
  next_cursor?: string;
}

export interface SearchGroup {
  kind: 'mail' | 'lead';
  label: string;
  /** Every match of that kind, not only the ones shown. */
  count: number;
  /** False while count is only "at least". */
  countExact: boolean;
  hits: SearchHit[];
}

/**
 * Groups hits as the results panel shows them: Mail first, then Leads, each
 * from its own search, with its total from the counts when they have come,
 * else from the search itself. Empty groups are left out.
 */
export function groupResults(
  parts: Partial<Record<'mail' | 'lead', SearchResult>>,
  counts?: SearchCounts,
): SearchGroup[] {
  const groups: SearchGroup[] = [];
  for (const [kind, label] of [
    ['mail', 'Mail'],
    ['lead', 'Leads'],
  ] as const) {
    const res = parts[kind];
    const mine = (res?.hits ?? []).filter((h) => h.kind === kind);
    let count = res?.total ?? mine.length;
    let countExact = res?.total_exact ?? false;
    const counted = counts?.kinds?.[kind];
    if (counted !== undefined) {
      count = counted;
      countExact = true;
    }
    if (mine.length === 0 && count === 0) continue;
    groups.push({ kind, label, count: Math.max(count, mine.length), countExact, hits: mine });
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
