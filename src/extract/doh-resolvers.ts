/**
 * Well-known public encrypted-DNS resolvers: the names (DoH/DoT/DoQ endpoints) and the anycast
 * addresses of the big public services and of Mozilla's Trusted Recursive Resolver programme,
 * each with the page it was taken from. Used once per flow by ./encrypted-dns.ts to recognise
 * DNS over HTTPS, which on the wire is ordinary HTTPS on 443. Data only: must never do I/O or
 * resolve names at run time (an audit of a replayed capture must not depend on today's DNS).
 *
 * Keep it short and sourced: a name here turns an HTTPS flow into `encrypted_dns: "doh"`, so
 * only endpoints that serve nothing but DNS belong in it.
 */

/** One provider: its names, name suffixes (every subdomain is a resolver endpoint) and addresses. */
export interface DohResolver {
  readonly provider: string;
  /** Where the names and addresses were taken from. */
  readonly source: string;
  /** Exact host names (lowercase, no trailing dot). */
  readonly names: readonly string[];
  /** `x` here matches every name ending in `.x` (per-customer endpoints such as `<id>.dns.nextdns.io`). */
  readonly suffixes: readonly string[];
  /** Exact addresses (canonical text, IPv6 per RFC 5952) or IPv4/IPv6 prefixes. */
  readonly addresses: readonly string[];
}

