import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { APP_CSP, APP_INDEX_URL, APP_ORIGIN, appFilePath, appResponse } from './app-protocol.js';

// The built renderer (npm test builds it first).
const ROOT = fileURLToPath(new URL('../../renderer/dist', import.meta.url));

describe('the mkvcast:// scheme of the window', () => {
  it('serves the built page with its type, the CSP and nosniff', async () => {
    const response = await appResponse(APP_INDEX_URL, ROOT);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('content-security-policy'), APP_CSP);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const html = await response.text();
    const script = /<script type="module" crossorigin src="\.\/(assets\/[^"]+\.js)"/.exec(html);
    assert.ok(script, 'the page loads its script by a relative URL');
    const js = await appResponse(`${APP_ORIGIN}/${script[1]}`, ROOT);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  });

  it("the header CSP is the page's own meta CSP, with framing forbidden too", () => {
    const html = readFileSync(join(ROOT, 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    assert.equal(`${meta}; frame-ancestors 'none'`, APP_CSP);
    assert.doesNotMatch(APP_CSP, /unsafe-inline|unsafe-eval|\*/);
  });

  it('reaches nothing outside the built renderer', async () => {
    for (const url of [
      `${APP_ORIGIN}/../package.json`,
      `${APP_ORIGIN}/%2e%2e/package.json`,
      `${APP_ORIGIN}/%2e%2e%2fpackage.json`,
      `${APP_ORIGIN}/assets/..%2f..%2fpackage.json`,
      `${APP_ORIGIN}/..%5c..%5cpackage.json`,
      `${APP_ORIGIN}/index.html%00.png`,
      `${APP_ORIGIN}/%E0%A4%A`,
      'mkvcast://other/index.html',
      'file:///etc/passwd',
    ]) {
      const path = appFilePath(url, ROOT);
      assert.ok(path === null || path.startsWith(`${ROOT}/`), `${url} → ${path}`);
      const response = await appResponse(url, ROOT);
      assert.ok([403, 404].includes(response.status), `${url}: ${response.status}`);
    }
    assert.equal((await appResponse(`${APP_ORIGIN}/assets/`, ROOT)).status, 404, 'a folder is not a file');
    assert.equal((await appResponse(`${APP_ORIGIN}/nothing.js`, ROOT)).status, 404);
    assert.equal((await appResponse(`${APP_ORIGIN}/x.exe`, ROOT)).status, 404, 'only web files');
  });
});
