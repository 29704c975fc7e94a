// The Inbox, the Messages tab and the Signals column against fixtures in
// the shapes the mail and lead-capture API serve (GET /api/threads,
// /api/threads/{id}, /api/accounts, /api/signals), answered in the browser
// so the conversations can have a history real sync cannot fake quickly
// (days apart, several replies). Writes go to the real backend and are
// checked there; a convert, whose thread exists only here, is turned into
// the upsert the capture service would make. live-mail.test.mjs covers the
// same screens with nothing stubbed (Dovecot, sync, lead capture).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureScreenshotDir, missingPrerequisite, openBrowser, startServer } from './harness.mjs';
import { call, defaultPipeline, seedLeads } from './seed.mjs';

const missing = missingPrerequisite();
if (missing && process.env.THREADLINE_E2E_REQUIRE) throw new Error(missing);

const WAIT = { timeout: 15_000 };
const HOUR = 3600e3;

const me = { name: 'Robin (me)', addr: 'me@mycompany.test' };
const rita = { name: 'Rita Gomez', addr: 'rita@northwind.test' };
/** An address as the mail API writes it. */
const wire = (/** @type {{name: string, addr: string}} */ p) => ({ name: p.name, address: p.addr });
const today = new Date();
/** A time daysAgo days back at h:m local; "today" times are a few minutes ago so they are never in the future. */
const at = (/** @type {number} */ daysAgo, /** @type {number} */ h, /** @type {number} */ m) =>
  daysAgo === 0
    ? new Date(Math.max(Date.now() - (10 - m / 10) * 60e3, new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime())).toISOString()
    : new Date(today.getFullYear(), today.getMonth(), today.getDate() - daysAgo, h, m).toISOString();

/** @param {string} known address of a lead the store already has */
function fixtures(known) {
  // Thread summaries as GET /api/threads returns them (backend/mail.Thread).
  const threads = [
    {
      id: 't-100',
      subject: 'Pricing for 20 seats',
      participants: [wire(rita), wire(me)],
      last_date: at(0, 9, 0),
      last_direction: 'outbound',
      unread: 1,
      message_count: 3,
      snippet: 'Happy to send a quote for 20 seats.',
    },
    {
      id: 't-101',
      subject: 'Intro call',
      participants: [{ name: 'Known Lead', address: known }, wire(me)],
      last_date: at(2, 15, 0),
      last_direction: 'inbound',
      unread: 0,
      message_count: 1,
      snippet: 'Thursday works for me.',
    },
  ];
  /** @type {Record<string, any>} */
  const details = {
    // GET /api/threads/{id}: the thread's fields plus its messages.
    't-100': {
      ...threads[0],
      messages: [
        msg('m1', rita, [me], at(1, 10, 0), 'Hi! What would 20 seats cost per year?', 'inbound'),
        msg('m2', rita, [me], at(1, 10, 3), 'And is there a discount for annual billing?', 'inbound'),
        msg('m3', me, [rita], at(0, 9, 0), 'Happy to send a quote for 20 seats. Annual billing saves 15%.', 'outbound'),
      ],
    },
    't-101': {
      ...threads[1],
      messages: [msg('m4', { name: 'Known Lead', addr: known }, [me], at(2, 15, 0), 'Thursday works for me.', 'inbound')],
    },
  };
  const signals = [
    {
      thread_id: 't-200',
      subject: 'Quote for your Pro plan?',
      from: { name: 'Sam Hill', addr: 'sam@hill.test' },
      prospect: { name: 'Sam Hill', addr: 'sam@hill.test' },
      score: 0.82,
      label: 'lead',
      category: 'hot_lead',
      reasons: [
        { text: 'quote', effect: 1.4 },
        { text: 'pro plan', effect: 0.6 },
      ],
      received_at: at(0, 8, 30),
      message_count: 1,
    },
    {
      thread_id: 't-201',
      subject: 'Partnership opportunity',
      from: { name: 'Promo Bot', addr: 'promo@bulk.test' },
      prospect: { name: 'Promo Bot', addr: 'promo@bulk.test' },
      score: 0.41,
      label: 'lead',
      category: 'vendor_pitch',
      reasons: [
        { text: 'partnership', effect: 0.5 },
        { text: 'unsubscribe', effect: -0.9 },
      ],
      received_at: at(1, 7, 0),
      message_count: 1,
    },
  ];
  return { threads, details, signals };
}

/**
 * @param {string} id @param {{name: string, addr: string}} from @param {any[]} to
 * @param {string} date @param {string} text @param {'inbound'|'outbound'} direction
 */
