import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Browser tests need Debian's Chromium (`apt-get install -y chromium`); CI installs it. */
export const hasChromium = existsSync(CHROMIUM);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Signs a browser in to the console. The simulator's phone acts as a fan only for a console user
 * of the merchant that owns the account, as a developer using it would be.
 */
export async function signInConsole(
  context: BrowserContext,
  base: string,
  login: { email: string; password: string },
): Promise<void> {
  const response = await context.request.post(`${base}/api/v1/auth/login`, { data: login });
  if (!response.ok())
    throw new Error(`console sign-in failed: ${response.status()} ${await response.text()}`);
}
