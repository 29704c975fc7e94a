import { describe, expect, it } from 'vitest';
import { ownAddresses, toThreadDetail, toThreadSummary } from './mail';

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
