// Mail to the CRM with nothing stubbed: a real Dovecot (the repo's test
// harness), the real `threadline serve` syncing it over IMAP, lead capture
// scoring what arrives, and the browser driving the Inbox, the Board's
// Signals column and the lead's Messages tab. Messages go in through LMTP,
// the way a mail server delivers them.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureScreenshotDir, frontendDir, missingPrerequisite, openBrowser, startServer } from './harness.mjs';
import { call } from './seed.mjs';

const dovecotBin = '/usr/sbin/dovecot';
const harnessDir = resolve(frontendDir, '..', 'backend', 'internal', 'dovecottest');
const inCI = process.env.CI === 'true';

/** Why the suite is skipped, or false. Without Dovecot it runs (and fails) in CI. */
function skipReason() {
  const missing = missingPrerequisite();
  if (missing && process.env.THREADLINE_E2E_REQUIRE) throw new Error(missing);
  if (missing) return missing;
  if (!existsSync(dovecotBin) && !inCI) return `${dovecotBin} not found: install dovecot-imapd and dovecot-lmtpd to run the live mail test`;
  return false;
}
const skip = skipReason();

const WAIT = { timeout: 15_000 };
const USER = 'test@example.com';
const PASSWORD = 'test';

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Delivers one message over LMTP (RFC 2033): LHLO, MAIL FROM, RCPT TO, DATA.
 * @param {number} port
 * @param {string} from envelope sender
 * @param {string} to recipient
 * @param {string} message RFC 5322 text with CRLF or LF line ends
 */
function lmtpDeliver(port, from, to, message) {
  const body = message
    .replace(/\r?\n/g, '\r\n')
    .split('\r\n')
    .map((l) => (l.startsWith('.') ? '.' + l : l))
    .join('\r\n');
  const steps = [
    { send: null, want: '220' },
    { send: 'LHLO localhost', want: '250' },
    { send: `MAIL FROM:<${from}>`, want: '250' },
    { send: `RCPT TO:<${to}>`, want: '250' },
    { send: 'DATA', want: '354' },
    { send: body + '\r\n.', want: '250' },
    { send: 'QUIT', want: '221' },
  ];
  return new Promise((resolveSend, reject) => {
    const sock = connect(port, '127.0.0.1');
    sock.setEncoding('utf8');
    sock.setTimeout(10_000, () => sock.destroy(new Error('LMTP: no answer within 10 s')));
    let buf = '';
    let i = 0;
    sock.on('data', (chunk) => {
      buf += chunk;
      // A reply is complete at a line "NNN text" (no dash after the code).
      for (;;) {
        const lines = buf.split('\r\n');
        const end = lines.findIndex((l) => /^\d{3} /.test(l) || /^\d{3}$/.test(l));
        if (end < 0) return;
        const reply = lines.slice(0, end + 1).join('\n');
        buf = lines.slice(end + 1).join('\r\n');
        const step = steps[i];
        if (!step || !reply.startsWith(step.want)) {
          sock.destroy();
          reject(new Error(`LMTP: expected ${step?.want} after ${steps[i]?.send ?? 'connect'}, got: ${reply}`));
          return;
        }
        i++;
        if (i === steps.length) {
          sock.end();
          resolveSend(undefined);
          return;
        }
        sock.write(steps[i].send + '\r\n');
      }
    });
    sock.on('error', reject);
  });
}

