import { describe, expect, it } from 'vitest';
import { dayLabel, groupConversation, highlight, messageMatches } from './conversation';
import type { Message } from './types';

function msg(id: string, addr: string, date: Date, text = 'hi'): Message {
  return {
    id,
    from: { name: addr.split('@')[0]!, addr },
    to: [],
    cc: [],
    date: date.toISOString(),
    subject: 'Re: pricing',
    text,
    html: '',
    direction: addr.startsWith('me') ? 'outbound' : 'inbound',
    attachments: [],
  };
}

const now = new Date(2026, 10, 21, 15, 0);

describe('groupConversation', () => {
  it('groups one sender within five minutes and splits on a gap, a new sender or a new day', () => {
    const t = (d: number, h: number, m: number) => new Date(2026, 10, d, h, m);
    const items = groupConversation(
      [
        msg('4', 'ann@x.test', t(21, 9, 20)), // 11 minutes after #3: new group
        msg('1', 'ann@x.test', t(20, 9, 0)),
        msg('2', 'ann@x.test', t(20, 9, 4)), // 4 min: same group
        msg('3', 'ann@x.test', t(21, 9, 9)), // next day: separator, new group
        msg('5', 'me@y.test', t(21, 9, 21)), // other sender
        msg('6', 'me@y.test', t(21, 9, 26)), // exactly 5 minutes: grouped
      ],
      now,
    );
    expect(items.map((i) => (i.kind === 'separator' ? i.label : i.messages.map((m) => m.id).join('+')))).toEqual([
      'Yesterday',
      '1+2',
      'Today',
      '3',
      '4',
      '5+6',
    ]);
  });

  it('labels older days with a date', () => {
    const label = dayLabel(new Date(2026, 10, 3, 12), now);
    expect(label).not.toBe('Today');
    expect(label).not.toBe('Yesterday');
    expect(label).toMatch(/3/);
    expect(dayLabel(new Date(2025, 0, 3), now)).toMatch(/2025/);
  });
});

describe('highlight', () => {
  it('marks every case-insensitive match and keeps the text intact', () => {
    const segs = highlight('Price and PRICEY', 'price');
    expect(segs).toEqual([
      { text: 'Price', match: true },
      { text: ' and ', match: false },
      { text: 'PRICE', match: true },
      { text: 'Y', match: false },
    ]);
    expect(segs.map((s) => s.text).join('')).toBe('Price and PRICEY');
  });

  it('returns the text as one segment without a query or a match', () => {
    expect(highlight('abc', '  ')).toEqual([{ text: 'abc', match: false }]);
    expect(highlight('abc', 'z')).toEqual([{ text: 'abc', match: false }]);
  });

  it('messageMatches looks at text, subject and sender', () => {
    const m = msg('1', 'ann@x.test', now, 'Can we talk about the budget?');
    expect(messageMatches(m, 'BUDGET')).toBe(true);
    expect(messageMatches(m, 'pricing')).toBe(true);
    expect(messageMatches(m, 'ann@')).toBe(true);
    expect(messageMatches(m, 'invoice')).toBe(false);
  });
});
