// A real mail server for browser tests: the repo's Dovecot harness
// (backend/internal/dovecottest/start.sh) with IMAP, LMTP and the submission
// service, which relays outgoing mail to a small SMTP sink run here.

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { frontendDir } from './harness.mjs';

/**
 * Runs a harness script with its output in a log file, not a pipe: the
 * Dovecot it starts daemonises and would hold a pipe open forever.
 * @param {string} script @param {string[]} args @param {string} log @param {NodeJS.ProcessEnv} [env]
 */
function runScript(script, args, log, env = process.env) {
  return new Promise((resolveRun, reject) => {
    const quoted = [join(harnessDir, script), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const child = spawn('sh', ['-c', `sh ${quoted} >>'${log}' 2>&1`], { stdio: 'ignore', env });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolveRun(undefined);
      else reject(new Error(`${script} failed (${code}):\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`));
    });
  });
}
const harnessDir = resolve(frontendDir, '..', 'backend', 'internal', 'dovecottest');

/** Why Dovecot cannot run here, or null when it can. */
export function missingDovecot() {
  if (!existsSync('/usr/sbin/dovecot')) return 'dovecot is not installed (/usr/sbin/dovecot)';
  if (!existsSync('/usr/lib/dovecot/submission')) return 'dovecot-submissiond is not installed';
  if (!existsSync(join(harnessDir, 'start.sh'))) return `the Dovecot harness is missing (${harnessDir}/start.sh)`;
  return null;
}

export async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', () => r(undefined)));
  const a = srv.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  await new Promise((r) => srv.close(() => r(undefined)));
  return port;
}

/**
 * The relay target: accepts every message and keeps it, so a test can read
 * the headers that went out.
 */
async function startSink() {
  /** @type {string[]} */
  const messages = [];
  /** @type {Set<import('node:net').Socket>} */
  const open = new Set();
  const srv = createServer((sock) => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    sock.setEncoding('latin1');
    let buf = '';
    let data = false;
    sock.write('220 sink ESMTP\r\n');
    sock.on('data', (chunk) => {
      buf += chunk;
      for (;;) {
        if (data) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          messages.push(buf.slice(0, end + 2));
          buf = buf.slice(end + 5);
          data = false;
          sock.write('250 2.0.0 queued\r\n');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') sock.write('250-sink\r\n250-8BITMIME\r\n250 PIPELINING\r\n');
        else if (verb === 'HELO' || verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP') sock.write('250 ok\r\n');
        else if (verb === 'DATA') {
          data = true;
          sock.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          sock.end('221 bye\r\n');
          return;
        } else sock.write('502 not implemented\r\n');
      }
    });
    sock.on('error', () => {});
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', () => r(undefined)));
  const a = srv.address();
  const close = () =>
    new Promise((r) => {
      srv.close(() => r(undefined));
      for (const s of open) s.destroy();
    });
  return { port: typeof a === 'object' && a ? a.port : 0, messages, close };
}

/**
 * Delivers one RFC 5322 message into a mailbox over LMTP.
 * @param {number} port @param {string} rcpt @param {string} raw
 */
export function deliverLMTP(port, rcpt, raw) {
  return new Promise((resolveDone, reject) => {
    const sock = createConnection(port, '127.0.0.1');
    sock.setEncoding('latin1');
    sock.setTimeout(10_000, () => {
      sock.destroy();
      reject(new Error('LMTP delivery timed out'));
    });
    const steps = [
      'LHLO e2e.test',
      'MAIL FROM:<sender@e2e.test>',
      `RCPT TO:<${rcpt}>`,
      'DATA',
      raw.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..') + '\r\n.',
      'QUIT',
    ];
    let buf = '';
    sock.on('data', (chunk) => {
      buf += chunk;
      // Each reply ends with a line "NNN text" (no dash after the code).
      for (;;) {
        const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buf);
        if (!m) return;
        const code = Number(m[2]);
        buf = buf.slice(m.index + m[0].length);
        if (code >= 400) {
          sock.destroy();
          reject(new Error(`LMTP refused: ${m[0].trim()}`));
          return;
        }
        const next = steps.shift();
        if (next === undefined) {
          sock.end();
          resolveDone(undefined);
          return;
        }
        sock.write(next + '\r\n');
      }
    });
    sock.on('error', reject);
  });
}

/**
 * Starts Dovecot with submission in a fresh directory. Test user:
 * test@example.com / test.
 */
export async function startDovecot() {
  const sink = await startSink();
  const dir = mkdtempSync(join(tmpdir(), 'threadline-dovecot-'));
  chmodSync(dir, 0o755);
  const [imap, lmtp, submission] = [await freePort(), await freePort(), await freePort()];
  const log = join(tmpdir(), `${dir.split('/').pop()}.log`);
  await runScript('start.sh', [dir, String(imap), String(lmtp)], log, {
    ...process.env,
    SUBMISSION_PORT: String(submission),
    RELAY_PORT: String(sink.port),
  });
  // start.sh waits for IMAP only: wait for the submission greeting too.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const s = createConnection(submission, '127.0.0.1');
      s.once('data', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    imap,
    lmtp,
    submission,
    relayed: sink.messages,
    async stop() {
      await runScript('stop.sh', [dir], log).catch(() => {});
      await sink.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(log, { force: true });
    },
  };
}
