/**
 * Issue 7: the encrypted-DNS classifier (DoT, DoQ, DoH), the well-known resolver list it relies
 * on (every entry sourced, names canonical, addresses valid), and the strict DNS-query probe used
 * for DNS on non-DNS ports.
 */
import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { formatAddr, parseAddr } from '../../../src/net/addr';
import { classifyEncryptedDns, EncryptedDnsFacts, isPublicResolverAddress } from '../../../src/extract/encrypted-dns';
import { DOH_RESOLVERS, dohResolverForName } from '../../../src/extract/doh-resolvers';
import { probeDnsQuery } from '../../../src/extract/dns-probe';
import { dnsMessage, DNS_A } from '../../helpers/packets';

const base: EncryptedDnsFacts = { proto: 'tcp', app: 'tls', remoteIp: '203.0.113.9', remotePort: 443, sni: 'www.example.com', alpn: ['h2'], answerNames: null };

describe('classifyEncryptedDns', () => {
  test('DoT: TLS on TCP 853 (RFC 7858), with or without SNI; or ALPN "dot" on another port', () => {
    expect(classifyEncryptedDns({ ...base, remotePort: 853, sni: null, alpn: null })).toBe('dot');
    expect(classifyEncryptedDns({ ...base, remotePort: 853, sni: 'dns.google' })).toBe('dot');
    expect(classifyEncryptedDns({ ...base, remotePort: 8853, alpn: ['dot'] })).toBe('dot');
  });

  test('DoQ: QUIC on UDP 853 (RFC 9250), or ALPN doq / doq-iNN on any port', () => {
    expect(classifyEncryptedDns({ ...base, proto: 'udp', app: 'quic', remotePort: 853, alpn: null })).toBe('doq');
    expect(classifyEncryptedDns({ ...base, proto: 'udp', app: 'quic', remotePort: 784, alpn: ['doq-i00'] })).toBe('doq');
    expect(classifyEncryptedDns({ ...base, proto: 'udp', app: 'quic', remotePort: 8853, alpn: ['doq'] })).toBe('doq');
  });

  test('DoH: TLS or QUIC whose SNI is a listed resolver endpoint (exact or per-customer suffix)', () => {
    expect(classifyEncryptedDns({ ...base, sni: 'mozilla.cloudflare-dns.com' })).toBe('doh');
    expect(classifyEncryptedDns({ ...base, sni: 'DNS.Google.' })).toBe('doh');
    expect(classifyEncryptedDns({ ...base, sni: 'abc123.dns.nextdns.io' })).toBe('doh');
    expect(classifyEncryptedDns({ ...base, proto: 'udp', app: 'quic', sni: 'dns.quad9.net', alpn: ['h3'] })).toBe('doh');
  });

  test('DoH: no SNI, a DNS-answer name of a resolver, or (no name at all) a resolver anycast address on 443', () => {
    expect(classifyEncryptedDns({ ...base, sni: null, answerNames: ['cloudflare-dns.com'] })).toBe('doh');
    expect(classifyEncryptedDns({ ...base, sni: null, remoteIp: '1.1.1.1' })).toBe('doh');
    expect(classifyEncryptedDns({ ...base, sni: null, remoteIp: '2001:4860:4860::8888' })).toBe('doh');
    expect(classifyEncryptedDns({ ...base, sni: null, remoteIp: '45.90.28.17' })).toBe('doh'); // NextDNS /24
  });

  test('not encrypted DNS: another SNI on a resolver address, a resolver address off 443, other apps', () => {
    expect(classifyEncryptedDns({ ...base, sni: 'www.example.com', remoteIp: '1.1.1.1' })).toBeNull();
    expect(classifyEncryptedDns({ ...base, sni: null, remoteIp: '8.8.8.8', remotePort: 8443 })).toBeNull();
    expect(classifyEncryptedDns({ ...base, sni: null, answerNames: ['cdn.example.net'], remoteIp: '1.1.1.1' })).toBeNull();
    expect(classifyEncryptedDns({ ...base, app: 'http', remotePort: 853 })).toBeNull();
    expect(classifyEncryptedDns({ ...base, app: null, remotePort: 853 })).toBeNull();
    expect(classifyEncryptedDns(base)).toBeNull();
  });
});

