/**
 * Address text: RFC 5952 formatting (every §4 rule, §5 mapped addresses), parsing of user
 * input, CIDR matching and scope classification.
 */
import fc from 'fast-check';
import {
  AddrTextCache,
  Scope, cidrContains, classify, formatAddr, formatIpv4, formatIpv6, parseAddr, parseCidr, parseIpv4, parseIpv6,
} from '../../../src/net/addr';

/** Words of a fully written IPv6 address (8 groups, no '::'), independent of the parser under test. */
function words(full: string): [number, number, number, number] {
  const g = full.split(':').map((x) => parseInt(x, 16));
  if (g.length !== 8) throw new Error(full);
  return [(g[0] << 16 | g[1]) >>> 0, (g[2] << 16 | g[3]) >>> 0, (g[4] << 16 | g[5]) >>> 0, (g[6] << 16 | g[7]) >>> 0];
}

const fmt6 = (full: string): string => formatIpv6(...words(full));

describe('formatIpv6 (RFC 5952)', () => {
  test.each([
    // §4.1: leading zeros in a field are suppressed.
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', '§4.1 leading zeros'],
    ['2001:0db8:00aa:0bbb:000c:0000:0000:000d', '2001:db8:aa:bbb:c::d', '§4.1 leading zeros in every field'],
    // §4.2.1: '::' shortens as much as possible.
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1', '§4.2.1 the whole run, not part of it'],
    // §4.2.2: a single 16-bit 0 field is not shortened.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', '§4.2.2 single zero field'],
    ['0:1:0:1:0:1:0:1', '0:1:0:1:0:1:0:1', '§4.2.2 several single zero fields'],
    // §4.2.3: the longest run is shortened; on a tie, the first.
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1', '§4.2.3 longest run wins'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '§4.2.3 tie: first run wins'],
    // §4.3: lowercase.
    ['2001:DB8:0:0:0:0:0:ABCD', '2001:db8::abcd', '§4.3 lowercase'],
    // Runs at the edges.
    ['0:0:0:0:0:0:0:0', '::', 'unspecified'],
    ['0:0:0:0:0:0:0:1', '::1', 'loopback'],
    ['1:0:0:0:0:0:0:0', '1::', 'trailing run'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::', 'link-local prefix'],
    ['0:0:1:0:0:0:0:0', '0:0:1::', 'trailing run longer than the leading one'],
    ['0:0:0:1:0:0:0:1', '::1:0:0:0:1', 'leading run longer than the trailing one'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', 'no zero at all'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'all ones (sign bit set in every word)'],
    ['1:0:0:2:3:4:5:6', '1::2:3:4:5:6', 'run of exactly two'],
    // §5: IPv4-mapped addresses keep the dotted quad.
    ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1', '§5 IPv4-mapped'],
  ])('%s → %s (%s)', (full, expected) => {
    expect(fmt6(full)).toBe(expected);
  });

  test('accepts signed 32-bit words (as PacketView holds them) and formats them as unsigned', () => {
    expect(formatIpv6(0x20010db8 | 0, -1, 0, 1)).toBe('2001:db8:ffff:ffff::1');
  });

  test('agrees with the WHATWG URL serializer (same compression rules) on random addresses', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      // Mostly-zero groups so that runs of every length and position occur.
      const g = Array.from({ length: 8 }, () => (rnd() % 3 === 0 ? rnd() & 0xffff : 0));
      if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) continue; // §5 differs on purpose
      const full = g.map((x) => x.toString(16)).join(':');
      const oracle = new URL(`http://[${full}]/`).hostname.slice(1, -1);
      expect(fmt6(full)).toBe(oracle);
    }
  });

  test('format → parse round-trips', () => {
    for (const full of ['2001:db8:0:0:1:0:0:1', '0:0:0:0:0:ffff:c000:201', '0:0:0:0:0:0:0:0', 'fe80:0:0:0:1:2:3:4']) {
      expect(parseIpv6(fmt6(full))).toEqual(words(full));
    }
  });
});

describe('formatIpv4 / formatAddr', () => {
  test('dotted quad from an unsigned or signed word', () => {
    expect(formatIpv4(0xc0a8010a)).toBe('192.168.1.10');
    expect(formatIpv4(0xffffffff | 0)).toBe('255.255.255.255');
    expect(formatAddr(4, 0, 0, 0, 0x0a000001)).toBe('10.0.0.1');
    expect(formatAddr(6, 0, 0, 0, 1)).toBe('::1');
  });
});

