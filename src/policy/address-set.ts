/**
 * IP and CIDR literals of the rule files (`hosts: [224.0.0.251, 10.0.0.0/8]`, `resolvers:`),
 * compiled into a `node:net` BlockList, plus the scope test that decides which addresses are
 * "local network" (multicast, link-local, broadcast). Per flow, never per packet. Must never
 * throw on an address string taken from a record: an unparseable address simply matches nothing.
 */
import { BlockList, isIP } from 'node:net';
import { formatIpv4, parseAddr } from '../net/addr';

/** A parsed IP or CIDR literal as written in a rule file. */
export interface CidrLiteral {
  readonly text: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly prefix: number;
}

/** Parses `a.b.c.d`, `a.b.c.d/n`, `v6` or `v6/n`; returns an error string when it is not one. */
export function parseCidrLiteral(raw: string): CidrLiteral | string {
  const t = raw.trim();
  const slash = t.indexOf('/');
  const address = slash < 0 ? t : t.slice(0, slash);
  const v = isIP(address);
  if (v === 0) return `'${raw}' is not an IP address or CIDR prefix`;
  const max = v === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return `'${raw}': prefix length must be 0-${max}`;
    prefix = Number(p);
  }
  return { text: t, family: v === 4 ? 'ipv4' : 'ipv6', address, prefix };
}

/** True when the text looks like an address or prefix rather than a domain (used to route `hosts:` entries). */
export function looksLikeAddress(raw: string): boolean {
  const t = raw.trim();
  const a = t.includes('/') ? t.slice(0, t.indexOf('/')) : t;
  return isIP(a) !== 0 || t.includes(':') || /^[\d./]+$/.test(t);
}

/** Addresses whose answer an AddressSet remembers; past this the memo starts over. */
const MEMO_ENTRIES = 4096;

/** An immutable set of prefixes; `has` checks one address. */
export class AddressSet {
  readonly #list = new BlockList();
  /**
   * Answers for address texts asked recently. BlockList.check builds a SocketAddress per call
   * (~1 µs; measured: 5% of a replay of the benchmark capture with a rule pack), and the
   * records of a run ask about the same few addresses again and again. The memo only repeats
   * what the BlockList answered, so it cannot change an answer.
   */
  readonly #memo = new Map<string, boolean>();
  readonly literals: readonly CidrLiteral[];
  /** IPv4 prefixes are listed: an IPv6 address of the NAT64 well-known prefix is also tried by the IPv4 address it embeds. */
  readonly #nat64: boolean;

  /**
   * `nat64` (default true): a device on an IPv6-only network reaches an IPv4 server through
   * NAT64, at `64:ff9b::<the IPv4 address>` (RFC 6052 §2.1, the well-known prefix, which DNS64
   * hands out in synthesized AAAA answers), so a rule listing the IPv4 address takes it too.
   * Network-specific prefixes are the operator's choice and cannot be recognised.
   */
  constructor(literals: readonly CidrLiteral[], nat64 = true) {
    for (const l of literals) this.#list.addSubnet(l.address, l.prefix, l.family);
    this.literals = Object.freeze([...literals]);
    this.#nat64 = nat64 && literals.some((l) => l.family === 'ipv4');
  }

  /** True when `ip` (text) lies in one of the prefixes; false for unparseable text. */
  has(ip: string): boolean {
    if (this.literals.length === 0) return false;
    const known = this.#memo.get(ip);
    if (known !== undefined) return known;
    const v = isIP(ip);
    let hit = v !== 0 && this.#list.check(ip, v === 4 ? 'ipv4' : 'ipv6');
    if (!hit && v === 6 && this.#nat64) {
      const a = parseAddr(ip);
      if (a !== null && a.w[0] === 0x0064ff9b && a.w[1] === 0 && a.w[2] === 0) hit = this.#list.check(formatIpv4(a.w[3]), 'ipv4');
    }
    if (this.#memo.size >= MEMO_ENTRIES) this.#memo.clear();
    this.#memo.set(ip, hit);
    return hit;
  }

  get size(): number {
    return this.literals.length;
  }
}

/**
 * Local-network scopes: IPv4 multicast 224.0.0.0/4 (RFC 5771), limited broadcast, link-local
 * 169.254.0.0/16 (RFC 3927); IPv6 multicast ff00::/8 (RFC 4291 §2.7) and link-local fe80::/10.
 * Traffic to these never leaves the LAN, so the policy judges it only when a pack speaks of it.
 */
const LOCAL = new AddressSet(
  ['224.0.0.0/4', '255.255.255.255/32', '169.254.0.0/16', 'ff00::/8', 'fe80::/10'].map((t) => parseCidrLiteral(t) as CidrLiteral),
  false,
);

/** True for multicast, broadcast and link-local addresses. */
export function isLocalScopeAddress(ip: string): boolean {
  return LOCAL.has(ip);
}
