/**
 * DnsCache: which names each client was told an address belongs to, learned from DNS answers
 * seen earlier in the capture and valid for their TTL plus a grace period, on packet time
 * (so replay gives the same answer as live). CNAME chains lead back to the name that was asked.
 *
 * Per DNS answer and per new flow, never per packet. Bounded: the oldest entries are evicted
 * first and counted. Never throws.
 */

/** One answered address: who asked, what was asked, until when it is valid. */
interface Entry {
  v: number;
  a0: number; a1: number; a2: number; a3: number;
  c0: number; c1: number; c2: number; c3: number;
  /** The name the client asked for (the head of the CNAME chain). */
  name: string;
  /** The owner name of the A/AAAA record, when it differs (the end of the chain). */
  owner: string;
  expires: number;
}

/** Default cap on cached answers: ~100 B each, so ~25 MB at the cap. */
export const DEFAULT_DNS_CACHE_ENTRIES = 250_000;
/** Default grace after the TTL: devices keep using answers a little past it. */
export const DEFAULT_DNS_GRACE_MICROS = 300e6;

/** A name learned for an address. */
export interface CachedName { name: string; owner: string }

/** Address → names learned from DNS answers, per client. */
export class DnsCache {
  private readonly map = new Map<number, Entry[]>();
  private count = 0;
  /** Entries dropped because the cache was full. */
  evicted = 0;

  constructor(readonly maxEntries = DEFAULT_DNS_CACHE_ENTRIES, readonly graceMicros = DEFAULT_DNS_GRACE_MICROS) {}

  private static key(v: number, a0: number, a1: number, a2: number, a3: number): number {
    if (v === 4) return a3 >>> 0;
    // IPv6: mix the words into a number outside the IPv4 range (2^32 and up).
    let h = Math.imul(a0 ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(a1, 0xc2b2ae35) ^ Math.imul(a2, 0x27d4eb2f) ^ a3;
    h ^= h >>> 15;
    return 4294967296 + (h >>> 0);
  }

  /** Records that `client` was told address `a` answers for `name` (asked) via `owner`, valid `ttl` seconds from `ts`. */
  add(
    v: number, a0: number, a1: number, a2: number, a3: number,
    c0: number, c1: number, c2: number, c3: number,
    name: string, owner: string, ttlSeconds: number, ts: number,
  ): void {
    const key = DnsCache.key(v, a0, a1, a2, a3);
    let list = this.map.get(key);
    const expires = ts + ttlSeconds * 1e6 + this.graceMicros;
    if (list) {
      for (const e of list) {
        if (e.name === name && e.c3 === c3 && e.c0 === c0 && e.c1 === c1 && e.c2 === c2 && e.a3 === a3 && e.a0 === a0 && e.a1 === a1 && e.a2 === a2) {
          e.expires = Math.max(e.expires, expires);
          e.owner = owner;
          return;
        }
      }
    } else {
      list = [];
      this.map.set(key, list);
    }
    // A small per-address list: keep it bounded too (CDN addresses serve many names).
    if (list.length >= 32) { list.shift(); this.count--; }
    list.push({ v, a0, a1, a2, a3, c0, c1, c2, c3, name, owner, expires });
    this.count++;
    while (this.count > this.maxEntries) this.evictOldest();
  }

  /** Names `client` learned for address `a` that are still valid at `ts`, most recent first. */
  lookup(v: number, a0: number, a1: number, a2: number, a3: number, c0: number, c1: number, c2: number, c3: number, ts: number): CachedName[] {
    const list = this.map.get(DnsCache.key(v, a0, a1, a2, a3));
    if (!list) return NO_NAMES;
    let out: CachedName[] | null = null;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i];
      if (e.expires < ts || e.v !== v || e.a3 !== a3 || e.a0 !== a0 || e.a1 !== a1 || e.a2 !== a2) continue;
      if (e.c3 !== c3 || e.c0 !== c0 || e.c1 !== c1 || e.c2 !== c2) continue;
      if (!out) out = [];
      if (!out.some((o) => o.name === e.name)) out.push({ name: e.name, owner: e.owner });
    }
    return out ?? NO_NAMES;
  }

  /** True when any client was ever told about address `a` (used to explain a missing name). */
  knowsAddress(v: number, a0: number, a1: number, a2: number, a3: number): boolean {
    return this.map.has(DnsCache.key(v, a0, a1, a2, a3));
  }

  private evictOldest(): void {
    // Map iteration order is insertion order: the first key holds the oldest address.
    const first = this.map.keys().next();
    if (first.done) return;
    const list = this.map.get(first.value)!;
    list.shift();
    this.count--;
    this.evicted++;
    if (list.length === 0) this.map.delete(first.value);
  }

  /** Cached answers right now. */
  get size(): number {
    return this.count;
  }
}

const NO_NAMES: CachedName[] = [];