describe('AddrTextCache', () => {
  test('always the text formatAddr makes, through collisions and replacements (more addresses than slots)', () => {
    const c = new AddrTextCache();
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom(4, 6), u32, u32, u32, u32), { minLength: 1, maxLength: 200 }),
      (addrs) => {
        // Each address asked twice, interleaved, so hits and replaced slots both occur.
        for (const round of [0, 1]) {
          for (const [v, a, b, d, e] of round === 0 ? addrs : [...addrs].reverse()) {
            const [w0, w1, w2] = v === 4 ? [0, 0, 0] : [a, b, d];
            expect(c.format(v, w0, w1, w2, e)).toBe(formatAddr(v, w0, w1, w2, e));
          }
        }
      },
    ), { numRuns: 200 });
  });
  test('formatAt (words in an array) and formatBytes (wire bytes) give the same text as format, whichever filled the slot', () => {
    const c = new AddrTextCache();
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom(4 as const, 6 as const), u32, u32, u32, u32, fc.nat(3)), { minLength: 1, maxLength: 100 }),
      (addrs) => {
        for (const round of [0, 1, 2]) {
          for (const [v, a, b, d, e, off] of addrs) {
            const [w0, w1, w2] = v === 4 ? [0, 0, 0] : [a, b, d];
            const want = formatAddr(v, w0, w1, w2, e);
            const arr = new Uint32Array(off + 4);
            arr.set([w0, w1, w2, e], off);
            const bytes = new Uint8Array(off + 16);
            const dv = new DataView(bytes.buffer);
            if (v === 4) dv.setUint32(off, e);
            else [w0, w1, w2, e].forEach((w, i) => dv.setUint32(off + 4 * i, w));
            // Rotate which entry point fills the slot first.
            const got = round === 0 ? [c.formatAt(v, arr, off), c.formatBytes(v, bytes, off)] : [c.formatBytes(v, bytes, off), c.formatAt(v, arr, off)];
            expect(got).toEqual([want, want]);
          }
        }
      },
    ), { numRuns: 200 });
  });
  test('an IPv4 and an IPv6 address with the same low word are told apart', () => {
    const c = new AddrTextCache();
    expect(c.format(4, 0, 0, 0, 0xc0000201)).toBe('192.0.2.1');
    expect(c.format(6, 0, 0, 0, 0xc0000201)).toBe('::c000:201');
    expect(c.format(4, 0, 0, 0, 0xc0000201)).toBe('192.0.2.1');
  });
});

