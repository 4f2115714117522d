import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import type { TesseraConfig } from '../../src/config.js';
import { ADMIN_PASSWORD, type TestServer, startTestServer } from '../support/server.js';

/** Debian's Chromium, driven headless by playwright-core. */
const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'];

/** One Tessera server and one Chromium profile that loads only that server's pages. */
export interface PanelHarness {
  server: TestServer;
  context: BrowserContext;
  page: Page;
  /** Console messages of type error, and uncaught page errors, in the order they happened. */
  errors: string[];
  /** Requests the browser tried to send to any origin other than the test server and the allowed ones; they are aborted. */
  foreignRequests: string[];
  /** Stops the browser and the server and removes their folders; safe to call twice. */
  close(): Promise<void>;
}

// Records Content-Security-Policy violations in the page, before any of its scripts run.
const RECORD_CSP_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline') + ' ' + (event.sourceFile || '') + ':' + event.lineNumber);
  });
`;

export interface PanelOptions {
  /** Server settings over the test defaults. */
  config?: Partial<TesseraConfig>;
  /** Other servers that the tests started on loopback, such as an identity provider, which the browser may reach too. */
  allowedOrigins?: string[];
}

/** Accepts only http origins on 127.0.0.1, so that no test lets the browser reach beyond the machine. */
function loopbackOrigin(origin: string): string {
  const url = new URL(origin);
  if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1' || url.origin !== origin) {
    throw new Error(`allowedOrigins may list only http://127.0.0.1:<port> origins; got "${origin}"`);
  }
  return origin;
}

/** Starts a test server and a headless Chromium with a new, empty profile. */
export async function openPanel(options: PanelOptions = {}): Promise<PanelHarness> {
  const allowedOrigins = (options.allowedOrigins ?? []).map(loopbackOrigin);
  const server = await startTestServer({ config: options.config });
  const profileDirectory = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  let context: BrowserContext | undefined;

  const close = async () => {
    await context?.close().catch(() => undefined);
    context = undefined;
    await server.close();
    rmSync(profileDirectory, { recursive: true, force: true });
  };

  try {
    context = await chromium.launchPersistentContext(profileDirectory, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      timezoneId: 'Europe/Berlin',
    });
  } catch (error) {
    await close();
    throw error;
  }

  const errors: string[] = [];
  const foreignRequests: string[] = [];
  const origins = [new URL(server.baseUrl).origin, ...allowedOrigins];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (origins.some((origin) => url.startsWith(`${origin}/`)) || url.startsWith('data:')) return route.continue();
    foreignRequests.push(url);
    return route.abort();
  });
  await context.addInitScript(RECORD_CSP_VIOLATIONS);

  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));

  return { server, context, page, errors, foreignRequests, close };
}

/** Returns the CSP violations the current document has recorded. */
export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations ?? []);
}

/** Signs in through the sign-in page and waits for the page it leads to. */
export async function signIn(harness: PanelHarness, path = '/service-accounts', username = 'admin', password = ADMIN_PASSWORD): Promise<void> {
  const { page, server } = harness;
  await page.goto(`${server.baseUrl}${path}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/sign-in');
}

/**
 * Takes a full-page screenshot. The PNG is written only when TESSERA_SCREENSHOT_DIR names a
 * folder, so that ordinary test runs leave the repository unchanged.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const image = await page.screenshot({ fullPage: true });
  const directory = process.env.TESSERA_SCREENSHOT_DIR;
  if (!directory) return;
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, `${name}.png`), image);
}

/** Waits until the page's table shows the response to its latest query, not rows kept from the one before. */
export async function waitForTable(page: Page): Promise<void> {
  await page.locator('.table-wrap[aria-busy="false"]').first().waitFor();
}

/** Reads the payload of a JWT without checking its signature, to look at the claims. */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}
