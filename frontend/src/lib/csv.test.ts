import { describe, expect, it } from 'vitest';
import { csvField, fetchAllPages, toCsv } from './csv';
import { csvColumns } from './leadColumns';
import type { Lead } from './types';

describe('csv', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
    expect(csvField(-5)).toBe('-5');
  });

  it('defuses spreadsheet formulas in text', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('@cmd')).toBe("'@cmd");
  });

  it('writes a header and CRLF rows', () => {
    const out = toCsv([{ a: 'x', b: 1 }], [
      { label: 'A', value: (r) => r.a },
      { label: 'B', value: (r) => r.b },
    ]);
    expect(out).toBe('A,B\r\nx,1\r\n');
  });

  it('fetchAllPages follows cursors to the end', async () => {
    const pages: Record<string, { items: number[]; next_cursor: string }> = {
      '': { items: [1, 2], next_cursor: 'c1' },
      c1: { items: [3], next_cursor: 'c2' },
      c2: { items: [4], next_cursor: '' },
    };
    const seen: string[] = [];
    const all = await fetchAllPages(async (c) => {
      seen.push(c);
      return pages[c]!;
    });
    expect(all).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual(['', 'c1', 'c2']);
  });

  it('exports the visible lead columns with stage names and ISO dates', () => {
    const lead = {
      id: '1',
      pipeline_id: 'p',
      stage_id: 's2',
      name: 'Ann, Jr.',
      email: 'ann@x.test',
      company: 'Acme',
      value: 1200,
      tags: ['vip', 'eu'],
      created_at: '2026-11-01T10:00:00Z',
    } as unknown as Lead;
    const pipelines = [{ id: 'p', stages: [{ id: 's2', name: 'Proposal' }] }] as never;
    const csv = toCsv([lead], csvColumns(['name', 'stage', 'value', 'tags', 'created'], { pipelines }));
    expect(csv).toBe('Name,Stage,Value,Tags,Created\r\n"Ann, Jr.",Proposal,1200,"vip, eu",2026-11-01T10:00:00Z\r\n');
  });
});