describe('parse', () => {
  test.each([
    ['192.0.2.1', 0xc0000201],
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
  ])('IPv4 %s', (text, word) => {
    expect(parseIpv4(text)).toBe(word);
  });

  test.each([
    ['1.2.3', 'three parts'],
    ['1.2.3.4.5', 'five parts'],
    ['1.2.3.256', 'part above 255'],
    ['1.2.3.-1', 'negative'],
    ['1.2.3.4 ', 'trailing space (parseIpv4 itself does not trim)'],
    ['1..3.4', 'empty part'],
    ['0x1.2.3.4', 'hex part'],
    ['1.2.3.1000', 'four digits'],
    ['', 'empty'],
  ])('IPv4 rejects %j (%s)', (text) => {
    expect(parseIpv4(text)).toBeNull();
  });

  test.each([
    ['::', '0:0:0:0:0:0:0:0'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['1::', '1:0:0:0:0:0:0:0'],
    ['2001:DB8::1', '2001:db8:0:0:0:0:0:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['::ffff:192.0.2.1', '0:0:0:0:0:ffff:c000:201'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0:0:0:c000:221'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
  ])('IPv6 %s', (text, full) => {
    expect(parseIpv6(text)).toEqual(words(full));
  });

  test.each([
    ['1:2:3:4:5:6:7:8:9', 'nine groups'],
    ['1:2:3:4:5:6:7', 'seven groups without ::'],
    ['1::2::3', 'two ::'],
    ['1:::2', 'three colons'],
    [':1:2:3:4:5:6:7', 'leading single colon'],
    ['1:2:3:4:5:6:7:', 'trailing single colon'],
    ['12345::', 'group of five digits'],
    ['g::', 'not hex'],
    ['1:2:3:4:5:6:7:8::', ':: with eight groups already'],
    ['::1.2.3.4:5', 'dotted quad not last'],
    ['::1.2.3.256', 'bad dotted quad'],
    ['1.2.3.4::', 'dotted quad before ::'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'dotted quad making nine groups'],
    ['', 'empty'],
  ])('IPv6 rejects %j (%s)', (text) => {
    expect(parseIpv6(text)).toBeNull();
  });

  test('parseAddr picks the version, trims, and accepts [brackets] around IPv6', () => {
    expect(parseAddr(' 10.0.0.1 ')).toEqual({ v: 4, w: [0, 0, 0, 0x0a000001] });
    expect(parseAddr('[2001:db8::1]')).toEqual({ v: 6, w: words('2001:db8:0:0:0:0:0:1') });
    expect(parseAddr('example.com')).toBeNull();
    expect(parseAddr('10.0.0.1:80')).toBeNull();
  });
});

describe('CIDR', () => {
  const contains = (cidr: string, ip: string): boolean => {
    const c = parseCidr(cidr);
    const a = parseAddr(ip);
    if (!c || !a) throw new Error(`${cidr} ${ip}`);
    return cidrContains(c, a.v, ...a.w);
  };

  test.each([
    ['192.168.1.0/24', '192.168.1.0', true],
    ['192.168.1.0/24', '192.168.1.255', true],
    ['192.168.1.0/24', '192.168.2.0', false],
    ['192.168.1.0/24', '192.168.0.255', false],
    ['10.1.2.3/8', '10.200.0.1', true], // host bits set in the prefix are ignored
    ['0.0.0.0/0', '203.0.113.9', true],
    ['192.0.2.10', '192.0.2.10', true], // a bare address is a /32
    ['192.0.2.10', '192.0.2.11', false],
    ['128.0.0.0/1', '200.0.0.1', true], // top bit: a signed compare would get this wrong
    ['128.0.0.0/1', '127.255.255.255', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8:0:1::/64', '2001:db8:0:1:ffff:ffff:ffff:ffff', true],
    ['2001:db8:0:1::/64', '2001:db8:0:2::', false],
    ['2001:db8::/48', '2001:db8:0:8000::1', true], // boundary inside the second word
    ['2001:db8::/49', '2001:db8:0:8000::1', false],
    ['2001:db8::1/127', '2001:db8::0', true],
    ['2001:db8::1/128', '2001:db8::0', false],
    ['::/0', '2600::1', true],
    ['10.0.0.0/8', '::ffff:10.0.0.1', false], // versions never match each other
    ['::/0', '10.0.0.1', false],
  ])('%s contains %s: %s', (cidr, ip, expected) => {
    expect(contains(cidr, ip)).toBe(expected);
  });

  test.each([
    ['10.0.0.0/33', 'IPv4 prefix too long'],
    ['2001:db8::/129', 'IPv6 prefix too long'],
    ['10.0.0.0/', 'empty prefix length'],
    ['10.0.0.0/-1', 'negative'],
    ['10.0.0.0/8/8', 'two slashes'],
    ['10.0.0.0/0x8', 'hex length'],
    ['10.0.0/8', 'bad address'],
    ['/8', 'no address'],
  ])('parseCidr rejects %j (%s)', (text) => {
    expect(parseCidr(text)).toBeNull();
  });

  test('parseCidr keeps the version and the prefix length', () => {
    expect(parseCidr('2001:db8::/64')).toEqual({ v: 6, w: words('2001:db8:0:0:0:0:0:0'), bits: 64 });
    expect(parseCidr('192.0.2.1')).toMatchObject({ v: 4, bits: 32 });
    expect(parseCidr('::1')).toMatchObject({ v: 6, bits: 128 });
  });
});

describe('classify', () => {
  const scope = (ip: string): Scope => {
    const a = parseAddr(ip)!;
    return classify(a.v, ...a.w);
  };

  test.each([
    ['10.0.0.1', Scope.Private, 'RFC 1918'],
    ['172.16.0.1', Scope.Private, 'RFC 1918 low edge'],
    ['172.31.255.255', Scope.Private, 'RFC 1918 high edge'],
    ['172.15.255.255', Scope.Public, 'just below 172.16/12'],
    ['172.32.0.0', Scope.Public, 'just above 172.16/12'],
    ['192.168.255.1', Scope.Private, 'RFC 1918'],
    ['100.64.0.1', Scope.Private, 'RFC 6598 CGNAT'],
    ['100.128.0.1', Scope.Public, 'above CGNAT'],
    ['192.0.2.1', Scope.Private, 'RFC 5737 TEST-NET-1'],
    ['198.51.100.1', Scope.Private, 'RFC 5737 TEST-NET-2'],
    ['203.0.113.1', Scope.Private, 'RFC 5737 TEST-NET-3'],
    ['169.254.1.1', Scope.LinkLocal, 'RFC 3927'],
    ['0.0.0.0', Scope.LinkLocal, 'DHCP client source'],
    ['127.0.0.1', Scope.Loopback, 'loopback'],
    ['224.0.0.251', Scope.Multicast, 'mDNS group'],
    ['239.255.255.250', Scope.Multicast, 'SSDP group'],
    ['255.255.255.255', Scope.Broadcast, 'limited broadcast'],
    ['8.8.8.8', Scope.Public, 'public'],
    ['93.184.216.34', Scope.Public, 'public'],
    ['fe80::1', Scope.LinkLocal, 'fe80::/10'],
    ['febf::1', Scope.LinkLocal, 'top of fe80::/10'],
    ['fec0::1', Scope.Public, 'site-local (deprecated) is not link-local'],
    ['fd12:3456::1', Scope.Private, 'RFC 4193 ULA'],
    ['fc00::1', Scope.Private, 'RFC 4193 ULA (L=0)'],
    ['2001:db8::1', Scope.Private, 'RFC 3849 documentation'],
    ['ff02::fb', Scope.Multicast, 'mDNS IPv6 group'],
    ['::1', Scope.Loopback, 'loopback'],
    ['2600::1', Scope.Public, 'public'],
  ])('%s is %s (%s)', (ip, expected) => {
    expect(scope(ip)).toBe(expected);
  });
});