describe('the well-known resolver list', () => {
  test('every provider cites an https source and lists something', () => {
    for (const r of DOH_RESOLVERS) {
      expect(r.source).toMatch(/^https:\/\//);
      expect(r.names.length + r.suffixes.length + r.addresses.length).toBeGreaterThan(0);
    }
  });

  test('names are lowercase without a trailing dot, and appear once', () => {
    const all = DOH_RESOLVERS.flatMap((r) => [...r.names, ...r.suffixes]);
    for (const n of all) expect(n).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/);
    expect(new Set(DOH_RESOLVERS.flatMap((r) => r.names)).size).toBe(DOH_RESOLVERS.flatMap((r) => r.names).length);
  });

  test('addresses are valid addresses or prefixes', () => {
    for (const a of DOH_RESOLVERS.flatMap((r) => r.addresses)) {
      const [addr, bits] = a.split('/');
      expect(isIP(addr)).not.toBe(0);
      if (bits !== undefined) expect(Number(bits)).toBeLessThanOrEqual(isIP(addr) === 4 ? 32 : 128);
      expect(isPublicResolverAddress(addr)).toBe(true);
    }
  });

  test('address matching agrees with node:net BlockList on addresses in, next to and far from every listed prefix', () => {
    const ref = new BlockList();
    for (const a of DOH_RESOLVERS.flatMap((r) => r.addresses)) {
      const [addr, bits] = a.split('/');
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      ref.addSubnet(addr, bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits), family);
    }
    const listed = DOH_RESOLVERS.flatMap((r) => r.addresses).map((a) => parseAddr(a.split('/')[0])!);
    fc.assert(fc.property(fc.nat(listed.length - 1), fc.nat(3), fc.integer({ min: 0, max: 31 }), fc.boolean(), (i, word, bit, far) => {
      const a = listed[i];
      const w = [...a.w] as [number, number, number, number];
      const k = a.v === 4 ? 3 : word;
      w[k] = (w[k] ^ (far ? 0x80000000 >>> bit : 1 << bit)) >>> 0;
      const text = formatAddr(a.v, w[0], w[1], w[2], w[3]);
      expect(isPublicResolverAddress(text)).toBe(ref.check(text, a.v === 4 ? 'ipv4' : 'ipv6'));
    }), { numRuns: 2000 });
    expect(isPublicResolverAddress('not an address')).toBe(false);
    expect(isPublicResolverAddress('')).toBe(false);
  });

  test('covers the providers the issue names, Mozilla TRR included', () => {
    for (const n of ['dns.google', 'cloudflare-dns.com', 'mozilla.cloudflare-dns.com', 'dns.quad9.net', 'dns.adguard-dns.com', 'dns.nextdns.io', 'doh.opendns.com', 'doh.cleanbrowsing.org', 'firefox.dns.nextdns.io']) {
      expect(dohResolverForName(n)).not.toBeNull();
    }
    expect(dohResolverForName('google.com')).toBeNull();
    expect(dohResolverForName('nextdns.io')).toBeNull(); // the suffix needs a label in front
  });
});