function msg(id, from, to, date, text, direction) {
  return {
    id,
    from: [wire(from)],
    to: to.map(wire),
    subject: 'Re: Pricing for 20 seats',
    date,
    direction,
    flags: [],
    unread: false,
    mailboxes: ['INBOX'],
    text,
    remote_content_blocked: false,
    attachments: [],
    raw_url: `/api/messages/${id}/raw`,
  };
}

describe('inbox and signals (mail API stubbed in the browser)', { skip: missing ?? false }, () => {
  /** @type {import('./harness.mjs').Server} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {any} */
  let pipeline;
  /** @type {any[]} */
  let leads;
  /** @type {ReturnType<typeof fixtures>} */
  let fx;
  let shots = '';
  /** @type {string[]} */
  const pageErrors = [];

  /** @param {string} method @param {string} path @param {unknown} [body] */
  const api = (method, path, body) => call(server, method, path, body);
  const shot = (/** @type {string} */ name) => page.screenshot({ path: join(shots, `${name}.png`) });

  /** @param {string} hash */
  async function open(hash) {
    await page.goto('about:blank');
    await page.goto(`${server.baseURL}/${hash}`);
  }

  before(async () => {
    shots = ensureScreenshotDir();
    server = await startServer();
    pipeline = await defaultPipeline(server);
    leads = await seedLeads(server, 6, { extra: (i) => ({ stage_id: ['new', 'interested', 'follow-up'][i % 3] }) });
    fx = fixtures(leads[0].email);
    const json = (/** @type {any} */ route, /** @type {unknown} */ body) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    // Like the real capture service, stop offering a signal once it was
    // dismissed or turned into a lead (the writes still go to the backend).
    /** @type {Set<string>} */
    const handled = new Set();
    /** @param {import('playwright-core').BrowserContext} context */
    const stubMailAPI = (context) =>
      context.route(
        (url) => /^\/api\/(threads|accounts|signals|leads\/upsert)(\/|$)/.test(url.pathname),
        async (route, request) => {
          const path = new URL(request.url()).pathname;
          if (path === '/api/leads/upsert') {
            handled.add(JSON.parse(request.postData() ?? '{}').thread_id);
            return route.continue();
          }
          // The threads above exist only in this browser, so the stub turns
          // a convert into what the capture service does: an upsert of the
          // prospect with the thread attached.
          const convert = /^\/api\/signals\/([^/]+)\/convert$/.exec(path);
          if (convert && request.method() === 'POST') {
            const thread = decodeURIComponent(convert[1] ?? '');
            const sig = fx.signals.find((x) => x.thread_id === thread);
            if (!sig) return route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"not_found","message":"no signal"}}' });
            const body = JSON.parse(request.postData() ?? '{}');
            const r = await call(server, 'POST', '/api/leads/upsert', {
              email: sig.prospect.addr,
              name: sig.prospect.name,
              pipeline_id: body.pipeline_id,
              stage_id: body.stage_id,
              thread_id: thread,
              source: 'signal',
            });
            handled.add(thread);
            return route.fulfill({ status: r.created ? 201 : 200, contentType: 'application/json', body: JSON.stringify(r.lead) });
          }
          if (path.endsWith('/dismiss')) handled.add(decodeURIComponent(path.split('/')[3] ?? ''));
          if (request.method() !== 'GET' || path.endsWith('/dismiss') || path === '/api/signals/dismissed') return route.continue();
          if (path === '/api/accounts') {
            return json(route, { accounts: [{ id: 'a1', email: me.addr, name: 'Robin', identities: [me.addr] }], secret_storage: 'file' });
          }
          if (path === '/api/threads') return json(route, { threads: fx.threads, next_cursor: '' });
          if (path === '/api/signals') return json(route, { signals: fx.signals.filter((x) => !handled.has(x.thread_id)) });
          const id = decodeURIComponent(path.split('/')[3] ?? '');
          if (fx.details[id]) return json(route, fx.details[id]);
          return route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"not_found","message":"no thread"}}' });
        },
      );
    ({ browser, page } = await openBrowser(server, { viewport: { width: 1440, height: 900 }, pageErrors, prepare: stubMailAPI }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('an unknown sender of an open thread becomes a lead in two clicks, linked to the thread', async () => {
    await open('#/inbox');
    await page.getByRole('button', { name: /Pricing for 20 seats/ }).click();
    const people = page.getByRole('list', { name: 'People in this thread' });
    const row = people.locator('li').filter({ hasText: rita.addr });
    await row.getByRole('button', { name: 'Add as lead' }).click(); // 1
    await shot('inbox-thread');
    await row.getByRole('button', { name: 'Create lead' }).click(); // 2
    await row.getByRole('link', { name: 'Open lead' }).waitFor(WAIT);
    const { items } = await api('GET', `/api/leads?q=${encodeURIComponent(rita.addr)}`);
    assert.equal(items.length, 1);
    assert.equal(items[0].name, rita.name);
    assert.deepEqual(items[0].thread_ids, ['t-100']);
    // Our own address is never offered as a lead.
    assert.equal(await people.locator('li').filter({ hasText: me.addr }).count(), 0);
  });

  test('"Add to CRM" on a thread of a known lead links the thread instead of duplicating', async () => {
    await open('#/inbox');
    await page.getByRole('button', { name: /Intro call/ }).click();
    await page.getByRole('list', { name: 'People in this thread' }).getByRole('link', { name: 'Open lead' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Add to CRM' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to CRM' });
    await dialog.getByLabel('Pipeline').selectOption(pipeline.id);
    await dialog.getByRole('button', { name: 'Add to CRM' }).click();
    await page.getByText(/Linked to/).waitFor(WAIT);
    const lead = await api('GET', `/api/leads/${leads[0].id}`);
    assert.deepEqual(lead.thread_ids, ['t-101']);
    assert.equal(lead.name, leads[0].name, 'linking a thread keeps the lead’s own name');
    const { total } = await api('GET', `/api/leads?q=${encodeURIComponent(leads[0].email)}&limit=1`);
    assert.equal(total, 1);
  });

  test('Messages tab: the linked thread as a conversation, grouped, with day separators and highlighted search', async () => {
    const { items } = await api('GET', `/api/leads?q=${encodeURIComponent(rita.addr)}`);
    await open(`#/leads/${items[0].id}`);
    await page.getByRole('tab', { name: 'Messages' }).click();
    const conv = page.getByTestId('conversation');
    await conv.waitFor(WAIT);
    assert.deepEqual(await conv.getByTestId('day-separator').allInnerTexts(), ['Yesterday', 'Today']);
    // Rita's two messages 3 minutes apart form one group; my reply is another.
    const groups = conv.getByTestId('message-group');
    assert.equal(await groups.count(), 2);
    assert.equal(await groups.first().locator('.bubble').count(), 2);
    await shot('lead-messages-conversation');
    await page.getByLabel('Search messages').fill('annual');
    await page.getByText('2 messages match').waitFor(WAIT);
    assert.deepEqual(await conv.locator('mark').allInnerTexts(), ['annual', 'Annual']);
    await shot('lead-messages-thread');
  });

  test('signals: the column comes first; convert one with a stage picker and dismiss another', async () => {
    await open('#/board');
    const column = page.getByTestId('signals-column');
    await column.waitFor(WAIT);
    const first = await page.locator('[data-testid="kanban"] > section').first().getAttribute('data-testid');
    assert.equal(first, 'signals-column');
    await page.mouse.move(0, 0);
    await shot('board-signals');

    await column.getByTestId('signal').filter({ hasText: 'Sam Hill' }).getByRole('button', { name: 'Add lead' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to CRM' });
    await dialog.getByLabel('Stage').selectOption('interested');
    await dialog.getByRole('button', { name: 'Add lead' }).click();
    await page.getByText('Added Sam Hill').waitFor(WAIT);
    const { items } = await api('GET', '/api/leads?q=sam@hill.test');
    assert.equal(items.length, 1);
    assert.equal(items[0].stage_id, 'interested');
    assert.deepEqual(items[0].thread_ids, ['t-200']);
    assert.equal(items[0].attribution.source, 'signal');

    await column.getByTestId('signal').filter({ hasText: 'Promo Bot' }).getByRole('button', { name: 'Dismiss' }).click();
    await page.getByText('Signal dismissed').waitFor(WAIT);
    const dismissed = await api('GET', '/api/signals/dismissed');
    assert.deepEqual(
      dismissed.items.map((/** @type {any} */ d) => d.thread_id),
      ['t-201'],
    );
    assert.equal(await column.getByTestId('signal').count(), 0);
  });

  test('cards visibly age past the stage’s rotting days', async () => {
    // Three weeks from now every open-stage card is past its rotting days.
    await page.clock.setFixedTime(new Date(Date.now() + 21 * 24 * HOUR));
    await open('#/board');
    await page.locator('[data-testid="kanban"]').waitFor(WAIT);
    await page.locator('.card.rotting').first().waitFor(WAIT);
    assert.ok((await page.getByText(/Rotting · \d+d/).count()) > 0);
    await page.mouse.move(0, 0);
    await shot('board-rotting');
  });

  test('the pages raised no uncaught errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
