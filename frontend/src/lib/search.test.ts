import { describe, expect, it } from 'vitest';
import { groupResults, hitHref, safeMarks, type SearchHit } from './search';

const hit = (kind: 'mail' | 'lead', id: string, extra: Partial<SearchHit> = {}): SearchHit => ({
  kind,
  id,
  title: id,
  title_html: id,
  snippet: '',
  score: 1,
  date: '2026-01-01T00:00:00Z',
  ...extra,
});

describe('groupResults', () => {
  const page = (hits: SearchHit[] | null, total: number, exact = true) => ({
    total,
    total_exact: exact,
    sort: 'date' as const,
    hits,
  });
  it('puts Mail before Leads with the totals from counts once they come', () => {
    const mail = page([hit('mail', 'm1'), hit('mail', 'm2')], 21, false);
    const lead = page([hit('lead', 'l1')], 1);
    expect(groupResults({ lead, mail }).map((x) => [x.label, x.count, x.countExact, x.hits.map((h) => h.id)])).toEqual([
      ['Mail', 21, false, ['m1', 'm2']],
      ['Leads', 1, true, ['l1']],
    ]);
    const counts = { kinds: { mail: 40, lead: 1 }, folders: [], stages: [] };
    expect(groupResults({ lead, mail }, counts).map((x) => [x.label, x.count, x.countExact])).toEqual([
      ['Mail', 40, true],
      ['Leads', 1, true],
    ]);
  });
  it('leaves out empty kinds and copes without hits', () => {
    expect(groupResults({ lead: page([hit('lead', 'l1')], 1), mail: page(null, 0) }).map((x) => x.label)).toEqual([
      'Leads',
    ]);
    expect(groupResults({ mail: page(null, 0) })).toEqual([]);
    expect(groupResults({})).toEqual([]);
  });
});

describe('safeMarks', () => {
  it('keeps <mark> and escapes every other tag', () => {
    expect(safeMarks('a <mark>b</mark> &amp; c')).toBe('a <mark>b</mark> &amp; c');
    expect(safeMarks('<img src=x onerror=alert(1)><mark>x</mark>')).toBe('&lt;img src=x onerror=alert(1)><mark>x</mark>');
    expect(safeMarks('<mark onclick="x">y</mark>')).toBe('&lt;mark onclick="x">y</mark>');
    expect(safeMarks('<script>1</script>')).toBe('&lt;script>1&lt;/script>');
  });
  it('closes a mark left open', () => {
    expect(safeMarks('<mark>open')).toBe('<mark>open</mark>');
  });
});

describe('hitHref', () => {
  it('opens the thread of a message and the page of a lead', () => {
    expect(hitHref(hit('mail', 'm1', { thread_id: 't/1' }))).toBe('#/inbox/thread/t%2F1');
    expect(hitHref(hit('lead', 'l1'))).toBe('#/leads/l1');
  });
});
