import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { linkHost, shareableLinks } from './links.js';

function iface(address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo {
  const common = { address, netmask: '', mac: '00:00:00:00:00:00', internal, cidr: null };
  return family === 'IPv4' ? { ...common, family } : { ...common, family, scopeid: 0 };
}

describe('shareableLinks', () => {
  const interfaces = {
    lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
    docker0: [iface('100.64.0.1', 'IPv4')],
    wlan0: [iface('192.168.1.20', 'IPv4'), iface('fe80::1', 'IPv6'), iface('2001:db8::20', 'IPv6')],
    eth0: [iface('10.0.0.5', 'IPv4')],
  };

  it('lists every non-internal IPv4 address, LAN-looking ones first, with the interface name', () => {
    const links = shareableLinks('0.0.0.0', 8080, '/live.mkv', interfaces);
    assert.deepEqual(
      links.map((l) => `${l.url} ${l.interfaceName}`),
      [
        'http://192.168.1.20:8080/live.mkv wlan0',
        'http://10.0.0.5:8080/live.mkv eth0',
        'http://100.64.0.1:8080/live.mkv docker0',
      ],
    );
  });

  it('adds global IPv6 addresses (bracketed) when listening on ::, never link-local ones', () => {
    const links = shareableLinks('::', 8080, '/t/live.mkv', interfaces);
    assert.ok(links.some((l) => l.url === 'http://[2001:db8::20]:8080/t/live.mkv'));
    assert.ok(!links.some((l) => l.address.startsWith('fe80')));
  });

  it('a specific host is the one link; no network at all falls back to loopback', () => {
    assert.deepEqual(
      shareableLinks('192.168.1.20', 9000, '/live.mkv', interfaces).map((l) => l.url),
      ['http://192.168.1.20:9000/live.mkv'],
    );
    assert.deepEqual(
      shareableLinks('0.0.0.0', 9000, '/live.mkv', { lo: interfaces.lo }).map((l) => l.url),
      ['http://127.0.0.1:9000/live.mkv'],
    );
  });
});

describe('linkHost', () => {
  const interfaces = {
    lo: [iface('127.0.0.1', 'IPv4', true)],
    wlan0: [iface('192.168.1.20', 'IPv4'), iface('2001:db8::20', 'IPv6')],
  };
  const host = (header: string | undefined, local = '192.168.1.20'): string =>
    linkHost(header, local, 8080, ['mybox.local'], interfaces);

  it('keeps a Host that names this server and its port', () => {
    assert.equal(host('192.168.1.20:8080'), '192.168.1.20:8080');
    assert.equal(host('[2001:db8::20]:8080'), '[2001:db8::20]:8080');
    assert.equal(host('localhost:8080', '127.0.0.1'), 'localhost:8080');
    assert.equal(host('MyBox.local:8080'), 'MyBox.local:8080');
  });

  it('puts the address the request came in on instead of any other Host', () => {
    assert.equal(host('evil.example'), '192.168.1.20:8080');
    assert.equal(host('evil.example:8080'), '192.168.1.20:8080');
    assert.equal(host('192.168.1.20:9999'), '192.168.1.20:8080', 'another port is another server');
    assert.equal(host('192.168.1.20'), '192.168.1.20:8080', 'no port is port 80');
    assert.equal(host(undefined, '::ffff:127.0.0.1'), '127.0.0.1:8080');
    assert.equal(host('x"><script>', '2001:db8::20'), '[2001:db8::20]:8080');
  });
});