/** The list. Order does not matter; a name or address appears once. */
export const DOH_RESOLVERS: readonly DohResolver[] = Object.freeze([
  {
    provider: 'Google Public DNS',
    // https://developers.google.com/speed/public-dns/docs/doh and .../docs/using (addresses)
    source: 'https://developers.google.com/speed/public-dns/docs/doh',
    names: ['dns.google', 'dns.google.com', 'dns64.dns.google'],
    suffixes: [],
    addresses: ['8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844', '2001:4860:4860::6464', '2001:4860:4860::64'],
  },
  {
    provider: 'Cloudflare 1.1.1.1',
    // https://developers.cloudflare.com/1.1.1.1/ip-addresses/ and .../encryption/dns-over-https/
    // 104.16.248.249 / 104.16.249.249 are what cloudflare-dns.com and mozilla.cloudflare-dns.com
    // resolve to (also seen in ../shared/corpus/ndpi__dns_doh.pcap).
    source: 'https://developers.cloudflare.com/1.1.1.1/ip-addresses/',
    names: [
      'cloudflare-dns.com', 'one.one.one.one', '1dot1dot1dot1.cloudflare-dns.com',
      'security.cloudflare-dns.com', 'family.cloudflare-dns.com', 'mozilla.cloudflare-dns.com',
    ],
    suffixes: ['cloudflare-gateway.com'],
    addresses: [
      '1.1.1.1', '1.0.0.1', '1.1.1.2', '1.0.0.2', '1.1.1.3', '1.0.0.3',
      '2606:4700:4700::1111', '2606:4700:4700::1001', '2606:4700:4700::1112', '2606:4700:4700::1002',
      '2606:4700:4700::1113', '2606:4700:4700::1003',
      '104.16.248.249', '104.16.249.249', '2606:4700::6810:f8f9', '2606:4700::6810:f9f9',
    ],
  },
  {
    provider: 'Quad9',
    // https://www.quad9.net/service/service-addresses-and-features
    source: 'https://www.quad9.net/service/service-addresses-and-features',
    names: ['dns.quad9.net', 'dns9.quad9.net', 'dns10.quad9.net', 'dns11.quad9.net', 'dns12.quad9.net'],
    suffixes: [],
    addresses: [
      '9.9.9.9', '149.112.112.112', '2620:fe::fe', '2620:fe::9',
      '9.9.9.10', '149.112.112.10', '2620:fe::10', '2620:fe::fe:10',
      '9.9.9.11', '149.112.112.11', '2620:fe::11', '2620:fe::fe:11',
    ],
  },
  {
    provider: 'AdGuard DNS',
    // https://adguard-dns.io/kb/general/dns-providers/ (AdGuard DNS section)
    source: 'https://adguard-dns.io/kb/general/dns-providers/',
    names: [
      'dns.adguard.com', 'dns-family.adguard.com', 'dns-unfiltered.adguard.com',
      'dns.adguard-dns.com', 'family.adguard-dns.com', 'unfiltered.adguard-dns.com',
    ],
    suffixes: ['d.adguard-dns.com'],
    addresses: [
      '94.140.14.14', '94.140.15.15', '2a10:50c0::ad1:ff', '2a10:50c0::ad2:ff',
      '94.140.14.15', '94.140.15.16', '2a10:50c0::bad1:ff', '2a10:50c0::bad2:ff',
      '94.140.14.140', '94.140.14.141', '2a10:50c0::1:ff', '2a10:50c0::2:ff',
    ],
  },
  {
    provider: 'NextDNS',
    // https://nextdns.io (setup guide: DoH https://dns.nextdns.io/<id>, DoT <id>.dns.nextdns.io,
    // anycast 45.90.28.0 / 45.90.30.0 and 2a07:a8c0:: / 2a07:a8c1:: with the config id in the low bits)
    source: 'https://help.nextdns.io/',
    names: ['dns.nextdns.io', 'firefox.dns.nextdns.io'],
    suffixes: ['dns.nextdns.io'],
    addresses: ['45.90.28.0/24', '45.90.30.0/24', '2a07:a8c0::/32', '2a07:a8c1::/32'],
  },
  {
    provider: 'OpenDNS (Cisco Umbrella)',
    // https://support.opendns.com/hc/en-us/articles/360038086532-Using-DNS-over-HTTPS-DoH-with-OpenDNS
    source: 'https://support.opendns.com/hc/en-us/articles/360038086532',
    names: ['doh.opendns.com', 'doh.familyshield.opendns.com', 'doh.sandbox.opendns.com'],
    suffixes: [],
    addresses: [
      '208.67.222.222', '208.67.220.220', '208.67.222.123', '208.67.220.123',
      '2620:119:35::35', '2620:119:53::53', '2620:0:ccc::2', '2620:0:ccd::2',
    ],
  },
  {
    provider: 'CleanBrowsing',
    // https://cleanbrowsing.org/filters/
    source: 'https://cleanbrowsing.org/filters/',
    names: [
      'doh.cleanbrowsing.org', 'family-filter-dns.cleanbrowsing.org', 'adult-filter-dns.cleanbrowsing.org',
      'security-filter-dns.cleanbrowsing.org',
    ],
    suffixes: [],
    addresses: ['185.228.168.9', '185.228.169.9', '185.228.168.10', '185.228.169.11', '185.228.168.168', '185.228.169.168'],
  },
  {
    provider: "Mozilla Firefox Trusted Recursive Resolvers (besides Cloudflare's and NextDNS's, above)",
    // https://wiki.mozilla.org/Security/DOH-resolver-policy#Conforming_Resolvers
    source: 'https://wiki.mozilla.org/Security/DOH-resolver-policy',
    names: ['doh.xfinity.com', 'private.canadianshield.cira.ca', 'protected.canadianshield.cira.ca', 'family.canadianshield.cira.ca'],
    suffixes: [],
    addresses: [],
  },
]);

const NAMES: ReadonlyMap<string, string> = new Map(DOH_RESOLVERS.flatMap((r) => r.names.map((n) => [n, r.provider] as const)));
const SUFFIXES: readonly (readonly [string, string])[] = DOH_RESOLVERS.flatMap((r) => r.suffixes.map((s) => ['.' + s, r.provider] as const));

/**
 * The provider whose DoH/DoT endpoint `name` is, or null. Case-insensitive; a trailing dot is
 * ignored. Per flow, not per packet.
 */
export function dohResolverForName(name: string): string | null {
  let n = name.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  const exact = NAMES.get(n);
  if (exact !== undefined) return exact;
  for (const [suffix, provider] of SUFFIXES) if (n.endsWith(suffix)) return provider;
  return null;
}