describe('probeDnsQuery (DNS on a port that is not a DNS port)', () => {
  test('accepts one standard query, with or without an EDNS OPT record', () => {
    expect(probeDnsQuery(dnsMessage(7, false, 'update.vendor.example', DNS_A), 0, dnsMessage(7, false, 'update.vendor.example', DNS_A).length)).toBe(true);
    const q = dnsMessage(8, false, 'a.example', DNS_A);
    const withOpt = new Uint8Array(q.length + 11);
    withOpt.set(q);
    withOpt[11] = 1; // ARCOUNT 1
    withOpt.set([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0], q.length); // root, OPT, 4096, TTL 0, RDLEN 0
    expect(probeDnsQuery(withOpt, 0, withOpt.length)).toBe(true);
  });

  test('accepts what follows the question unread: padding and additional records (DNSCrypt v1 certificate queries)', () => {
    // nDPI's dnscrypt-v1-and-resolver-pings: a TXT query for 2.dnscrypt-cert.<provider> on UDP
    // 443, ARCOUNT 1 with a TYPE 0 record, zero-padded to 512 bytes; tshark's DNS heuristic takes it.
    const q = dnsMessage(0x0762, false, '2.dnscrypt-cert.example', 16);
    const padded = new Uint8Array(512);
    padded.set(q);
    padded[11] = 1;
    padded.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xc3], q.length);
    expect(probeDnsQuery(padded, 0, padded.length)).toBe(true);
    const tenAdditional = q.slice();
    tenAdditional[11] = 10;
    expect(probeDnsQuery(tenAdditional, 0, tenAdditional.length)).toBe(true);
    const elevenAdditional = q.slice();
    elevenAdditional[11] = 11;
    expect(probeDnsQuery(elevenAdditional, 0, elevenAdditional.length)).toBe(false);
  });

  test('accepts what tshark\'s heuristic takes from real stacks: class CH (version.bind), the mDNS unicast-response bit, DNS-SD names with spaces and UTF-8', () => {
    const chaos = dnsMessage(7, false, 'version.bind', 16);
    chaos[chaos.length - 1] = 3; // QCLASS CH
    expect(probeDnsQuery(chaos, 0, chaos.length)).toBe(true);
    const qu = dnsMessage(7, false, 'printer.local', 33);
    qu[qu.length - 2] = 0x80; // QCLASS IN with the QU bit
    expect(probeDnsQuery(qu, 0, qu.length)).toBe(true);
    const instance = dnsMessage(7, false, 'x._ipp._tcp.local', 33);
    const withText = new Uint8Array([...instance.subarray(0, 12), 20, ...Buffer.from('John\u2019s Living Room', 'utf8'), ...instance.subarray(14)]);
    expect(Buffer.from('John\u2019s Living Room', 'utf8').length).toBe(20);
    expect(probeDnsQuery(withText, 0, withText.length)).toBe(true);
  });

  test('rejects responses, answers, pointers, odd counts, bad questions and random bytes', () => {
    const r = dnsMessage(7, true, 'a.example', DNS_A, [{ name: 'a.example', type: DNS_A, ttl: 60, data: '192.0.2.1' }]);
    expect(probeDnsQuery(r, 0, r.length)).toBe(false);
    const q = dnsMessage(7, false, 'a.example', DNS_A);
    const withAnswer = q.slice();
    withAnswer[7] = 1; // ANCOUNT 1 in a query
    expect(probeDnsQuery(withAnswer, 0, withAnswer.length)).toBe(false);
    const unprintable = q.slice();
    unprintable[13] = 0x07; // a control byte inside the first label
    expect(probeDnsQuery(unprintable, 0, unprintable.length)).toBe(false);
    const csnet = q.slice();
    csnet[csnet.length - 1] = 2; // QCLASS CS (obsolete): no query carries it
    expect(probeDnsQuery(csnet, 0, csnet.length)).toBe(false);
    const typeZero = q.slice();
    typeZero[typeZero.length - 3] = 0; // QTYPE 0
    expect(probeDnsQuery(typeZero, 0, typeZero.length)).toBe(false);
    const strayContinuation = q.slice();
    strayContinuation[13] = 0x80; // a UTF-8 continuation byte with no lead byte
    expect(probeDnsQuery(strayContinuation, 0, strayContinuation.length)).toBe(false);
    const overlong = q.slice();
    overlong.set([0xc0, 0xa1], 13); // an overlong encoding of '!'
    expect(probeDnsQuery(overlong, 0, overlong.length)).toBe(false);
    expect(probeDnsQuery(q, 0, q.length - 1)).toBe(false); // the question's class cut off
    const ptr = q.slice();
    ptr[12] = 0xc0;
    expect(probeDnsQuery(ptr, 0, ptr.length)).toBe(false);
    const two = q.slice();
    two[5] = 2;
    expect(probeDnsQuery(two, 0, two.length)).toBe(false);
    let seed = 1;
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(17 + (i % 80));
      for (let j = 0; j < b.length; j++) b[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      expect(probeDnsQuery(b, 0, b.length)).toBe(false);
    }
    expect(probeDnsQuery(q, 0, 10)).toBe(false);
    expect(probeDnsQuery(q, 5, q.length)).toBe(false); // out of bounds: never reads past the buffer
  });
});
