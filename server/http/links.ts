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
