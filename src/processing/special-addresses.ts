import { BlockList, isIP } from 'node:net';

/**
 * Addresses a URL import must never reach: every special-purpose block of the IANA IPv4 and
 * IPv6 registries (loopback, private, link-local and cloud metadata, shared, documentation,
 * benchmarking, multicast, reserved), the deprecated IPv6 site-local and IPv4-compatible
 * blocks, and any IPv6 form that carries a forbidden IPv4 address inside it (mapped,
 * translated, NAT64, 6to4).
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // shared address space (CGNAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.31.196.0', 24], // AS112
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['192.175.48.0', 24], // direct delegation AS112
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the limited broadcast address
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, and deprecated IPv4-compatible addresses
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo among them)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/** The 16 bytes of an IPv6 address in any textual form (with `::` and a dotted IPv4 tail); undefined if it is not one. */
export function ipv6Bytes(address: string): Uint8Array | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.split('%')[0] ?? '';
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    text = `${text.slice(0, -dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : zeros).fill('0'), ...tailGroups];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    const value = Number.parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, index) => bytes[index] === byte);
}

function ipv4At(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

const TEN_ZEROS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** The IPv4 address an IPv6 address stands for or tunnels to, by the forms that embed one. */
export function embeddedIPv4(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, [...TEN_ZEROS, 0xff, 0xff])) return ipv4At(bytes, 12); // ::ffff:a.b.c.d (mapped)
  if (startsWith(bytes, [...TEN_ZEROS.slice(0, 8), 0xff, 0xff, 0, 0])) return ipv4At(bytes, 12); // ::ffff:0:a.b.c.d (translated)
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return ipv4At(bytes, 12); // 64:ff9b::a.b.c.d (NAT64)
  if (startsWith(bytes, [0x20, 0x02])) return ipv4At(bytes, 2); // 2002:AABB:CCDD:: (6to4)
  return undefined;
}

export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family !== 6) return true;
  const bytes = ipv6Bytes(address);
  if (bytes === undefined) return true;
  const inner = embeddedIPv4(bytes);
  if (inner !== undefined && FORBIDDEN.check(inner, 'ipv4')) return true;
  if (startsWith(bytes, [...TEN_ZEROS, 0xff, 0xff])) return false; // a mapped public IPv4 address: judged above
  return FORBIDDEN.check(address, 'ipv6');
}
