import { describe, expect, it } from 'vitest';
import {
  captureLine,
  categoryLabel,
  effectSign,
  framedHTML,
  ownAddresses,
  scorePercent,
  toSignal,
  toThreadDetail,
  toThreadSummary,
  topReasons,
} from './mail';

describe('mail shapes', () => {
  it('reads the mail sync’s thread view (fields at the top, from as a list, unread as a count)', () => {
    const d = toThreadDetail({
      id: 't1',
      subject: 'Hello',
      participants: [{ name: 'Ann', address: 'ann@x.test' }],
      message_count: 2,
      unread: 1,
      last_date: '2026-11-20T10:00:00Z',
      last_direction: 'inbound',
      messages: [
        {
          id: 'm1',
          from: [{ name: 'Ann', address: 'ann@x.test' }],
          to: [{ address: 'me@y.test' }],
          date: '2026-11-20T10:00:00Z',
          subject: 'Hello',
          text: 'hi',
          direction: 'inbound',
          attachments: [{ filename: 'a.pdf', content_type: 'application/pdf', size: 10 }],
        },
      ],
    });
    expect(d.thread).toMatchObject({ id: 't1', unread: true, last_message_at: '2026-11-20T10:00:00Z', snippet: '' });
    expect(d.thread.participants).toEqual([{ name: 'Ann', addr: 'ann@x.test' }]);
    expect(d.messages[0]).toMatchObject({ from: { name: 'Ann', addr: 'ann@x.test' }, to: [{ name: '', addr: 'me@y.test' }], cc: [] });
    expect(d.messages[0]!.attachments).toEqual([{ name: 'a.pdf', size: 10 }]);
  });

  it('reads the first announced shape too', () => {
    const d = toThreadDetail({
      thread: { id: 't2', subject: 's', participants: [{ name: 'B', addr: 'b@x.test' }], last_message_at: 'x', unread: false },
      messages: [{ id: 'm', from: { name: 'B', addr: 'b@x.test' }, direction: 'outbound', attachments: [{ name: 'n', size: 1 }] }],
    });
    expect(d.thread.id).toBe('t2');
    expect(d.thread.unread).toBe(false);
    expect(d.messages[0]).toMatchObject({ from: { addr: 'b@x.test' }, direction: 'outbound', attachments: [{ name: 'n', size: 1 }] });
  });

  it('defaults what is missing', () => {
    expect(toThreadSummary({})).toMatchObject({ id: '', participants: [], unread: false, message_count: 0, last_direction: 'inbound' });
  });

  it('own addresses include identities, lower-cased', () => {
    expect([...ownAddresses([{ email: 'Me@Y.test', identities: ['me@y.test', 'Sales@Y.test'] }])].sort()).toEqual([
      'me@y.test',
      'sales@y.test',
    ]);
    expect(ownAddresses(null).size).toBe(0);
  });
});

describe('signals', () => {
  const wire = {
    thread_id: 't9',
    subject: 'Website inquiry',
    from: { name: 'Site', addr: 'noreply@site.test' },
    prospect: { name: 'Vera Visitor', addr: 'vera@visitor.test' },
    score: 0.912,
    label: 'lead',
    category: 'hot_lead',
    reasons: [
      { text: 'demo', effect: 0.6 },
      { text: 'List-Unsubscribe header', effect: -1.5 },
      { text: 'pricing', effect: 1.1 },
      { text: 'hello', effect: 0.1 },
    ],
    received_at: '2026-11-20T10:00:00Z',
    message_count: 2,
  };

  it('reads the capture service’s shape: reasons are words with an effect', () => {
    const s = toSignal(wire);
    expect(s.prospect).toEqual({ name: 'Vera Visitor', addr: 'vera@visitor.test' });
    expect(s.reasons[1]).toEqual({ text: 'List-Unsubscribe header', effect: -1.5 });
    expect(s.message_count).toBe(2);
    expect(topReasons(s.reasons).map((r) => r.text)).toEqual(['List-Unsubscribe header', 'pricing', 'demo']);
    expect(s.reasons.map((r) => effectSign(r.effect))).toEqual(['+', '−', '+', '+']);
    expect(effectSign(0)).toBe('');
  });

  it('falls back to the sender as prospect and keeps bare-string reasons as neutral', () => {
    const s = toSignal({ thread_id: 'x', from: { name: 'A', address: 'a@x.test' }, reasons: ['quote', '', 3] });
    expect(s.prospect).toEqual({ name: 'A', addr: 'a@x.test' });
    expect(s.reasons).toEqual([{ text: 'quote', effect: 0 }]);
    expect(s.category).toBe('other');
  });

  it('shows score and category in words', () => {
    expect(scorePercent(0.912)).toBe(91);
    expect(scorePercent(87)).toBe(87);
    expect(scorePercent(-0.2)).toBe(0);
    expect(scorePercent(140)).toBe(100);
    expect(categoryLabel('hot_lead')).toBe('Inquiry');
    expect(categoryLabel('brand_new_kind')).toBe('brand new kind');
  });

  it('says what the capture job is doing', () => {
    expect(captureLine(null)).toBe('');
    expect(captureLine({ state: 'running', pending: 12, processed: 0, signals: 0 })).toBe('Scanning 12 new messages…');
    expect(captureLine({ state: 'running', pending: 1, processed: 0, signals: 0 })).toBe('Scanning 1 new message…');
    expect(captureLine({ state: 'idle', pending: 0, processed: 5, signals: 1 })).toBe('');
    expect(captureLine({ state: 'idle', pending: 0, processed: 5, signals: 1, last_error: 'disk full' })).toContain('disk full');
  });
});

describe('framedHTML', () => {
  it('puts the app font before the message and keeps the message as is', () => {
    const doc = framedHTML('<p>Hi <b>there</b></p>');
    expect(doc.startsWith('<!doctype html>')).toBe(true);
    expect(doc).toContain('font:14px');
    expect(doc.endsWith('<p>Hi <b>there</b></p>')).toBe(true);
  });
});
