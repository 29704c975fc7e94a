// Starts the real `threadline serve` binary on a free port with a throw-away
// data directory, so the browser tests exercise the same bundle, auth and API
// a user gets.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** Absolute path of frontend/, whatever the current directory is. */
export const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where screenshots go: build/screenshots next to frontend/. */
export const screenshotDir = resolve(frontendDir, '..', 'build', 'screenshots');

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The binary under test; THREADLINE_BIN wins, relative paths resolve against frontend/. */
export function binaryPath() {
  return resolve(frontendDir, process.env.THREADLINE_BIN || '../build/bin/threadline');
}

/** Reason the suite cannot run here, or null when it can. */
export function missingPrerequisite() {
  if (!existsSync(binaryPath())) return `threadline binary not found at ${binaryPath()} (build it or set THREADLINE_BIN)`;
  if (!existsSync(chromiumPath)) return `Chromium not found at ${chromiumPath}`;
  return null;
}

export function ensureScreenshotDir() {
  mkdirSync(screenshotDir, { recursive: true });
  return screenshotDir;
}

/**
 * @typedef {object} Server
 * @property {string} url      one-time login URL; visiting it sets the session cookie and redirects to /
 * @property {string} token    API token for `Authorization: Bearer`
 * @property {string} baseURL  origin the server listens on, e.g. http://127.0.0.1:41234
 * @property {string} dataDir  the fresh data directory
 * @property {() => string} output everything the server printed so far
 * @property {() => Promise<void>} stop SIGTERM, wait for exit, remove the data directory
 */

/**
 * @param {{ timeoutMs?: number, extraArgs?: string[] }} [options]
 * @returns {Promise<Server>}
 */
export async function startServer(options = {}) {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const bin = binaryPath();
  const dataDir = mkdtempSync(join(tmpdir(), 'threadline-e2e-'));
  const args = ['serve', '--addr', '127.0.0.1:0', '--data', dataDir, ...(options.extraArgs ?? [])];

  const child = spawn(bin, args, {
    cwd: frontendDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });

  /** @type {string[]} */
  const lines = [];
  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });

  const ready = new Promise((resolveReady, rejectReady) => {
    /** @type {string | undefined} */
    let url;
    /** @type {string | undefined} */
    let token;
    /** @param {string} line */
    const onLine = (line) => {
      lines.push(line);
      if (process.env.THREADLINE_E2E_VERBOSE) process.stderr.write(`[threadline] ${line}\n`);
      // Lines may carry a log prefix, so match anywhere in the line.
      const open = /\bOpen:\s+(\S+)/.exec(line);
      if (open && !url) url = open[1];
      const tok = /\bAPI token:\s+(\S+)/.exec(line);
      if (tok && !token) token = tok[1];
      if (url && token) resolveReady({ url, token });
    };
    // The login URL is documented to go to stdout; read stderr as well so a
    // logger writing there does not hang the suite.
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', rejectReady);
    void exited.then((/** @type {{code: number|null, signal: string|null}} */ { code, signal }) =>
      rejectReady(new Error(`threadline exited early (code ${code}, signal ${signal})\n${lines.join('\n')}`)),
    );
  });

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timeout = new Promise((_, rejectTimeout) => {
    timer = setTimeout(
      () =>
        rejectTimeout(
          new Error(`no "Open:" and "API token:" lines from ${bin} within ${timeoutMs} ms\n${lines.join('\n')}`),
        ),
      timeoutMs,
    );
  });

  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killTimer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }

  try {
    const { url, token } = /** @type {{url: string, token: string}} */ (await Promise.race([ready, timeout]));
    return { url, token, baseURL: new URL(url).origin, dataDir, output: () => lines.join('\n'), stop };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Launches Debian's Chromium with a light-mode page of the given size,
 * collects the page's uncaught errors into pageErrors, and signs in with the
 * server's one-time login URL (which sets the session cookie and redirects
 * to the app). prepare runs on the context before the page exists, for
 * route stubs.
 * @param {Server} server
 * @param {{ viewport: { width: number, height: number }, pageErrors: string[],
 *   prepare?: (context: import('playwright-core').BrowserContext) => Promise<unknown> }} options
 */
export async function openBrowser(server, { viewport, pageErrors, prepare }) {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  if (prepare) await prepare(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.goto(server.url);
  await page.waitForURL((u) => u.origin === server.baseURL && u.pathname === '/', { timeout: 15_000 });
  return { browser, context, page };
}
