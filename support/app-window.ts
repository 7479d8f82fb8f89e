/**
 * The app's window for end-to-end tests: the built renderer served to Debian's Chromium and bridged to a
 * real AppController, as the app e2e tests each open it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { AppController } from '../electron/controller.js';
import { bridgeController } from './app-bridge.js';
import { launchChromium } from './browser.js';
import { runToExit } from './processes.js';
import { serveDirectory } from './static-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RENDERER = join(ROOT, 'renderer', 'dist');

/** Builds the renderer with Vite when this checkout has not built it yet. */
export async function ensureRendererBuilt(): Promise<void> {
  if (existsSync(join(RENDERER, 'index.html'))) return;
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const config = join(ROOT, 'renderer', 'vite.config.ts');
  const build = await runToExit(process.execPath, [vite, 'build', '--config', config], { timeoutMs: 60_000 });
  assert.equal(build.code, 0, `vite build failed: ${build.stderr}`);
}

export interface AppWindow {
  page: Page;
  /** Closes the page, the browser and the renderer's server. */
  close(): Promise<void>;
}

/** Opens the window at `viewport`; script errors and console errors of the page go into `pageErrors`. */
export async function openAppWindow(
  controller: AppController,
  viewport: { width: number; height: number },
  pageErrors: string[],
): Promise<AppWindow> {
  const site = await serveDirectory(RENDERER);
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await bridgeController(page, controller);
  await page.goto(site.url);
  return {
    page,
    async close() {
      await page.close().catch(() => {});
      await browser.close();
      await site.close();
    },
  };
}
