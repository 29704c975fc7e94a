// Browser tests of the board, the leads list, lead detail, the inbox and
// settings against the real `threadline serve` with a store seeded through
// the API. Screenshots of every screen go to build/screenshots/.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureScreenshotDir, missingPrerequisite, openBrowser, startServer } from './harness.mjs';
import { call, defaultPipeline, seedLeads } from './seed.mjs';

const missing = missingPrerequisite();
if (missing && process.env.THREADLINE_E2E_REQUIRE) throw new Error(missing);

const WAIT = { timeout: 15_000 };

describe('CRM screens', { skip: missing ?? false }, () => {
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
  /** @type {string[]} */
  const pageErrors = [];
  let shots = '';

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  const api = (method, path, body) => call(server, method, path, body);
  const stageOf = async (/** @type {string} */ id) => (await api('GET', `/api/leads/${id}`)).stage_id;
  const card = (/** @type {string} */ id) => page.locator(`[data-card-id="${id}"]`);
  const column = (/** @type {string} */ stage) => page.locator(`[data-testid="column"][data-stage-id="${stage}"]`);
  const cardIn = (/** @type {string} */ stage, /** @type {string} */ id) => column(stage).locator(`[data-card-id="${id}"]`);
  const shot = (/** @type {string} */ name) => page.screenshot({ path: join(shots, `${name}.png`) });

  /**
   * Waits for an input labelled `label` to hold `value` (Svelte sets the
   * property, not the attribute) and returns its index among those inputs.
   * @param {string} label @param {string} value
   */
  async function inputWithValue(label, value) {
    const h = await page.waitForFunction(
      ([l, v]) => [...document.querySelectorAll(`input[aria-label="${l}"]`)].findIndex((i) => /** @type {HTMLInputElement} */ (i).value === v) + 1,
      [label, value],
      WAIT,
    );
    return Number(await h.jsonValue()) - 1;
  }

  /** @param {string} hash */
  async function open(hash) {
    await page.goto('about:blank');
    await page.goto(`${server.baseURL}/${hash}`);
  }

  async function openBoard() {
    await open('#/board');
    await page.locator('[data-testid="kanban"]').waitFor(WAIT);
  }

  /** Waits until the API reports the lead in `stage` (the UI saves asynchronously). */
  async function eventuallyStage(/** @type {string} */ id, /** @type {string} */ stage) {
    const deadline = Date.now() + WAIT.timeout;
    let got = '';
    while (Date.now() < deadline) {
      got = await stageOf(id);
      if (got === stage) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(got, stage, `lead ${id} should end up in ${stage}`);
  }

  before(async () => {
    shots = ensureScreenshotDir();
    server = await startServer();
    pipeline = await defaultPipeline(server);
    // 24 leads spread over New, Interested and Follow-up, 3 won.
    leads = await seedLeads(server, 27, {
      extra: (/** @type {number} */ i) => ({
        stage_id: i < 24 ? ['new', 'interested', 'follow-up'][i % 3] : 'won',
        tags: i % 5 === 0 ? ['vip'] : [],
      }),
    });
    // One lead with history: a note, an overdue follow-up and a stage change.
    await api('POST', `/api/leads/${leads[0].id}/notes`, { body: 'Asked for pricing on the phone' });
    await api('POST', `/api/leads/${leads[0].id}/followups`, {
      due_at: new Date(Date.now() - 2 * 3600e3).toISOString(),
      note: 'Send the proposal',
    });
    await api('POST', `/api/leads/${leads[0].id}/move`, { stage_id: 'interested' });
    await api('POST', '/api/custom-fields', { key: 'budget', label: 'Budget', type: 'number' });

    ({ browser, page } = await openBrowser(server, { viewport: { width: 1440, height: 900 }, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the board shows one column per stage with count and value sums', async () => {
    await openBoard();
    const stages = await page.locator('[data-testid="column"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage-id')));
    assert.deepEqual(stages, pipeline.stages.map((/** @type {any} */ s) => s.id));
    const board = await api('GET', `/api/pipelines/${pipeline.id}/board`);
    for (const col of board.columns) {
      const count = await column(col.stage.id).locator('[data-testid="column-count"]').innerText();
      assert.equal(Number(count), col.count, `count of ${col.stage.id}`);
    }
    // Won cards are locked: not draggable.
    const won = leads[24].id;
    assert.equal(await card(won).getAttribute('draggable'), 'false');
    assert.equal(await card(leads[1].id).getAttribute('draggable'), 'true');
    await page.mouse.move(0, 0);
    await shot('board');
  });

  test('drag a card to another column; after a reload it stayed', async () => {
    await openBoard();
    const id = leads[3].id; // in New
    await cardIn('new', id).waitFor(WAIT);
    await card(id).dragTo(column('follow-up').locator('ul'));
    await cardIn('follow-up', id).waitFor(WAIT);
    await eventuallyStage(id, 'follow-up');
    await page.reload();
    await cardIn('follow-up', id).waitFor(WAIT);
    assert.equal(await cardIn('new', id).count(), 0);
  });

  test('undo puts a moved card back, in the UI and the store', async () => {
    await openBoard();
    const id = leads[6].id; // in New
    await card(id).dragTo(column('interested').locator('ul'));
    await cardIn('interested', id).waitFor(WAIT);
    await eventuallyStage(id, 'interested');
    await page.getByRole('button', { name: 'Undo' }).click();
    await cardIn('new', id).waitFor(WAIT);
    await eventuallyStage(id, 'new');
  });

  test('undo also reopens a card dropped on Won', async () => {
    await openBoard();
    const id = leads[9].id; // in New
    await card(id).dragTo(column('won').locator('ul'));
    await cardIn('won', id).waitFor(WAIT);
    await eventuallyStage(id, 'won');
    await page.getByRole('button', { name: 'Undo' }).click();
    await eventuallyStage(id, 'new');
    await cardIn('new', id).waitFor(WAIT);
  });

  test('keyboard: number keys and Shift+Arrow move the focused card', async () => {
    await openBoard();
    const id = leads[12].id; // in New
    await card(id).locator('a').focus();
    await page.keyboard.press('3');
    await cardIn('follow-up', id).waitFor(WAIT);
    await eventuallyStage(id, 'follow-up');
    // Focus follows the card to its new column.
    await page.waitForFunction((x) => document.activeElement?.closest('[data-card-id]')?.getAttribute('data-card-id') === x, id, WAIT);
    await page.keyboard.press('Shift+ArrowLeft');
    await cardIn('interested', id).waitFor(WAIT);
    await eventuallyStage(id, 'interested');
    // j moves focus to the next card in the column.
    const before = await page.evaluate(() => document.activeElement?.closest('[data-card-id]')?.getAttribute('data-card-id'));
    await page.keyboard.press('j');
    const afterJ = await page.evaluate(() => document.activeElement?.closest('[data-card-id]')?.getAttribute('data-card-id'));
    assert.notEqual(afterJ, before);
    // e archives the focused card; Undo brings it back.
    await card(id).locator('a').focus();
    await page.keyboard.press('e');
    await page.getByText('Lead archived').waitFor(WAIT);
    assert.equal(await card(id).count(), 0);
    assert.ok((await api('GET', `/api/leads/${id}`)).archived_at);
    await page.getByRole('button', { name: 'Undo' }).click();
    await cardIn('interested', id).waitFor(WAIT);
    assert.equal((await api('GET', `/api/leads/${id}`)).archived_at, null);
  });

  test('multi-select and bulk move', async () => {
    await openBoard();
    const a = leads[15].id; // New
    const b = leads[18].id; // New
    await card(a).locator('input[type="checkbox"]').click();
    await card(b).locator('input[type="checkbox"]').click();
    const bar = page.getByTestId('bulkbar');
    await bar.getByText('2 selected').waitFor(WAIT);
    await bar.getByLabel('Move selected to stage').selectOption('follow-up');
    await bar.getByRole('button', { name: 'Move', exact: true }).click();
    await cardIn('follow-up', a).waitFor(WAIT);
    await cardIn('follow-up', b).waitFor(WAIT);
    await eventuallyStage(a, 'follow-up');
    await eventuallyStage(b, 'follow-up');
    await page.getByText('Moved 2 leads to Follow-up').waitFor(WAIT);
  });

  test('a bulk move with a locked (won) card is refused: cards roll back and the reason shows', async () => {
    await openBoard();
    const open = leads[21].id; // New
    const won = leads[25].id; // Won
    await card(open).locator('input[type="checkbox"]').click();
    await card(won).locator('input[type="checkbox"]').click();
    const bar = page.getByTestId('bulkbar');
    await bar.getByLabel('Move selected to stage').selectOption('interested');
    await bar.getByRole('button', { name: 'Move', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not move' });
    await alert.waitFor(WAIT);
    await shot('board-move-refused');
    await cardIn('new', open).waitFor(WAIT);
    await cardIn('won', won).waitFor(WAIT);
    assert.equal(await stageOf(open), 'new');
    assert.equal(await stageOf(won), 'won');
  });

  test('dropping a card on Lost asks for a discard reason and saves it', async () => {
    const reason = await api('POST', '/api/discard-reasons', { label: 'Chose a spreadsheet' });
    await openBoard();
    const id = leads[20].id; // Follow-up
    await card(id).dragTo(column('lost').locator('ul'));
    const dialog = page.getByRole('dialog', { name: 'Why was it lost?' });
    await dialog.getByLabel('Discard reason').selectOption(reason.id);
    await shot('board-lost-reason');
    await dialog.getByRole('button', { name: 'Move to Lost' }).click();
    await cardIn('lost', id).waitFor(WAIT);
    await eventuallyStage(id, 'lost');
    assert.equal((await api('GET', `/api/leads/${id}`)).lost_reason_id, reason.id);
  });

  test('create a lead from the board', async () => {
    await openBoard();
    await page.getByRole('button', { name: 'New lead' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New lead' });
    await dialog.getByLabel('Name').fill('Zoe Quinn');
    await dialog.getByLabel('Email').fill('zoe@quinn.test');
    await dialog.getByLabel('Company').fill('Quinn Labs');
    await dialog.getByLabel('Value').fill('4200');
    await dialog.getByLabel('Stage').selectOption('interested');
    await shot('lead-form');
    await dialog.getByRole('button', { name: 'Create lead' }).click();
    await column('interested').getByText('Zoe Quinn').waitFor(WAIT);
    const { items } = await api('GET', '/api/leads?q=zoe@quinn.test');
    assert.equal(items.length, 1);
    assert.equal(items[0].stage_id, 'interested');
    assert.equal(items[0].value, 4200);
  });

  test('search and chip filters narrow the board; List and Grid show the same filter', async () => {
    await openBoard();
    const all = await page.locator('[data-testid="card"]').count();
    await page.keyboard.press('f');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'board-search');
    await page.keyboard.type('Quinn');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="card"]').length === 1, undefined, WAIT);
    await page.getByText('Zoe Quinn').waitFor(WAIT);
    await page.getByRole('button', { name: 'Grid' }).click();
    await page.locator('[data-testid="board-grid"] [data-testid="card"]').first().waitFor(WAIT);
    assert.equal(await page.locator('[data-testid="card"]').count(), 1);
    await page.getByRole('button', { name: 'List' }).click();
    await page.locator('[data-testid="board-list"] [data-testid="card"]').first().waitFor(WAIT);
    assert.equal(await page.locator('[data-testid="card"]').count(), 1);
    await page.getByRole('button', { name: 'Kanban' }).click();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="card"]').length === n, all + 0, WAIT).catch(() => {});
    // The overdue chip filter leaves only the lead with the overdue follow-up.
    await page.getByRole('button', { name: 'Overdue', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="card"]').length === 1, undefined, WAIT);
    await cardIn('interested', leads[0].id).waitFor(WAIT);
    await shot('board-filtered');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="card"]').length > 1, undefined, WAIT);
  });

  test('leads list: filter, search, sort, columns and CSV export', async () => {
    await open('#/leads');
    const rows = page.getByTestId('lead-row');
    await rows.first().waitFor(WAIT);
    const total = (await api('GET', '/api/leads?limit=1')).total;
    assert.equal((await page.getByTestId('leads-total').innerText()).trim(), `${total} leads`);
    const filters = page.getByRole('search', { name: 'Filter leads' });
    await filters.getByLabel('Priority').selectOption('high');
    const high = (await api('GET', '/api/leads?priority=high&limit=1')).total;
    await page.waitForFunction((n) => document.querySelector('[data-testid="leads-total"]')?.textContent?.trim() === `${n} leads`, high, WAIT);
    const prios = await page.locator('[data-testid="lead-row"] td:nth-child(6)').allInnerTexts();
    assert.ok(prios.length > 0 && prios.every((p) => p.trim() === 'high'), `priorities: ${prios}`);
    await filters.getByLabel('Priority').selectOption('');
    await page.getByLabel('Search').fill('zoe@quinn');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="lead-row"]').length === 1, undefined, WAIT);
    await page.getByLabel('Search').fill('');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="lead-row"]').length === n, Math.min(total, 50), WAIT);
    // Sort by value, ascending then descending.
    await page.getByRole('button', { name: 'Value' }).click();
    await page.locator('th[aria-sort="descending"]', { hasText: 'Value' }).waitFor(WAIT);
    const firstDesc = await api('GET', '/api/leads?sort=value&dir=desc&limit=1');
    await page.waitForFunction((n) => document.querySelector('[data-testid="lead-row"] a')?.textContent?.trim() === n, firstDesc.items[0].name, WAIT);
    // Pagination with the cursor: 25 a page.
    await page.getByLabel('Per page').selectOption('25');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="lead-row"]').length === 25, undefined, WAIT);
    const firstPage = await rows.locator('a').allInnerTexts();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).getByText('Page 2', { exact: true }).waitFor(WAIT);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="lead-row"]').length === n, total - 25, WAIT);
    const secondPage = await rows.locator('a').allInnerTexts();
    assert.equal(secondPage.filter((n) => firstPage.includes(n)).length, 0, 'pages do not overlap');
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).getByText('Page 1', { exact: true }).waitFor(WAIT);
    await page.getByLabel('Per page').selectOption('50');
    // Column chooser: show Score.
    await page.getByText('Columns').click();
    await page.getByRole('group', { name: 'Visible columns' }).getByLabel('Score').check();
    await page.getByRole('columnheader', { name: 'Score' }).waitFor(WAIT);
    await page.getByText('Columns').click();
    await shot('leads');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const csv = readFileSync(/** @type {string} */ (await download.path()), 'utf8');
    const lines = csv.trim().split(/\r\n/);
    assert.match(lines[0] ?? '', /^Name,Email,Company,Stage,Status,Priority,Value,Tags,Score,Created$/);
    assert.equal(lines.length, total + 1);
  });

  test('lead detail: tabs, a note, the stage change on the timeline, follow-ups and deals', async () => {
    const id = leads[0].id;
    await open(`#/leads/${id}`);
    await page.getByRole('heading', { level: 1 }).waitFor(WAIT);
    assert.equal(await page.getByTestId('stage-pill').innerText(), 'Interested');
    await page.getByTestId('metrics').waitFor(WAIT);
    // Add a note with the n shortcut.
    await page.keyboard.press('n');
    await page.keyboard.type('Budget approved for Q1');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByTestId('notes').getByText('Budget approved for Q1').waitFor(WAIT);
    const notes = await api('GET', `/api/leads/${id}/notes`);
    assert.ok(notes.items.some((/** @type {any} */ n) => n.body === 'Budget approved for Q1'));
    await shot('lead-overview');

    // Change the stage from the header, then find it on the timeline.
    await page.getByTestId('stage-select').selectOption('follow-up');
    await page.getByTestId('stage-pill').getByText('Follow-up').waitFor(WAIT);
    await page.getByRole('tab', { name: 'Activities' }).click();
    const timeline = page.getByTestId('timeline');
    await timeline.getByText('Moved from Interested to Follow-up').waitFor(WAIT);
    await timeline.getByText('Moved from New to Interested').waitFor(WAIT);
    await timeline.getByText('Note: Budget approved for Q1').waitFor(WAIT);
    // Type filter and text search.
    await page.getByLabel('Type').selectOption('note_added');
    await page.waitForFunction(() => !document.querySelector('[data-testid="timeline"]')?.textContent?.includes('Moved from'), undefined, WAIT);
    await page.getByLabel('Type').selectOption('');
    await page.getByLabel('Search activities').fill('pricing');
    await timeline.getByText('Note: Asked for pricing on the phone').waitFor(WAIT);
    await page.waitForFunction(() => !document.querySelector('[data-testid="timeline"]')?.textContent?.includes('Moved from'), undefined, WAIT);
    await page.getByLabel('Search activities').fill('');
    await timeline.getByText('Moved from Interested to Follow-up').waitFor(WAIT);
    await shot('lead-activities');

    // Keyboard: arrows move between tabs.
    await page.getByRole('tab', { name: 'Activities' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Messages' }).getAttribute('aria-selected'), 'true');
    await page.getByText('No messages to show').or(page.getByText('No linked threads')).waitFor(WAIT);
    await shot('lead-messages');

    await page.getByRole('tab', { name: /Follow-ups/ }).click();
    const fu = page.getByTestId('followups');
    await fu.getByText('Send the proposal').waitFor(WAIT);
    const due = new Date(Date.now() + 2 * 86400e3);
    const local = new Date(due.getTime() - due.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
    await page.getByLabel('Due').fill(local);
    await page.getByLabel('Note').fill('Check in after the trial');
    await page.getByRole('button', { name: 'Add follow-up' }).click();
    await fu.getByText('Check in after the trial').waitFor(WAIT);
    // Snooze the new one by a week.
    const fus = await api('GET', `/api/leads/${id}/followups`);
    const trial = fus.items.find((/** @type {any} */ f) => f.note === 'Check in after the trial');
    await fu.locator('li').filter({ hasText: 'Check in after the trial' }).getByLabel('Snooze').selectOption('7');
    const snoozeBy = Date.now() + WAIT.timeout;
    let moved = trial.due_at;
    while (moved === trial.due_at && Date.now() < snoozeBy) {
      await new Promise((r) => setTimeout(r, 100));
      moved = (await api('GET', `/api/followups/${trial.id}`)).due_at;
    }
    assert.ok(Date.parse(moved) > Date.now() + 6 * 86400e3, `snoozed to ${moved}`);
    await fu.locator('li').filter({ hasText: 'Send the proposal' }).getByRole('button', { name: 'Complete' }).click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="followups"]')?.textContent?.includes('Send the proposal'), undefined, WAIT);
    await shot('lead-followups');

    await page.getByRole('tab', { name: /Deals/ }).click();
    await page.getByLabel('Deal', { exact: true }).fill('Annual licence');
    await page.getByLabel('Amount').fill('12000');
    await page.getByRole('button', { name: 'Add deal' }).click();
    await page.getByTestId('deals').getByText('Annual licence').waitFor(WAIT);
    const deals = await api('GET', `/api/deals?lead_id=${id}`);
    assert.equal(deals.items.length, 1);
    await shot('lead-deals');

    // Delete a note.
    await page.getByRole('tab', { name: 'Overview' }).click();
    const before = (await api('GET', `/api/leads/${id}/notes`)).items.length;
    await page.getByTestId('notes').getByRole('button', { name: 'Delete note' }).first().click();
    const deadline = Date.now() + WAIT.timeout;
    while ((await api('GET', `/api/leads/${id}/notes`)).items.length !== before - 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await api('GET', `/api/leads/${id}/notes`)).items.length, before - 1);
  });

  test('follow-ups page lists what is due, by urgency', async () => {
    await open('#/follow-ups');
    const row = page.locator('li').filter({ hasText: 'Check in after the trial' });
    await row.waitFor(WAIT);
    assert.equal(await row.getByRole('link').innerText(), leads[0].name);
    await shot('follow-ups');
  });

  test('lead detail: edit, archive with e, and delete with confirmation', async () => {
    const id = leads[2].id;
    await open(`#/leads/${id}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit lead' });
    await dialog.getByLabel('Title').fill('Head of Sales');
    await dialog.getByLabel('Budget').fill('5000');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('contact-line').getByText(/Head of Sales/).waitFor(WAIT);
    const l = await api('GET', `/api/leads/${id}`);
    assert.equal(l.title, 'Head of Sales');
    assert.equal(l.custom.budget, 5000);

    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('e');
    await page.getByRole('button', { name: 'Reopen' }).waitFor(WAIT);
    assert.ok((await api('GET', `/api/leads/${id}`)).archived_at);

    await page.getByRole('button', { name: 'Delete…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this lead?' });
    await shot('lead-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete lead' }).click();
    await page.waitForURL((u) => u.hash === '#/leads', WAIT);
    await assert.rejects(api('GET', `/api/leads/${id}`), /404/);
  });

  test('settings: reorder stages by drag and the board follows', async () => {
    await open('#/settings');
    const rows = page.locator('[data-stage-row]');
    await rows.first().waitFor(WAIT);
    // Drag Follow-up (3rd) onto New (1st).
    await rows.nth(2).getByTestId('drag-handle').dragTo(rows.nth(0));
    const deadline = Date.now() + WAIT.timeout;
    let order = [];
    while (Date.now() < deadline) {
      order = (await api('GET', `/api/pipelines/${pipeline.id}`)).stages.map((/** @type {any} */ s) => s.id);
      if (order[0] === 'follow-up') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(order, ['follow-up', 'new', 'interested', 'won', 'lost']);
    // Keyboard path: the arrow buttons.
    await page.getByRole('button', { name: 'Move Interested up' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-stage-row]')[1]?.getAttribute('data-stage-row') === 'interested', undefined, WAIT);
    // Rename and recolour a stage.
    await page.getByLabel('Name of stage 1').fill('Chasing');
    await page.getByLabel('Name of stage 1').press('Tab');
    const renamed = Date.now() + WAIT.timeout;
    while ((await api('GET', `/api/pipelines/${pipeline.id}`)).stages[0].name !== 'Chasing' && Date.now() < renamed) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(shots, 'settings.png'), fullPage: true });
    await openBoard();
    const cols = await page.locator('[data-testid="column"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage-id')));
    assert.deepEqual(cols, ['follow-up', 'interested', 'new', 'won', 'lost']);
    await column('follow-up').getByRole('heading', { name: 'Chasing' }).waitFor(WAIT);
  });

  // Signals are covered against real mail in live-mail.test.mjs.

  test('settings: discard reasons, custom fields and tags', async () => {
    await open('#/settings');
    await page.getByLabel('New reason').fill('Timing');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await inputWithValue('Discard reason', 'Timing');
    await page.getByLabel('Label', { exact: true }).fill('Industry');
    await page.getByLabel('Key', { exact: true }).fill('industry');
    await page.locator('section[aria-labelledby="fields-h"] form select').selectOption('select');
    await page.getByLabel('Options', { exact: true }).fill('SaaS, Retail');
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('Label of industry').waitFor(WAIT);
    await page.getByLabel('New tag').fill('hot');
    await page.getByRole('button', { name: 'Add tag' }).click();
    const tagName = page.getByRole('textbox', { name: 'Tag name' }).nth(await inputWithValue('Tag name', 'hot'));
    await tagName.fill('warm');
    await tagName.press('Tab');
    const deadline = Date.now() + WAIT.timeout;
    let tags = [];
    while (Date.now() < deadline) {
      tags = (await api('GET', '/api/tags')).items.map((/** @type {any} */ t) => t.name);
      if (tags.includes('warm')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(tags.includes('warm') && !tags.includes('hot'), `tags: ${tags}`);
    const reasons = (await api('GET', '/api/discard-reasons')).items.map((/** @type {any} */ r) => r.label);
    assert.ok(reasons.includes('Timing'));
    const fields = (await api('GET', '/api/custom-fields')).items;
    const industry = fields.find((/** @type {any} */ f) => f.key === 'industry');
    assert.deepEqual(industry?.options, ['SaaS', 'Retail']);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(shots, 'settings-vocab.png'), fullPage: true });
  });

  test('inbox shows an honest empty state without mail sync', async () => {
    await open('#/inbox');
    await page.getByText('Connect an account in Settings to see your mail here.').waitFor(WAIT);
    await shot('inbox');
  });

  test('? opens the shortcuts overlay', async () => {
    await openBoard();
    await page.locator('main h1').click();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor(WAIT);
    await shot('shortcuts');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', ...WAIT });
  });

  test('the pipeline switcher shows another pipeline’s board', async () => {
    const other = await api('POST', '/api/pipelines', {
      name: 'Partners',
      stages: [{ name: 'Intro' }, { name: 'Pilot' }, { name: 'Signed', kind: 'won' }],
    });
    await api('POST', '/api/leads', { name: 'Pat Partner', email: 'pat@partner.test', pipeline_id: other.id });
    await openBoard();
    await page.getByLabel('Pipeline').selectOption(other.id);
    await page.getByText('Pat Partner').waitFor(WAIT);
    const names = await page.locator('[data-testid="column"] h2').allInnerTexts();
    assert.deepEqual(names, ['Intro', 'Pilot', 'Signed']);
    await page.getByLabel('Pipeline').selectOption(pipeline.id);
    await column('lost').waitFor(WAIT);
  });

  test('dark theme screenshots', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await openBoard();
    await page.waitForTimeout(300);
    await shot('board-dark');
    await open(`#/leads/${leads[0].id}`);
    await page.getByTestId('metrics').waitFor(WAIT);
    await page.waitForTimeout(300);
    await shot('lead-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('every control on every screen has a label; Tab reaches the board in one stop', async () => {
    const unlabelled = () =>
      page.evaluate(() => {
        const out = [];
        for (const el of document.querySelectorAll('main input, main select, main textarea, main button, main a[href]')) {
          const h = /** @type {HTMLElement} */ (el);
          if (h.closest('[hidden]') || h.getClientRects().length === 0) continue;
          const byId = (h.getAttribute('aria-labelledby') ?? '')
            .split(' ')
            .map((id) => document.getElementById(id)?.textContent ?? '')
            .join('');
          const labels = 'labels' in h && h.labels ? [...(/** @type {any} */ (h).labels)].map((l) => l.textContent).join('') : '';
          const name = (h.getAttribute('aria-label') ?? '') + byId + labels + (h.tagName === 'BUTTON' || h.tagName === 'A' ? h.textContent : '') + (h.title ?? '');
          if (!name.trim()) out.push(h.outerHTML.slice(0, 120));
        }
        return out;
      });
    for (const hash of ['#/board', '#/leads', `#/leads/${leads[0].id}`, '#/follow-ups', '#/settings', '#/inbox']) {
      await open(hash);
      await page.locator('main h1').waitFor(WAIT);
      await page.waitForTimeout(300);
      assert.deepEqual(await unlabelled(), [], `unlabelled controls on ${hash}`);
    }
    // From the search box, Tab walks the filters and then lands on one card.
    await openBoard();
    await page.locator('#board-search').focus();
    const stops = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      const info = await page.evaluate(() => {
        const a = document.activeElement;
        return { card: a?.closest('[data-card-id]')?.getAttribute('data-card-id') ?? null, text: a?.getAttribute('aria-label') || a?.textContent?.trim() || a?.tagName };
      });
      stops.push(info);
      if (info.card) break;
    }
    const cardStops = stops.filter((s) => s.card);
    assert.equal(cardStops.length, 1, `Tab should reach a card: ${JSON.stringify(stops)}`);
    assert.deepEqual(
      stops.slice(0, 4).map((s) => s.text),
      ['Waiting for reply', 'Follow-up today', 'Overdue', 'Rotting'],
    );
    // The next Tab leaves the board instead of walking every card.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.closest('[data-card-id]') === null), true);
  });

  test('the pages raised no uncaught errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
