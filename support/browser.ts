import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, headless. Without the background-networking flags it keeps dialling hosts this
 * machine cannot reach; never `npx playwright install` (it downloads a browser).
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
    timeout: 30_000,
  });
}
