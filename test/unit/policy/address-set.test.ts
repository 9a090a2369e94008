/**
 * AddressSet: prefix membership of rule-file literals, answered through a memo in front of
 * node:net's BlockList. The memo must never change an answer: every address is checked against
 * a BlockList built from the same literals, first and again from the memo, across more
 * distinct addresses than the memo holds (so it starts over mid-run).
 */
import { BlockList } from 'node:net';
import * as fc from 'fast-check';
import { AddressSet, type CidrLiteral, isLocalScopeAddress, parseCidrLiteral } from '../../../src/policy/address-set';

const LITERALS = ['192.0.2.0/24', '198.51.100.7', '10.0.0.0/8', '2001:db8::/32', '::ffff:203.0.113.0/120', 'fe80::/10']
  .map((t) => parseCidrLiteral(t) as CidrLiteral);

function reference(ip: string): boolean {
  const b = new BlockList();
  for (const l of LITERALS) b.addSubnet(l.address, l.prefix, l.family);
  const family = ip.includes(':') ? 'ipv6' : 'ipv4';
  try {
    return b.check(ip, family);
  } catch {
    return false; // not an address of that family: matches nothing
  }
}

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const near = fc.constantFrom('192.0.2.', '198.51.100.', '10.1.2.', '203.0.113.', '::ffff:203.0.113.', '::ffff:192.0.2.')
  .chain((p) => fc.nat(255).map((n) => p + n));
const v6 = fc.tuple(fc.constantFrom('2001:db8:', '2001:db9:', 'fe80:', 'fec0:', 'ff02:'), fc.nat(0xffff), fc.nat(0xffff))
  .map(([p, a, b]) => `${p}${a.toString(16)}::${b.toString(16)}`);
const junk = fc.constantFrom('', 'not-an-ip', '1.2.3', '1.2.3.4.5', '::g', ' 192.0.2.1', '192.0.2.1/24');

describe('AddressSet', () => {
  test('answers as a BlockList of the same literals does, first time and from its memo', () => {
    const set = new AddressSet(LITERALS);
    const seen: string[] = [];
    fc.assert(fc.property(fc.oneof(v4, near, v6, junk), (ip) => {
      seen.push(ip);
      expect(set.has(ip)).toBe(reference(ip));
      expect(set.has(ip)).toBe(reference(ip));
    }), { numRuns: 6000 });
    // Past the memo's size: earlier addresses are asked again after it started over.
    for (const ip of seen.slice(0, 500)) expect(set.has(ip)).toBe(reference(ip));
    expect(seen.some((ip) => reference(ip))).toBe(true);
    expect(seen.some((ip) => !reference(ip))).toBe(true);
  });

  test('an address of the NAT64 well-known prefix (64:ff9b::/96, RFC 6052) is tried by the IPv4 address it embeds', () => {
    const set = new AddressSet(LITERALS);
    // 198.51.100.7 = c633:6407; 192.0.2.200 = c000:02c8; 172.16.0.1 = ac10:1 (not listed)
    expect(['64:ff9b::c633:6407', '64:ff9b::198.51.100.7', '64:ff9b::c000:2c8'].map((ip) => set.has(ip))).toEqual([true, true, true]);
    expect(['64:ff9b::c633:6408', '64:ff9b::ac10:1', '64:ff9b:1::c633:6407', '64:ff9c::c633:6407'].map((ip) => set.has(ip))).toEqual([false, false, false, false]);
    // A set of IPv6 prefixes only, and the local scopes, embed nothing.
    expect(new AddressSet([parseCidrLiteral('2001:db8::/32') as CidrLiteral]).has('64:ff9b::c633:6407')).toBe(false);
    expect(isLocalScopeAddress('64:ff9b::e000:fb')).toBe(false);
  });

  test('an empty set holds nothing; local scopes are multicast, broadcast and link-local', () => {
    expect(new AddressSet([]).has('192.0.2.1')).toBe(false);
    expect(['224.0.0.251', '255.255.255.255', '169.254.1.1', 'ff02::fb', 'fe80::1'].map(isLocalScopeAddress)).toEqual([true, true, true, true, true]);
    expect(['192.0.2.1', '2001:db8::1', 'garbage'].map(isLocalScopeAddress)).toEqual([false, false, false]);
  });
});
