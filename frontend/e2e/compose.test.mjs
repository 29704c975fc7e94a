// Browser tests of sending, search, the follow-ups badge and the settings
// that go with them, against the real `threadline serve`. No mail server
// runs here: the account points at a closed loopback port, so a message
// stays in the outbox with the reason it could not go out.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureScreenshotDir, missingPrerequisite, openBrowser, startServer } from './harness.mjs';
import { call } from './seed.mjs';

const missing = missingPrerequisite();
if (missing && process.env.THREADLINE_E2E_REQUIRE) throw new Error(missing);

const WAIT = { timeout: 15_000 };

/** A loopback port nothing listens on: connections to it are refused at once. */
async function closedPort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', () => r(undefined)));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 1;
  await new Promise((r) => srv.close(() => r(undefined)));
  return port;
}

describe('compose, outbox, search and settings', { skip: missing ?? false }, () => {
  /** @type {import('./harness.mjs').Server} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {string} */
  let shots;
  /** @type {any} */
  let lead;
  /** @type {string[]} */
  const pageErrors = [];

  /** @param {string} method @param {string} path @param {unknown} [body] */
  const api = (method, path, body) => call(server, method, path, body);

  /** @param {string} hash */
  async function open(hash) {
    await page.goto('about:blank');
    await page.goto(`${server.baseURL}/${hash}`);
  }

  before(async () => {
    shots = ensureScreenshotDir();
    server = await startServer();
    lead = await api('POST', '/api/leads', { name: 'Zelda Quartz', email: 'zelda@quartzworks.test', company: 'Quartzworks' });
    const port = await closedPort();
    await api('POST', '/api/accounts', {
      name: 'Work',
      email: 'me@example.test',
      imap: { host: '127.0.0.1', port, security: 'none' },
      smtp: { host: '127.0.0.1', port, security: 'none' },
      password: 'secret',
    });
    await api('POST', '/api/templates', {
      kind: 'template',
      name: 'Intro',
      subject: 'Hello from us, {first_name}',
      body: 'Hi {first_name},\n\nHow are things at {company}? Budget: {budget}\n\n{my_first_name}',
    });
    ({ browser, page } = await openBrowser(server, { viewport: { width: 1360, height: 900 }, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  test('the global search finds a lead created through the API and opens it', async () => {
    // The index is fed in batches: give it a moment to catch up.
    let fed = false;
    for (let i = 0; i < 30 && !fed; i++) {
      const res = await api('GET', '/api/search?q=Quartzworks&kind=leads');
      fed = (res.hits ?? []).some((/** @type {any} */ h) => h.id === lead.id);
      if (!fed) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(fed, 'the new lead never reached /api/search within 6 s');
    await open('#/board');
    await page.locator('main h1').waitFor(WAIT);
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'global-search');
    await page.keyboard.type('Quartz');
    const group = page.locator('[data-testid="search-group-lead"]');
    await group.waitFor(WAIT);
    assert.match(await group.locator("h3").innerText(), /Leads\s*1/i);
    // The count is exact (no "+"): the leads page counted every match, and /api/search/counts agrees.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="search-count-lead"]')?.textContent?.trim() === '1',
      undefined,
      WAIT,
    );
    assert.equal(await group.locator('mark').first().innerText(), 'Quartz');
    await page.screenshot({ path: join(shots, 'search.png') });

    // A malformed query says where it is wrong.
    await page.fill('#global-search', 'from:');
    const err = page.locator('[data-testid="search-error"]');
    await err.waitFor(WAIT);
    assert.match(await err.innerText(), /from: needs a value.*character 1/);

    // Enter opens the top hit.
    await page.fill('#global-search', 'Zelda');
    await page.locator('[data-testid="search-group-lead"] a', { hasText: 'Zelda' }).waitFor(WAIT);
    await page.locator('#global-search').press('Enter');
    await page.waitForFunction(() => location.hash.startsWith('#/leads/'), undefined, WAIT);
    await page.locator('main h1', { hasText: 'Zelda Quartz' }).waitFor(WAIT);
  });

  test('a message composed on the lead page waits in the outbox with the reason', async () => {
    await open(`#/leads/${lead.id}`);
    await page.getByRole('tab', { name: 'Messages' }).click();
    await page.getByRole('button', { name: 'New message' }).click();
    const composer = page.locator('[data-testid="composer"]');
    await composer.waitFor(WAIT);
    // The lead's address is already a chip; a typed one joins it.
    await composer.locator('[data-testid="chip"]', { hasText: 'zelda@quartzworks.test' }).waitFor(WAIT);
    await composer.locator('select').first().selectOption({ label: 'Intro' });
    const body = await composer.locator('textarea').inputValue();
    assert.match(body, /^Hi Zelda,\n\nHow are things at Quartzworks\?/);
    assert.equal(await composer.getByLabel('Subject').inputValue(), 'Hello from us, Zelda');
    assert.match(await composer.locator('[data-testid="missing-vars"]').innerText(), /\{budget\}/);
    await composer.locator('textarea').fill('Hi Zelda,\n\nShall we talk on Tuesday?\n\nSam');
    // Written over: no longer missing.
    await composer.locator('[data-testid="missing-vars"]').waitFor({ state: 'detached', timeout: WAIT.timeout });
    await composer.locator('input[type="file"]').setInputFiles({
      name: 'quote.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Quote line\n'.repeat(400)),
    });
    await composer.getByText('quote.txt').waitFor(WAIT);
    await page.screenshot({ path: join(shots, 'compose.png') });
    await composer.getByRole('button', { name: 'Send' }).click();

    const item = page.locator('[data-testid="outbox-item"]').first();
    await item.waitFor(WAIT);
    // No server listens: it stays queued for a retry, or fails with the
    // reason, which arrives by the outbox.updated event after the first try.
    await page.waitForFunction(
      () => !!document.querySelector('[data-testid="outbox-error"]'),
      undefined,
      WAIT,
    );
    const state = await item.getAttribute('data-state');
    assert.ok(state === 'queued' || state === 'failed', `state ${state}`);
    assert.match(await item.locator('[data-testid="outbox-error"]').innerText(), /refused|connect|dial/i);
    const { items } = await api('GET', '/api/outbox');
    assert.equal(items.length, 1);
    assert.equal(items[0].lead_id, lead.id);
    assert.equal(items[0].subject, 'Hello from us, Zelda');
    assert.ok(items[0].size > 4400, `the attachment went with it (size ${items[0].size})`);
    await item.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'outbox.png') });

    // The Inbox's Outbox view lists it too.
    await open('#/inbox/outbox');
    await page.locator('[data-testid="outbox-item"]').first().waitFor(WAIT);
  });

  test('the Follow-ups badge counts overdue and due-today follow-ups and follows actions', async () => {
    const past = new Date(Date.now() - 3 * 86400e3).toISOString();
    const f1 = await api('POST', `/api/leads/${lead.id}/followups`, { due_at: past, note: 'Chase the contract' });
    await api('POST', `/api/leads/${lead.id}/followups`, { due_at: new Date(Date.now() - 60e3).toISOString(), note: 'Call' });
    await api('POST', `/api/leads/${lead.id}/followups`, { due_at: new Date(Date.now() + 9 * 86400e3).toISOString(), note: 'Later' });
    await open('#/follow-ups');
    const badge = page.locator('[data-testid="followups-badge"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="followups-badge"]')?.textContent?.trim() === '2', undefined, WAIT);
    // Completing one on the page lowers the badge.
    const row = page.locator('li', { hasText: 'Chase the contract' });
    await row.getByRole('button', { name: 'Complete' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="followups-badge"]')?.textContent?.trim() === '1', undefined, WAIT);
    // Rescheduling the other to next week clears it.
    const call2 = page.locator('li', { hasText: 'Call' });
    await call2.getByRole('button', { name: 'Reschedule' }).click();
    const next = new Date(Date.now() + 7 * 86400e3);
    const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
    await call2.locator('input[type="datetime-local"]').fill(
      `${next.getFullYear()}-${p(next.getMonth() + 1)}-${p(next.getDate())}T10:00`,
    );
    await call2.getByRole('button', { name: 'Save' }).click();
    await badge.waitFor({ state: 'detached', timeout: WAIT.timeout });
    const done = await api('GET', `/api/followups/${f1.id}`);
    assert.equal(done.state, 'done');
  });

  test('settings: the reply model saves with a write-only key; accounts warn and test precisely', async () => {
    await open('#/settings');
    const llm = page.locator('section[aria-labelledby="llm-title"]');
    await llm.scrollIntoViewIfNeeded();
    await llm.locator('input[name="base_url"]').fill('http://127.0.0.1:11434');
    await llm.locator('input[name="model"]').fill('llama3.2');
    await llm.locator('input[name="api_key"]').fill('sk-test-123');
    await llm.getByRole('button', { name: 'Save' }).click();
    await llm.locator('[data-testid="llm-has-key"]').waitFor(WAIT);
    assert.equal(await llm.locator('input[name="api_key"]').inputValue(), '', 'the key is never shown again');
    const saved = await api('GET', '/api/settings/llm');
    assert.deepEqual(
      { base_url: saved.base_url, model: saved.model, has_api_key: saved.has_api_key, local: saved.local },
      { base_url: 'http://127.0.0.1:11434', model: 'llama3.2', has_api_key: true, local: true },
    );
    assert.ok(!JSON.stringify(saved).includes('sk-test-123'));

    // A snippet made in Settings is offered by the composer's picker.
    const tpl = page.locator('section[aria-labelledby="tpl-title"]');
    await tpl.getByRole('button', { name: 'New snippet' }).click();
    await tpl.getByLabel('Name').fill('Calendar link');
    await tpl.getByLabel('Text').fill('Pick a time that suits you, {first_name}: https://cal.example.test');
    await tpl.getByRole('button', { name: 'Save' }).click();
    await tpl.locator('li', { hasText: 'Calendar link' }).waitFor(WAIT);
    const { templates } = await api('GET', '/api/templates?kind=snippet');
    assert.deepEqual(templates.map((/** @type {any} */ t) => t.name), ['Calendar link']);

    const accounts = page.locator('section[aria-labelledby="accounts-title"]');
    // This machine has no keychain: the API says so, and so does the page.
    const list = await api('GET', '/api/accounts');
    if (list.secret_storage?.insecure) await accounts.locator('[data-testid="keychain-warning"]').waitFor(WAIT);
    await accounts.getByRole('button', { name: 'Add account' }).click();
    const form = accounts.locator('[data-testid="account-form"]');
    await form.getByLabel('Email').fill('sam@example.test');
    await form.getByLabel('Password', { exact: true }).fill('pw');
    const imap = form.locator('fieldset').first();
    await imap.getByLabel('Host').fill('mail.example.test');
    await imap.getByLabel('Security').selectOption('none');
    await form.locator('[data-testid="plaintext-warning"]').first().waitFor(WAIT);
    // A closed loopback port: the test names the stage and the reason.
    const port = await closedPort();
    await imap.getByLabel('Host').fill('127.0.0.1');
    await imap.getByLabel('Port').fill(String(port));
    // SMTP in clear text to a remote host: warned, and allowed only when ticked.
    const smtp = form.locator('fieldset').nth(1);
    await smtp.getByLabel('Host').fill('smtp.example.test');
    await smtp.getByLabel('Security').selectOption('none');
    await form.locator('[data-testid="plaintext-warning"]').first().waitFor(WAIT);
    await form.getByLabel(/allow the unencrypted connection/).check();
    await form.getByRole('button', { name: 'Test connection' }).click();
    const result = form.locator('[data-testid="connection-test"]');
    await result.waitFor(WAIT);
    assert.match(await result.innerText(), /Connection failed at IMAP tcp[\s\S]*refused/);
    await accounts.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'settings-accounts.png'), fullPage: false });

    // Removing an account asks once more, then it is gone.
    await form.getByRole('button', { name: 'Cancel' }).click();
    const row = accounts.locator('li', { hasText: 'me@example.test' });
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.getByRole('button', { name: 'Remove with its mail' }).click();
    await row.waitFor({ state: 'detached', timeout: WAIT.timeout });
    assert.equal((await api('GET', '/api/accounts')).accounts.length, 0);
  });
});
