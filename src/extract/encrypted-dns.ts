/**
 * Encrypted DNS recognition: says whether a finished TLS or QUIC flow carries DNS over TLS
 * (RFC 7858), DNS over QUIC (RFC 9250) or DNS over HTTPS (RFC 8484), from facts the extractors
 * already produced (port, app, SNI, ALPN, remote address, DNS-answer names). Runs once per flow
 * when its record is built, never per packet. Facts only: whether encrypted DNS is acceptable
 * is the policy's call (reason `resolver-bypass`); this module never judges and never throws.
 */
import { Cidr, cidrContains, parseAddr, parseCidr } from '../net/addr';
import { DOH_RESOLVERS, dohResolverForName } from './doh-resolvers';

/** The three encrypted-DNS transports. */
export type EncryptedDnsKind = 'dot' | 'doq' | 'doh';

/** DoT (RFC 7858 §3.1) and DoQ (RFC 9250 §4.1.1) are both assigned port 853. */
export const PORT_DNS_ENCRYPTED = 853;
/** DoH is HTTPS (RFC 8484 §1): only port 443 makes a resolver *address* mean DoH. */
export const PORT_HTTPS = 443;
/** ALPN "dot" (IANA ALPN registry, RFC 9461 §3). */
export const ALPN_DOT = 'dot';
/** ALPN "doq" (RFC 9250 §4.1.1); drafts used "doq-i00" … "doq-i11" (AdGuard still offers them). */
export const ALPN_DOQ = 'doq';

/** What the classifier looks at; all of it is on the flow record already. */
export interface EncryptedDnsFacts {
  proto: 'tcp' | 'udp';
  /** tls | quic | ... (anything else is never encrypted DNS). */
  app: string | null;
  remoteIp: string;
  remotePort: number;
  sni: string | null;
  alpn: readonly string[] | null;
  /** Names DNS answered for the remote address (used when there is no SNI). */
  answerNames: readonly string[] | null;
}

/**
 * The resolver addresses as parsed prefixes, built on first use. Checked with integer
 * compares: node:net's BlockList validated and re-parsed the text on every call (~10 µs, 2% of
 * the benchmark replay, where nameless TLS flows to port 443 are common).
 */
let resolverPrefixes: Cidr[] | null = null;
function resolverPrefixList(): Cidr[] {
  if (resolverPrefixes !== null) return resolverPrefixes;
  const list: Cidr[] = [];
  for (const r of DOH_RESOLVERS) {
    for (const a of r.addresses) {
      const c = parseCidr(a);
      if (c !== null) list.push(c);
    }
  }
  resolverPrefixes = list;
  return list;
}

/** True when `ip` (address text) is an address of a listed public resolver. */
export function isPublicResolverAddress(ip: string): boolean {
  const a = parseAddr(ip);
  if (a === null) return false;
  const [w0, w1, w2, w3] = a.w;
  for (const c of resolverPrefixList()) if (cidrContains(c, a.v, w0, w1, w2, w3)) return true;
  return false;
}

function isDoqAlpn(a: string): boolean {
  return a === ALPN_DOQ || a.startsWith('doq-i');
}

/**
 * Classifies one flow: `dot` for TLS on TCP 853 or ALPN "dot"; `doq` for QUIC on UDP 853 or
 * ALPN "doq"/"doq-iNN"; `doh` for TLS/QUIC whose SNI (else DNS-answer name) is a listed DoH
 * endpoint, or — with no name at all — to a listed resolver address on port 443. Null otherwise.
 */
export function classifyEncryptedDns(f: EncryptedDnsFacts): EncryptedDnsKind | null {
  if (f.app !== 'tls' && f.app !== 'quic') return null;
  const alpn = f.alpn ?? [];
  if (f.app === 'quic' && (alpn.some(isDoqAlpn) || (f.proto === 'udp' && f.remotePort === PORT_DNS_ENCRYPTED))) return 'doq';
  if (f.app === 'tls' && (alpn.includes(ALPN_DOT) || (f.proto === 'tcp' && f.remotePort === PORT_DNS_ENCRYPTED))) return 'dot';
  if (f.sni !== null) return dohResolverForName(f.sni) !== null ? 'doh' : null;
  const answers = f.answerNames ?? [];
  if (answers.length > 0) return answers.some((n) => dohResolverForName(n) !== null) ? 'doh' : null;
  return f.remotePort === PORT_HTTPS && isPublicResolverAddress(f.remoteIp) ? 'doh' : null;
}