/** @param {{from: string, subject: string, body: string, headers?: string[], html?: string}} m */
function message(m) {
  const id = `<${Date.now()}.${Math.random().toString(36).slice(2)}@e2e.test>`;
  const head = [
    `From: ${m.from}`,
    `To: Robin <${USER}>`,
    `Subject: ${m.subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${id}`,
    'MIME-Version: 1.0',
    ...(m.headers ?? []),
  ];
  if (!m.html) return [...head, 'Content-Type: text/plain; charset=utf-8', '', m.body, ''].join('\r\n');
  const b = 'b-' + Math.random().toString(36).slice(2);
  return [
    ...head,
    `Content-Type: multipart/alternative; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    m.body,
    `--${b}`,
    'Content-Type: text/html; charset=utf-8',
    '',
    m.html,
    `--${b}--`,
    '',
  ].join('\r\n');
}

const inquiry = {
  from: 'Dana Reyes <dana@brightfield.test>',
  subject: 'Pricing for 25 seats and a demo',
  body: [
    'Hi Robin,',
    '',
    'We are a 25-person design studio looking for a CRM. Could you send me pricing for 25 seats,',
    'ideally a quote for an annual plan? We would also love a demo next week if you have time.',
    '',
    'Thanks,',
    'Dana Reyes',
    'Brightfield Studio',
  ].join('\n'),
  html:
    '<p>Hi Robin,</p><p>We are a 25-person design studio looking for a CRM. Could you send me <b>pricing for 25 seats</b>, ' +
    'ideally a quote for an annual plan? We would also love a demo next week if you have time.</p>' +
    '<script>document.title="pwned"</script><p onclick="alert(1)">Thanks,<br>Dana Reyes<br>Brightfield Studio</p>',
};

const newsletter = {
  from: 'Design Weekly <news@designweekly.test>',
  subject: 'Design Weekly #212: ten layout tips',
  headers: [
    'List-Unsubscribe: <mailto:unsubscribe@designweekly.test>, <https://designweekly.test/u/123>',
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    'List-Id: Design Weekly <weekly.designweekly.test>',
    'Precedence: bulk',
  ],
  body: [
    'This week: ten layout tips, a new type foundry and our favourite portfolios.',
    '',
    'Read online: https://designweekly.test/212',
    'You are receiving this newsletter because you subscribed. Unsubscribe: https://designweekly.test/u/123',
  ].join('\n'),
};

const second = {
  from: 'Omar Haddad <omar@kitehq.test>',
  subject: 'Quote for your Pro plan?',
  body: [
    'Hello,',
    '',
    'How much would the Pro plan cost for 10 users? Could we get a free trial first to see it in action?',
    '',
    'Best regards,',
    'Omar Haddad, Kite HQ',
  ].join('\n'),
};

describe('live mail: Dovecot → sync → lead capture → Inbox and Board', { skip }, () => {
  /** @type {Awaited<ReturnType<typeof startServer>>} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {string} */
  let dovecotDir = '';
  let lmtpPort = 0;
  /** @type {string[]} */
  const pageErrors = [];
  const shots = ensureScreenshotDir();
  const shot = (/** @type {string} */ name) => page.screenshot({ path: join(shots, `${name}.png`) });
  /** @type {(method: string, path: string, body?: unknown) => Promise<any>} */
  const api = (method, path, body) => call(server, method, path, body);

  /** @param {string} hash */
  async function open(hash) {
    await page.goto('about:blank');
    await page.goto(`${server.baseURL}/${hash}`);
  }

  /**
   * Polls fn until it returns something truthy.
   * @template T
   * @param {() => Promise<T>} fn
   * @param {string} what for the failure message
   * @param {() => Promise<unknown>} [explain] extra state for the failure message
   */
  async function eventually(fn, what, explain, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > deadline) {
        const extra = explain ? JSON.stringify(await explain().catch((e) => String(e))) : '';
        throw new Error(`timed out waiting for ${what} ${extra}\n--- server log tail ---\n${server.output().split('\n').slice(-20).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const signalsNow = async () => /** @type {{signals: any[]}} */ (await api('GET', '/api/signals')).signals;
  const threadsNow = async () => /** @type {{threads: any[]}} */ (await api('GET', '/api/threads?limit=50')).threads;

  before(async () => {
    dovecotDir = mkdtempSync(join(tmpdir(), 'threadline-dovecot-'));
    // As root, mail runs as nobody, which must be able to walk into the dir.
    chmodSync(dovecotDir, 0o755);
    const imapPort = await freePort();
    lmtpPort = await freePort();
    // Dovecot daemonises and keeps its stdio: give it a file, not a pipe
    // that would never close.
    const outPath = join(tmpdir(), `threadline-dovecot-start-${process.pid}.log`);
    const out = openSync(outPath, 'w');
    try {
      execFileSync('sh', [join(harnessDir, 'start.sh'), dovecotDir, String(imapPort), String(lmtpPort)], {
        stdio: ['ignore', out, out],
        timeout: 20_000,
      });
    } catch (err) {
      const log = existsSync(join(dovecotDir, 'log', 'dovecot.log')) ? readFileSync(join(dovecotDir, 'log', 'dovecot.log'), 'utf8') : '';
      throw new Error(`could not start Dovecot (${String(err)}):\n${readFileSync(outPath, 'utf8')}\n${log}`);
    } finally {
      closeSync(out);
      rmSync(outPath, { force: true });
    }

    // Mail arrives before the account exists: the first sync picks it up.
    await lmtpDeliver(lmtpPort, 'dana@brightfield.test', USER, message(inquiry));
    await lmtpDeliver(lmtpPort, 'bounce@designweekly.test', USER, message(newsletter));

    process.env.THREADLINE_SECRETS = 'file';
    server = await startServer();
    const acct = await api('POST', '/api/accounts', {
      name: 'Robin',
      email: USER,
      imap: { host: '127.0.0.1', port: imapPort, security: 'none', username: USER },
      password: PASSWORD,
    });
    assert.ok(acct.id, 'the account was created');
    await api('POST', '/api/sync/now', {});

    ({ browser, page } = await openBrowser(server, { viewport: { width: 1440, height: 900 }, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dovecotDir) {
      try {
        execFileSync('sh', [join(harnessDir, 'stop.sh'), dovecotDir], { stdio: 'ignore', timeout: 10_000 });
      } finally {
        rmSync(dovecotDir, { recursive: true, force: true });
      }
    }
  });

  test('synced threads: the Inbox lists both and shows a message sanitized', async () => {
    await eventually(
      async () => (await threadsNow()).length >= 2,
      'two synced threads',
      async () => ({ threads: await threadsNow(), sync: await api('GET', '/api/sync/status') }),
    );
    await open('#/inbox');
    const list = page.getByRole('navigation', { name: 'Threads' });
    await list.getByRole('button', { name: new RegExp(inquiry.subject) }).waitFor(WAIT);
    await list.getByRole('button', { name: new RegExp(newsletter.subject) }).waitFor(WAIT);

    await list.getByRole('button', { name: new RegExp(inquiry.subject) }).click();
    const view = page.getByRole('region', { name: 'Thread' });
    await view.getByRole('heading', { name: inquiry.subject }).waitFor(WAIT);
    const people = view.getByRole('list', { name: 'People in this thread' });
    await people.getByText('dana@brightfield.test').waitFor(WAIT);
    // The HTML part is shown, sanitized by the backend and sandboxed here.
    const frame = view.locator('iframe').first();
    await frame.waitFor(WAIT);
    const srcdoc = (await frame.getAttribute('srcdoc')) ?? '';
    assert.match(srcdoc, /pricing for 25 seats/);
    assert.doesNotMatch(srcdoc, /<script|onclick|pwned/i);
    assert.equal(await frame.getAttribute('sandbox'), '');
    await frame.contentFrame().getByText('We would also love a demo').waitFor(WAIT);
    await page.mouse.move(0, 0);
    await shot('inbox-live');

    // New mail shows up in the open Inbox without a reload; the open thread stays.
    await lmtpDeliver(
      lmtpPort,
      'sam@friends.test',
      USER,
      message({ from: 'Sam Friend <sam@friends.test>', subject: 'Lunch on Friday?', body: 'Are we still on for lunch on Friday at noon?' }),
    );
    await api('POST', '/api/sync/now', {});
    await list.getByRole('button', { name: /Lunch on Friday\?/ }).waitFor({ timeout: 20_000 });
    await view.getByRole('heading', { name: inquiry.subject }).waitFor(WAIT);
  });

  test('the Board: the inquiry is a signal with reasons, the newsletter is not; convert and dismiss', async () => {
    const sigs = await eventually(
      async () => {
        const s = await signalsNow();
        return s.some((x) => x.subject === inquiry.subject) ? s : null;
      },
      'a signal for the inquiry',
      async () => ({ signals: await signalsNow(), capture: await api('GET', '/api/capture/status') }),
    );
    assert.ok(!sigs.some((x) => x.subject === newsletter.subject), 'the newsletter is no signal');
    const lead = sigs.find((x) => x.subject === inquiry.subject);
    assert.deepEqual(lead.prospect, { name: 'Dana Reyes', addr: 'dana@brightfield.test' });
    assert.ok(lead.reasons.every((/** @type {any} */ r) => typeof r.text === 'string' && typeof r.effect === 'number'));
    const capture = await eventually(
      async () => {
        const c = await api('GET', '/api/capture/status');
        return c.pending === 0 && c.processed >= 2 ? c : null;
      },
      'lead capture to have scored both messages',
    );
    assert.ok(capture.signals >= 1);
    const sales = (await api('GET', '/api/pipelines')).items.find((/** @type {any} */ p) => p.name === 'Sales');
    assert.ok(sales, 'the default Sales pipeline exists');
    // A second pipeline, so the picker has a real choice to make.
    await api('POST', '/api/pipelines', { name: 'Partners' });

    await open('#/board');
    const column = page.getByTestId('signals-column');
    await column.waitFor(WAIT);
    const card = column.getByTestId('signal').filter({ hasText: inquiry.subject });
    await card.waitFor(WAIT);
    assert.equal(await column.getByTestId('signal').filter({ hasText: newsletter.subject }).count(), 0);
    assert.match(await card.getByTestId('signal-category').innerText(), /Inquiry/);
    const reasons = await card.getByTestId('signal-reason').allInnerTexts();
    assert.ok(reasons.length > 0, 'the signal says why');
    assert.ok(
      reasons.some((r) => r.startsWith('+')),
      `a reason toward a lead is marked +: ${JSON.stringify(reasons)}`,
    );
    assert.match(await card.innerText(), /Dana Reyes/);
    assert.match(await card.innerText(), /\d+%/);

    // New mail while the board is open arrives without a reload.
    await lmtpDeliver(lmtpPort, 'omar@kitehq.test', USER, message(second));
    await api('POST', '/api/sync/now', {});
    const secondCard = column.getByTestId('signal').filter({ hasText: second.subject });
    await secondCard.waitFor({ timeout: 25_000 });
    await page.mouse.move(0, 0);
    await shot('board-signals-live');

    await card.getByRole('button', { name: 'Add lead' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to CRM' });
    await dialog.getByLabel('Pipeline').selectOption(sales.id);
    await dialog.getByLabel('Stage').selectOption('interested');
    await dialog.getByRole('button', { name: 'Add lead' }).click();
    await page.getByText('Added Dana Reyes').waitFor(WAIT);
    await card.waitFor({ state: 'detached', ...WAIT });
    const interested = page.locator('[data-testid="column"][data-stage-id="interested"]');
    await interested.getByTestId('card').filter({ hasText: 'Dana Reyes' }).waitFor(WAIT);
    const { items } = await api('GET', '/api/leads?q=dana@brightfield.test');
    assert.equal(items.length, 1);
    assert.equal(items[0].pipeline_id, sales.id);
    assert.equal(items[0].stage_id, 'interested');
    assert.equal(items[0].thread_ids.length, 1);
    assert.ok(!(await signalsNow()).some((x) => x.subject === inquiry.subject), 'a converted signal is gone from the API');

    await secondCard.getByRole('button', { name: 'Dismiss' }).click();
    await page.getByText('Signal dismissed').waitFor(WAIT);
    await open('#/board');
    await page.getByTestId('kanban').waitFor(WAIT);
    await interested.getByTestId('card').filter({ hasText: 'Dana Reyes' }).waitFor(WAIT);
    assert.equal(await page.getByTestId('signal').filter({ hasText: second.subject }).count(), 0, 'dismissed stays gone after a reload');
    assert.ok(!(await signalsNow()).some((x) => x.subject === second.subject));
  });

  test('the converted lead’s Messages tab shows the thread', async () => {
    const { items } = await api('GET', '/api/leads?q=dana@brightfield.test');
    assert.equal(items.length, 1);
    await open(`#/leads/${items[0].id}`);
    await page.getByRole('tab', { name: 'Messages' }).click();
    const conv = page.getByTestId('conversation');
    await conv.waitFor(WAIT);
    await conv.getByText(/pricing for 25 seats/).first().waitFor(WAIT);
    assert.deepEqual(pageErrors, []);
  });
});
