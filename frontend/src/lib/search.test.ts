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
  it('puts Mail before Leads with the totals from counts', () => {
    const g = groupResults({
      total: 5,
      hits: [hit('lead', 'l1'), hit('mail', 'm1'), hit('mail', 'm2')],
      counts: { kinds: { mail: 40, lead: 1 }, folders: [], stages: [] },
    });
    expect(g.map((x) => [x.label, x.count, x.hits.map((h) => h.id)])).toEqual([
      ['Mail', 40, ['m1', 'm2']],
      ['Leads', 1, ['l1']],
    ]);
  });
  it('leaves out empty kinds and copes without counts or hits', () => {
    expect(groupResults({ total: 1, hits: [hit('lead', 'l1')] }).map((x) => x.label)).toEqual(['Leads']);
    expect(groupResults({ total: 0, hits: null })).toEqual([]);
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
