/**
 * Test reference: the previous DnsCache (a Map of per-pair objects with a FIFO eviction queue),
 * kept verbatim as the model the typed-array table is checked against in dns-cache.test.ts.
 * Never used by the tool.
 */
import type { CachedName } from '../../../src/attribution/dns-cache';

const MAX_NAMES_PER_ADDRESS = 16;
const NO_NAMES: CachedName[] = [];

/** The names one client was given for one address, newest last. */
interface Entry {
  v: number;
  a0: number; a1: number; a2: number; a3: number;
  c0: number; c1: number; c2: number; c3: number;
  /**
   * Names, newest last, as [name, owner, expires, name, owner, expires, ...]: one array per
   * entry instead of three (fewer allocations per answer; measured on the flow-heavy benchmark).
   */
  data: (string | number)[];
  /** Next entry whose key hashed to the same number (collisions are rare; verified by words). */
  next: Entry | null;
  /** Insertion sequence number: when the entry last moved to the back of the eviction order. */
  seq: number;
  /** Its Map key (for removal). */
  key: number;
}

export class ReferenceDnsCache {
  private readonly map = new Map<number, Entry>();
  private count = 0;
  private seq = 0;
  /**
   * Eviction order as a FIFO of (entry, seq) pairs; a pair whose seq no longer matches its
   * entry is stale (the entry moved to the back). A separate queue, because taking the first
   * key of a Map after many deletions walks every deleted slot (measured: 68 µs per insert once
   * the cache was full).
   */
  private orderEntries: (Entry | null)[] = [];
  private orderSeqs: number[] = [];
  private orderHead = 0;
  /** Entries dropped because the cache was full. */
  evicted = 0;

  constructor(readonly maxEntries: number, readonly graceMicros: number) {}

  private static hash(v: number, a0: number, a1: number, a2: number, a3: number, c0: number, c1: number, c2: number, c3: number): number {
    let h1 = Math.imul(a3 ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(c3 ^ 0xc2b2ae35, 0x27d4eb2f);
    let h2 = Math.imul(a0 ^ c0 ^ v, 0x165667b1) ^ Math.imul(a1 ^ c1, 0x9e3779b1) ^ Math.imul(a2 ^ c2, 0x85ebca77);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0x2c1b3c6d) ^ h1;
    h2 ^= h2 >>> 16;
    // 30 bits: a small integer (Smi) key, which V8's Map hashes without boxing a heap number
    // (measured: 52-bit keys made lookups allocate and doubled GC time on 1 M flows).
    // Collisions are resolved by the word check in find().
    return h2 & 0x3fffffff;
  }

  private find(key: number, v: number, a0: number, a1: number, a2: number, a3: number, c0: number, c1: number, c2: number, c3: number): Entry | null {
    for (let e = this.map.get(key) ?? null; e !== null; e = e.next) {
      if (e.a3 === a3 && e.c3 === c3 && e.v === v && e.a0 === a0 && e.a1 === a1 && e.a2 === a2 && e.c0 === c0 && e.c1 === c1 && e.c2 === c2) return e;
    }
    return null;
  }

  /** Records that `client` was told address `a` answers for `name` (asked) via `owner`, valid `ttl` seconds from `ts`. */
  add(
    v: number, a0: number, a1: number, a2: number, a3: number,
    c0: number, c1: number, c2: number, c3: number,
    name: string, owner: string, ttlSeconds: number, ts: number,
  ): void {
    a0 >>>= 0; a1 >>>= 0; a2 >>>= 0; a3 >>>= 0; c0 >>>= 0; c1 >>>= 0; c2 >>>= 0; c3 >>>= 0;
    const key = ReferenceDnsCache.hash(v, a0, a1, a2, a3, c0, c1, c2, c3);
    const expires = ts + ttlSeconds * 1e6 + this.graceMicros;
    const e = this.find(key, v, a0, a1, a2, a3, c0, c1, c2, c3);
    if (e) {
      // Approximate LRU: a pair answered again moves to the back of the eviction order, but only
      // once it has drifted into the older half (moving it on every answer cost a Map delete and
      // insert per answer). Chained entries keep their place.
      if (this.seq - e.seq > this.maxEntries >>> 1) {
        e.seq = this.seq++;
        this.pushOrder(e);
      }
      const d = e.data;
      for (let i = 0; i < d.length; i += 3) {
        if (d[i] !== name) continue;
        // Answered again: newest first on lookup, so move it to the end.
        const old = d[i + 2] as number;
        d.splice(i, 3);
        d.push(name, owner, Math.max(old, expires));
        return;
      }
      if (d.length >= 3 * MAX_NAMES_PER_ADDRESS) d.splice(0, 3);
      d.push(name, owner, expires);
      return;
    }
    const head = this.map.get(key) ?? null;
    const entry: Entry = { v, a0, a1, a2, a3, c0, c1, c2, c3, data: [name, owner, expires], next: null, seq: this.seq++, key };
    this.pushOrder(entry);
    if (head) {
      // Collision: chain behind the head (keeps the head's eviction position).
      entry.next = head.next;
      head.next = entry;
    } else {
      this.map.set(key, entry);
    }
    this.count++;
    if (this.count > this.maxEntries) this.evictOldest();
  }

  /** Names `client` learned for address `a` that are still valid at `ts`, most recent first. */
  lookup(v: number, a0: number, a1: number, a2: number, a3: number, c0: number, c1: number, c2: number, c3: number, ts: number): CachedName[] {
    a0 >>>= 0; a1 >>>= 0; a2 >>>= 0; a3 >>>= 0; c0 >>>= 0; c1 >>>= 0; c2 >>>= 0; c3 >>>= 0;
    const e = this.find(ReferenceDnsCache.hash(v, a0, a1, a2, a3, c0, c1, c2, c3), v, a0, a1, a2, a3, c0, c1, c2, c3);
    if (!e) return NO_NAMES;
    let out: CachedName[] | null = null;
    const d = e.data;
    for (let i = d.length - 3; i >= 0; i -= 3) {
      if ((d[i + 2] as number) < ts) continue;
      (out ??= []).push({ name: d[i] as string, owner: d[i + 1] as string });
    }
    return out ?? NO_NAMES;
  }

  private pushOrder(e: Entry): void {
    this.orderEntries.push(e);
    this.orderSeqs.push(e.seq);
  }

  private evictOldest(): void {
    while (this.orderHead < this.orderEntries.length) {
      const i = this.orderHead++;
      const e = this.orderEntries[i];
      this.orderEntries[i] = null;
      if (e === null || e.seq !== this.orderSeqs[i]) continue; // stale: the entry moved to the back
      this.remove(e);
      this.count--;
      this.evicted++;
      break;
    }
    // Compact the queue once its consumed head is more than half of it.
    if (this.orderHead > 1024 && this.orderHead * 2 > this.orderEntries.length) {
      this.orderEntries = this.orderEntries.slice(this.orderHead);
      this.orderSeqs = this.orderSeqs.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  /** Unlinks an entry from its chain (or deletes its key). */
  private remove(e: Entry): void {
    const head = this.map.get(e.key);
    if (head === e) {
      if (e.next) this.map.set(e.key, e.next);
      else this.map.delete(e.key);
      return;
    }
    for (let p = head ?? null; p !== null; p = p.next) {
      if (p.next === e) { p.next = e.next; return; }
    }
  }

  /** Cached (client, address) pairs right now. */
  get size(): number {
    return this.count;
  }
}

