import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { addressesKey, NetworkWatch, type Interfaces } from './network-watch.js';

const v4 = (address: string): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal: false,
  cidr: `${address}/24`,
});

describe('NetworkWatch', () => {
  it('the same addresses in another order are the same; a new or changed one is not', () => {
    const a = { eth0: [v4('192.168.1.2')], wlan0: [v4('10.0.0.5')] };
    const b = { wlan0: [v4('10.0.0.5')], eth0: [v4('192.168.1.2')] };
    assert.equal(addressesKey(a), addressesKey(b));
    assert.notEqual(addressesKey(a), addressesKey({ ...a, wlan0: [v4('10.0.0.6')] }));
    assert.notEqual(addressesKey(a), addressesKey({ eth0: [v4('192.168.1.2')] }));
  });

  it('tells once per change, not on polls that find the same addresses, and stops on close', () => {
    let interfaces: Interfaces = { eth0: [v4('192.168.1.2')] };
    let tick: (() => void) | null = null;
    let cleared = false;
    let changes = 0;
    const watch = new NetworkWatch({
      read: () => interfaces,
      onChange: () => changes++,
      intervalMs: 5000,
      setInterval: (run, ms) => {
        assert.equal(ms, 5000);
        tick = run;
        return 'timer';
      },
      clearInterval: (timer) => {
        assert.equal(timer, 'timer');
        cleared = true;
      },
    });
    const poll = (): void => (tick as unknown as () => void)();
    poll();
    assert.equal(changes, 0);
    interfaces = { eth0: [v4('192.168.1.2')], tun0: [v4('10.8.0.1')] };
    poll();
    poll();
    assert.equal(changes, 1);
    interfaces = {};
    poll();
    assert.equal(changes, 2);
    watch.close();
    assert.ok(cleared);
  });
});
