// The salesperson's loop in the browser against a real mail server: a
// lead's message arrives in Dovecot, Threadline syncs it, the user replies
// from the lead page, the reply goes out through Dovecot's submission
// service, shows in the thread, and a "no reply" follow-up appears.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureScreenshotDir, missingPrerequisite, openBrowser, startServer } from './harness.mjs';
import { deliverLMTP, missingDovecot, startDovecot } from './mailserver.mjs';
import { call } from './seed.mjs';

const missing = missingPrerequisite() ?? missingDovecot();
if (missing && (process.env.THREADLINE_E2E_REQUIRE || process.env.CI === 'true')) throw new Error(missing);

const WAIT = { timeout: 20_000 };

/** @template T @param {() => Promise<T | undefined | null | false>} fn @param {string} what @returns {Promise<T>} */
async function eventually(fn, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('reply from the lead page through Dovecot', { skip: missing ?? false, timeout: 90_000 }, () => {
  /** @type {Awaited<ReturnType<typeof startDovecot>>} */
  let mail;
  /** @type {import('./harness.mjs').Server} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {string[]} */
  const pageErrors = [];
  /** @param {string} method @param {string} path @param {unknown} [body] */
  const api = (method, path, body) => call(server, method, path, body);

  before(async () => {
    mail = await startDovecot();
    await deliverLMTP(
      mail.lmtp,
      'test@example.com',
      [
        'From: Olga Berg <olga@bergmann.test>',
        'To: Test <test@example.com>',
        'Subject: Pricing for 40 seats',
        'Date: ' + new Date(Date.now() - 3600e3).toUTCString(),
        'Message-ID: <olga-1@bergmann.test>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hello, could you send me your pricing for 40 seats?',
        'Olga',
      ].join('\n'),
    );
    server = await startServer();
    await api('POST', '/api/accounts', {
      name: 'Test',
      email: 'test@example.com',
      imap: { host: '127.0.0.1', port: mail.imap, security: 'none', username: 'test@example.com' },
      smtp: { host: '127.0.0.1', port: mail.submission, security: 'none', username: 'test@example.com' },
      password: 'test',
    });
    ({ browser, page } = await openBrowser(server, { viewport: { width: 1360, height: 900 }, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await mail?.stop();
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  test('reply from lead detail, see it in the thread, see the follow-up appear', async () => {
    const thread = await eventually(async () => {
      const r = await api('GET', '/api/threads?limit=10');
      return (r.threads ?? []).find((/** @type {any} */ t) => /Pricing for 40 seats/.test(t.subject));
    }, 'the synced thread');
    const lead = await api('POST', '/api/leads', { name: 'Olga Berg', email: 'olga@bergmann.test', company: 'Bergmann' });
    await api('POST', `/api/leads/${lead.id}/threads`, { thread_id: thread.id });

    await page.goto(`${server.baseURL}/#/leads/${lead.id}`);
    await page.getByRole('tab', { name: 'Messages' }).click();
    await page.getByText('could you send me your pricing').waitFor(WAIT);
    await page.getByRole('button', { name: 'Reply', exact: true }).first().click();
    const composer = page.locator('[data-testid="composer"]');
    await composer.locator('[data-testid="chip"]', { hasText: 'olga@bergmann.test' }).waitFor(WAIT);
    assert.equal(await composer.getByLabel('Subject').inputValue(), 'Re: Pricing for 40 seats');
    // A suggestion from the thread: the local heuristic, as no model is set up.
    await composer.getByRole('button', { name: 'Suggest reply' }).click();
    await composer.locator('[data-testid="suggestion-source"]', { hasText: 'local heuristic' }).waitFor(WAIT);
    assert.notEqual(await composer.locator('textarea').inputValue(), '');
    await composer.locator('textarea').fill('Hi Olga,\n\nFor 40 seats it is 12 EUR per seat and month.\n\nTest');
    await composer.getByRole('button', { name: 'Send' }).click();

    // The outbox shows it going out, then sent.
    await page.locator('[data-testid="outbox-item"][data-state="sent"]').waitFor(WAIT);
    // The reply is in the conversation, as our message.
    await page.locator('.group.outbound', { hasText: '12 EUR per seat' }).waitFor(WAIT);

    // It went out with threading headers, through Dovecot's submission service.
    const out = await eventually(async () => mail.relayed.find((m) => m.includes('12 EUR per seat')), 'the relayed message');
    assert.match(out, /^In-Reply-To: <olga-1@bergmann\.test>/m);
    assert.match(out, /^References: .*<olga-1@bergmann\.test>/m);

    // The pipeline's "follow up after send" created a no-reply follow-up.
    await page.getByRole('tab', { name: 'Follow-ups' }).click();
    const fu = await eventually(async () => {
      const list = await api('GET', `/api/leads/${lead.id}/followups`);
      return (list.items ?? []).find((/** @type {any} */ f) => f.kind === 'no_reply' && f.state === 'pending');
    }, 'the no-reply follow-up');
    assert.equal(fu.thread_id, thread.id);
    await page.locator('[data-testid="tabpanel-followups"]').getByText(/No reply|no reply/).first().waitFor(WAIT);
    await page.screenshot({ path: join(ensureScreenshotDir(), 'reply-followup.png') });

    // The Inbox's thread view has the reply too, with Reply / Reply all / Forward.
    await page.goto(`${server.baseURL}/#/inbox/thread/${encodeURIComponent(thread.id)}`);
    await page.locator('.msg.outbound', { hasText: '12 EUR per seat' }).waitFor(WAIT);
    await page.locator('.msg').first().getByRole('button', { name: 'Reply all' }).click();
    await page.locator('[data-testid="composer"]').waitFor(WAIT);
    await page.screenshot({ path: join(ensureScreenshotDir(), 'inbox-reply.png') });

    // Mail is searchable from the shell too; the hit opens its thread.
    await eventually(async () => {
      const r = await api('GET', '/api/search?q=seats&kind=mail');
      return (r.hits ?? []).length > 0;
    }, 'the synced mail in the search index');
    await page.locator('#global-search').fill('seats');
    const mailGroup = page.locator('[data-testid="search-group-mail"]');
    await mailGroup.waitFor(WAIT);
    assert.match(await mailGroup.locator('h3').innerText(), /Mail\s*\d+/i);
    assert.equal((await mailGroup.locator('mark').first().innerText()).toLowerCase(), 'seats');
    await page.screenshot({ path: join(ensureScreenshotDir(), 'search-mail.png') });
    await page.keyboard.press('Escape');
  });
});
