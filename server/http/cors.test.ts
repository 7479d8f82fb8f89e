import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corsHeaders, CorsOriginError, parseCorsOrigin } from './cors.js';

describe('CORS', () => {
  it('takes an origin (scheme, host, port) and refuses anything else', () => {
    assert.equal(parseCorsOrigin('http://192.168.1.5:3000'), 'http://192.168.1.5:3000');
    assert.equal(parseCorsOrigin('https://Example.org'), 'https://example.org');
    for (const bad of ['*', 'example.org', 'ftp://x', 'http://x/page', 'http://x?a=1', 'http://u:p@x', ''])
      assert.throws(() => parseCorsOrigin(bad), CorsOriginError, bad);
  });

  it('allows nothing by default, and only the configured origin when one is', () => {
    assert.deepEqual(corsHeaders(null, 'http://evil.example'), {});
    assert.deepEqual(corsHeaders('http://a:1', 'http://evil.example'), { Vary: 'Origin' });
    assert.deepEqual(corsHeaders('http://a:1', 'http://a:1'), {
      'Access-Control-Allow-Origin': 'http://a:1',
      Vary: 'Origin',
    });
  });
});
