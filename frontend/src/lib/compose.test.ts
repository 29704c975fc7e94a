import { describe, expect, it } from 'vitest';
import {
  applyOutboxUpdate,
  attachmentSizeError,
  fillVariables,
  forwardSubject,
  leadVariables,
  parseRecipients,
  plaintextWarning,
  quoteOriginal,
  replyRecipients,
  replySubject,
  toBase64,
  type OutboxItem,
} from './compose';
import type { Message } from './types';

function msg(over: Partial<Message>): Message {
  return {
    id: 'm1',
    from: { name: 'Ana', addr: 'ana@acme.test' },
    to: [{ name: 'Me', addr: 'me@mine.test' }, { name: '', addr: 'bob@acme.test' }],
    cc: [{ name: '', addr: 'carol@acme.test' }, { name: '', addr: 'ME@mine.test' }],
    date: '2026-03-01T10:00:00Z',
    subject: 'Pricing',
    text: 'Hello\n> earlier\nthanks',
    html: '',
    direction: 'inbound',
    attachments: [],
    ...over,
  };
}

describe('parseRecipients', () => {
  it('splits on commas, semicolons and new lines and keeps Name <addr> whole', () => {
    const r = parseRecipients('"Doe, Jane" <jane@x.test>; bob@y.test,\ncarol@z.test');
    expect(r.valid).toEqual(['jane@x.test', 'bob@y.test', 'carol@z.test']);
    expect(r.invalid).toEqual([]);
  });
  it('reports what is not an address and drops duplicates', () => {
    const r = parseRecipients('bob@y.test, not-an-address, BOB@y.test, , a@b');
    expect(r.valid).toEqual(['bob@y.test']);
    expect(r.invalid).toEqual(['not-an-address', 'a@b']);
  });
  it('accepts localhost addresses for local test servers', () => {
    expect(parseRecipients('test@localhost').valid).toEqual(['test@localhost']);
  });
});

describe('replyRecipients', () => {
  it('replies to the sender only', () => {
    expect(replyRecipients(msg({}), ['me@mine.test'], false)).toEqual({ to: ['ana@acme.test'], cc: [] });
  });
  it('reply-all adds To and Cc without my own addresses, in any case', () => {
    expect(replyRecipients(msg({}), ['me@mine.test'], true)).toEqual({
      to: ['ana@acme.test'],
      cc: ['bob@acme.test', 'carol@acme.test'],
    });
  });
  it('replying to my own message goes to its recipients again', () => {
    const m = msg({ from: { name: 'Me', addr: 'me@mine.test' }, direction: 'outbound', to: [{ name: '', addr: 'ana@acme.test' }], cc: [] });
    expect(replyRecipients(m, ['me@mine.test'], true)).toEqual({ to: ['ana@acme.test'], cc: [] });
  });
});

describe('subjects and quoting', () => {
  it('does not stack prefixes', () => {
    expect(replySubject('Pricing')).toBe('Re: Pricing');
    expect(replySubject('RE: Pricing')).toBe('RE: Pricing');
    expect(forwardSubject('Pricing')).toBe('Fwd: Pricing');
    expect(forwardSubject('Fw: Pricing')).toBe('Fw: Pricing');
  });
  it('quotes every line under an attribution', () => {
    const q = quoteOriginal(msg({}));
    expect(q.split('\n').slice(1)).toEqual(['> Hello', '>> earlier', '> thanks']);
    expect(q).toMatch(/^On .*Ana <ana@acme.test> wrote:/);
  });
});

describe('fillVariables', () => {
  const vars = leadVariables({ name: 'Jane Doe', email: 'jane@acme.test', company: '' }, { name: 'Sam Seller' });
  it('fills known variables and lists the missing ones once', () => {
    const r = fillVariables('Hi {first_name}, how is {company}? {company} {unknown} {{literal}', vars);
    expect(r.text).toBe('Hi Jane, how is {company}? {company} {unknown} {literal}');
    expect(r.missing).toEqual(['company', 'unknown']);
  });
  it('builds names like the backend, including "Last, First"', () => {
    expect(leadVariables({ name: 'Doe, Jane', email: '', company: 'Acme' })).toMatchObject({
      first_name: 'Jane',
      last_name: 'Doe',
      company: 'Acme',
    });
    expect(vars.my_first_name).toBe('Sam');
  });
});

describe('attachments', () => {
  it('checks the total size', () => {
    expect(attachmentSizeError([10, 20], 30)).toBe('');
    expect(attachmentSizeError([10 * 1024 * 1024, 20 * 1024 * 1024])).toMatch(/30\.0 MB; the limit is 25\.0 MB/);
  });
  it('encodes base64 like btoa does for binary data', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255, 65]);
    expect(toBase64(bytes)).toBe('AAEC+v9B');
    // Larger than one chunk: decoding gives the bytes back.
    const big = new Uint8Array(100_000).map((_, i) => i % 256);
    const back = Uint8Array.from(atob(toBase64(big)), (c) => c.charCodeAt(0));
    expect(back).toEqual(big);
  });
});

describe('plaintextWarning', () => {
  it('warns for a remote host without encryption only', () => {
    expect(plaintextWarning({ host: 'mail.example.com', port: 143, security: 'none' })).toMatch(/clear text/);
    expect(plaintextWarning({ host: '127.0.0.1', port: 143, security: 'none' })).toBe('');
    expect(plaintextWarning({ host: 'mail.example.com', port: 993, security: 'tls' })).toBe('');
  });
});

describe('applyOutboxUpdate', () => {
  const item = { id: 'o1', state: 'queued', attempts: 0, last_error: '' } as unknown as OutboxItem;
  it('moves an item through its states and clears the error once sent', () => {
    const failed = applyOutboxUpdate([item], { id: 'o1', state: 'failed', attempts: 1, last_error: 'refused' })!;
    expect(failed[0]).toMatchObject({ state: 'failed', attempts: 1, last_error: 'refused' });
    const sent = applyOutboxUpdate(failed, { id: 'o1', state: 'sent', attempts: 2 })!;
    expect(sent[0]).toMatchObject({ state: 'sent', attempts: 2, last_error: undefined });
  });
  it('asks for a reload for an unknown item and drops deleted ones', () => {
    expect(applyOutboxUpdate([item], { id: 'other', state: 'sent' })).toBeNull();
    expect(applyOutboxUpdate([item], { id: 'o1', deleted: true })).toEqual([]);
  });
});
