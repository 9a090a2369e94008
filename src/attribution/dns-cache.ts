/**
 * DnsCache: which names each client was told an address belongs to, learned from DNS answers
 * seen earlier in the capture and valid for their TTL plus a grace period, on packet time
 * (so replay gives the same answer as live). CNAME chains lead back to the name that was asked.
 *
 * Per DNS answer and per new flow, never per packet. Bounded: the oldest entries are evicted
 * first and counted. Never throws.
 */

/** The names one client was given for one address, newest last. */
interface Entry {
  names: string[];
  owners: string[];
  expires: number[];
}

/** Default cap on cached (client, address) pairs: ~150 B each, so ~40 MB at the cap. */
export const DEFAULT_DNS_CACHE_ENTRIES = 250_000;
/** Default grace after the TTL: devices keep using answers a little past it. */
export const DEFAULT_DNS_GRACE_MICROS = 300e6;
/** Names kept per (client, address): CDN addresses serve many names. */
const MAX_NAMES_PER_ADDRESS = 16;

/** A name learned for an address. */
export interface CachedName { name: string; owner: string }

/**
 * Address → names learned from DNS answers, per client. Keyed by one string per
 * (client, address) pair (measured: a string-keyed Map beat per-address entry lists that were
 * scanned linearly, ~3 µs per answer on CDN-heavy traffic); insertion order doubles as the LRU
 * order for eviction.
 */
export class DnsCache {
  private readonly map = new Map<string, Entry>();
  /** Entries dropped because the cache was full. */
  evicted = 0;

  constructor(readonly maxEntries = DEFAULT_DNS_CACHE_ENTRIES, readonly graceMicros = DEFAULT_DNS_GRACE_MICROS) {}

  private static key(v: number, a0: number, a1: number, a2: number, a3: number, c0: number, c1: number, c2: number, c3: number): string {
    return v === 4 ? `${a3 >>> 0}>${c3 >>> 0}` : `${a0 >>> 0}.${a1 >>> 0}.${a2 >>> 0}.${a3 >>> 0}>${c0 >>> 0}.${c1 >>> 0}.${c2 >>> 0}.${c3 >>> 0}`;
  }

  /** Records that `client` was told address `a` answers for `name` (asked) via `owner`, valid `ttl` seconds from `ts`. */
  add(
    v: number, a0: number, a1: number, a2: number, a3: number,
    c0: number, c1: number, c2: number, c3: number,
    name: string, owner: string, ttlSeconds: number, ts: number,
  ): void {
    const key = DnsCache.key(v, a0, a1, a2, a3, c0, c1, c2, c3);
    const expires = ts + ttlSeconds * 1e6 + this.graceMicros;
    let e = this.map.get(key);
    if (e) {
      // Refresh the LRU position.
      this.map.delete(key);
      this.map.set(key, e);
      const i = e.names.indexOf(name);
      if (i >= 0) {
        // Answered again: it becomes the newest name for this address (lookup order is newest first).
        const keep = Math.max(e.expires[i], expires);
        const last = e.names.length - 1;
        if (i !== last) {
          e.names.splice(i, 1); e.owners.splice(i, 1); e.expires.splice(i, 1);
          e.names.push(name); e.owners.push(owner); e.expires.push(keep);
        } else {
          e.owners[i] = owner;
          e.expires[i] = keep;
        }
        return;
      }
      if (e.names.length >= MAX_NAMES_PER_ADDRESS) { e.names.shift(); e.owners.shift(); e.expires.shift(); }
      e.names.push(name); e.owners.push(owner); e.expires.push(expires);
      return;
    }
    e = { names: [name], owners: [owner], expires: [expires] };
    this.map.set(key, e);
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) { this.map.delete(oldest.value); this.evicted++; }
    }
  }

  /** Names `client` learned for address `a` that are still valid at `ts`, most recent first. */
  lookup(v: number, a0: number, a1: number, a2: number, a3: number, c0: number, c1: number, c2: number, c3: number, ts: number): CachedName[] {
    const e = this.map.get(DnsCache.key(v, a0, a1, a2, a3, c0, c1, c2, c3));
    if (!e) return NO_NAMES;
    let out: CachedName[] | null = null;
    for (let i = e.names.length - 1; i >= 0; i--) {
      if (e.expires[i] < ts) continue;
      (out ??= []).push({ name: e.names[i], owner: e.owners[i] });
    }
    return out ?? NO_NAMES;
  }

  /** Cached (client, address) pairs right now. */
  get size(): number {
    return this.map.size;
  }
}

const NO_NAMES: CachedName[] = [];
