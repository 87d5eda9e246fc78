import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddedIPv4, ipv6Bytes, isForbiddenAddress } from '../src/processing/special-addresses.ts';

/** [address, forbidden, why] */
const TABLE: [string, boolean, string][] = [
  ['127.0.0.1', true, 'loopback'],
  ['10.1.2.3', true, 'private'],
  ['172.31.255.255', true, 'private'],
  ['192.168.1.1', true, 'private'],
  ['169.254.169.254', true, 'cloud metadata'],
  ['100.64.0.1', true, 'shared (CGNAT)'],
  ['0.0.0.0', true, 'this network'],
  ['192.0.0.8', true, 'IETF protocol assignments'],
  ['192.0.2.10', true, 'documentation'],
  ['198.51.100.7', true, 'documentation'],
  ['203.0.113.9', true, 'documentation'],
  ['198.18.0.1', true, 'benchmarking'],
  ['192.88.99.1', true, '6to4 relay anycast'],
  ['224.0.0.1', true, 'multicast'],
  ['255.255.255.255', true, 'broadcast'],
  ['240.0.0.1', true, 'reserved'],
  ['::', true, 'unspecified'],
  ['::1', true, 'loopback'],
  ['::ffff:127.0.0.1', true, 'mapped loopback'],
  ['::ffff:7f00:1', true, 'mapped loopback, hex'],
  ['::ffff:0:7f00:1', true, 'translated loopback'],
  ['::ffff:0:a9fe:a9fe', true, 'translated metadata'],
  ['::7f00:1', true, 'IPv4-compatible (deprecated)'],
  ['::8.8.8.8', true, 'IPv4-compatible (deprecated), even of a public address'],
  ['64:ff9b::7f00:1', true, 'NAT64 of loopback'],
  ['64:ff9b::a00:1', true, 'NAT64 of private'],
  ['64:ff9b:1::1', true, 'local-use translation'],
  ['2002:7f00:1::', true, '6to4 of loopback'],
  ['2002:c0a8:101::1', true, '6to4 of private'],
  ['2001::1', true, 'Teredo'],
  ['2001:db8::1', true, 'documentation'],
  ['3fff::1', true, 'documentation'],
  ['100::1', true, 'discard'],
  ['5f00::1', true, 'segment routing'],
  ['fc00::1', true, 'unique local'],
  ['fd12:3456::1', true, 'unique local'],
  ['fe80::1', true, 'link-local'],
  ['fe80::1%eth0', true, 'link-local with zone'],
  ['fec0::1', true, 'site-local (deprecated)'],
  ['ff02::1', true, 'multicast'],
  ['not-an-address', true, 'not an address at all'],
  ['8.8.8.8', false, 'public'],
  ['93.184.216.34', false, 'public'],
  ['2606:4700::6810:85e5', false, 'public'],
  ['2a00:1450:4001:82a::200e', false, 'public'],
  ['::ffff:8.8.8.8', false, 'mapped public'],
  ['64:ff9b::808:808', false, 'NAT64 of a public address'],
  ['2002:808:808::1', false, '6to4 of a public address'],
];

describe('special-purpose addresses URL imports refuse', () => {
  for (const [address, forbidden, why] of TABLE) {
    it(`${address} (${why}) is ${forbidden ? 'refused' : 'allowed'}`, () => {
      assert.equal(isForbiddenAddress(address), forbidden);
    });
  }

  it('reads every IPv6 text form to the same bytes', () => {
    const same = ['::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:1', '0000:0000:0000:0000:0000:ffff:7f00:0001'];
    const bytes = same.map((form) => Buffer.from(ipv6Bytes(form) ?? []).toString('hex'));
    assert.deepEqual(new Set(bytes).size, 1, bytes.join());
    assert.equal(embeddedIPv4(ipv6Bytes('2002:c0a8:101::1') as Uint8Array), '192.168.1.1');
    assert.equal(embeddedIPv4(ipv6Bytes('2606:4700::6810:85e5') as Uint8Array), undefined);
  });
});
