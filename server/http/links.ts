import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export interface ShareLink {
  url: string;
  address: string;
  /** Interface name (eth0, wlan0, Wi-Fi, …), or `loopback`. */
  interfaceName: string;
  family: 'IPv4' | 'IPv6';
}

function isPrivateIPv4(address: string): boolean {
  const [a, b] = address.split('.').map(Number);
  return a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31);
}

function rank(link: ShareLink): number {
  if (link.family === 'IPv4' && isPrivateIPv4(link.address)) return 0;
  if (link.family === 'IPv4' && !link.address.startsWith('169.254.')) return 1;
  if (link.family === 'IPv6' && !link.address.toLowerCase().startsWith('fe80:')) return 2;
  return 3;
}

function urlFor(address: string, family: 'IPv4' | 'IPv6', port: number, path: string): string {
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}${path}`;
}

/**
 * The links to send people: one per address this server is reachable on, LAN-looking addresses
 * (192.168/16, 10/8, 172.16/12) first. Link-local IPv6 needs a zone id to be usable and is left out.
 */
export function shareableLinks(
  host: string,
  port: number,
  path: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): ShareLink[] {
  const anyV4 = host === '0.0.0.0';
  const anyV6 = host === '::';
  if (!anyV4 && !anyV6) {
    const family = host.includes(':') ? 'IPv6' : 'IPv4';
    return [{ url: urlFor(host, family, port, path), address: host, interfaceName: 'configured', family }];
  }
  const links: ShareLink[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      const family = info.family === 'IPv6' ? 'IPv6' : 'IPv4';
      if (family === 'IPv6' && (anyV4 || info.address.toLowerCase().startsWith('fe80:'))) continue;
      links.push({
        url: urlFor(info.address, family, port, path),
        address: info.address,
        interfaceName: name,
        family,
      });
    }
  }
  links.sort((a, b) => rank(a) - rank(b));
  if (links.length === 0) {
    links.push({
      url: urlFor('127.0.0.1', 'IPv4', port, path),
      address: '127.0.0.1',
      interfaceName: 'loopback',
      family: 'IPv4',
    });
  }
  return links;
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * The `host:port` to put in the links of a page answering a request that reached this server on
 * `localAddress`. The request's Host header is used only when it names this server (one of its
 * addresses, `localhost` or `names`) and its port: anything else (`Host: evil.example`) would put
 * another machine in the links people copy. Otherwise the address the request came in on.
 */
export function linkHost(
  hostHeader: string | undefined,
  localAddress: string,
  port: number,
  names: readonly string[] = [],
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string {
  const local = unmapped(localAddress);
  const own = local.includes(':') ? `[${local}]:${port}` : `${local}:${port}`;
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d+))?$/.exec(hostHeader ?? '');
  if (!match || Number(match[2] ?? 80) !== port) return own;
  const name = match[1].toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const ours = new Set(['localhost', local.toLowerCase(), ...names.map((n) => n.toLowerCase())]);
  for (const infos of Object.values(interfaces))
    for (const info of infos ?? []) ours.add(info.address.toLowerCase());
  return ours.has(name) ? (hostHeader as string) : own;
}
