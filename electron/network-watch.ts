/**
 * Notices when this machine's addresses change (Wi-Fi joined, cable out, VPN up, a new DHCP lease),
 * so that the links the window and tray show are not stale. Node and Electron have no event for it on
 * every platform, so os.networkInterfaces() is polled; it reads the kernel's table and costs little.
 */
import type { NetworkInterfaceInfo } from 'node:os';

export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** The addresses as one text, the same for the same set in any order. */
export function addressesKey(interfaces: Interfaces): string {
  const addresses: string[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) addresses.push(`${name} ${info.family} ${info.address}`);
  }
  return addresses.sort().join('\n');
}

export interface NetworkWatchDeps {
  read: () => Interfaces;
  onChange: () => void;
  intervalMs: number;
  setInterval?: (run: () => void, ms: number) => unknown;
  clearInterval?: (timer: unknown) => void;
}

/** Calls onChange once each time the addresses differ from the last poll's; close() stops polling. */
export class NetworkWatch {
  private last: string;
  private readonly timer: unknown;
  private readonly clear: (timer: unknown) => void;

  constructor(deps: NetworkWatchDeps) {
    this.last = addressesKey(deps.read());
    const every = deps.setInterval ?? ((run, ms) => setInterval(run, ms).unref());
    this.clear = deps.clearInterval ?? ((timer) => clearInterval(timer as NodeJS.Timeout));
    this.timer = every(() => {
      const now = addressesKey(deps.read());
      if (now === this.last) return;
      this.last = now;
      deps.onChange();
    }, deps.intervalMs);
  }

  close(): void {
    this.clear(this.timer);
  }
}
