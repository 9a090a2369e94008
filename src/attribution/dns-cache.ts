/**
 * DnsCache: which names each client was told an address belongs to, learned from DNS answers
 * seen earlier in the capture and valid for their TTL plus a grace period, on packet time
 * (so replay gives the same answer as live). CNAME chains lead back to the name that was asked.
 *
 * Per DNS answer and per new flow, never per packet. Bounded: when full, the oldest
 * (client, address) pair is evicted first and counted. Never throws.
 */

/** Default cap on cached (client, address) pairs: ~400 B each with its name strings, so ~40 MB at the cap. */
export const DEFAULT_DNS_CACHE_ENTRIES = 100_000;
/** Default grace after the TTL: devices keep using answers a little past it. */
export const DEFAULT_DNS_GRACE_MICROS = 300e6;
/** Names kept per (client, address): CDN addresses serve many names. */
const MAX_NAMES_PER_ADDRESS = 16;

/** A name learned for an address. */
export interface CachedName { name: string; owner: string }

/** Slot states in `ver`: empty (never used since the last rebuild) and deleted (a tombstone). */
const EMPTY = 0;
const DELETED = 255;
/** Initial table size (slots, a power of two); it doubles while more than half full. */
const INITIAL_SLOTS = 1024;

/**
 * Address → names learned from DNS answers, per client: an open-addressed hash table (linear
 * probing, tombstones) whose keys — IP version, address words, client words — live in typed
 * arrays, with one small array of names per pair. No string and no object is built per answer
 * or per lookup besides that array (measured: string keys cost ~1 µs per answer on the
 * DNS-heavy benchmark; a Map of per-pair objects spent ~1.3 µs per answer and most of the
 * flow-heavy benchmark's old-generation garbage collection on them).
 *
 * Eviction is approximately least-recently-answered: a FIFO of (slot, sequence number) pairs,
 * where a pair answered again is queued anew once it has drifted into the older half, and a
 * queued pair whose sequence number no longer matches its slot is stale and skipped.
 */
export class DnsCache {
  /** Slots (a power of two). */
  private cap = 0;
  /** Per slot: IP version 4 or 6, or EMPTY / DELETED. */
  private ver = new Uint8Array(0);
  /** Per slot: address words a0..a3 then client words c0..c3. */
  private words = new Uint32Array(0);
  /**
   * Per slot: the newest name, its owner and its expiry (µs). Most pairs only ever hold one name;
   * keeping it here, the expiry in a typed array, means an answer for it (the common refresh)
   * allocates nothing and stores no new heap number into old-generation memory.
   */
  private name0: (string | null)[] = [];
  private owner0: (string | null)[] = [];
  private exp0 = new Float64Array(0);
  /** Per slot: the older names, oldest first, as [name, owner, expires, ...]; null while there are none. */
  private older: ((string | number)[] | null)[] = [];
  /** Per slot: sequence number of the pair's place in the eviction order. */
  private seqOf = new Float64Array(0);
  private count = 0;
  private deleted = 0;
  private seq = 0;
  /** Eviction order: slots and the sequence numbers they had when queued. */
  private orderSlots: number[] = [];
  private orderSeqs: number[] = [];
  private orderHead = 0;
  /** Entries dropped because the cache was full. */
  evicted = 0;
  /**
   * Packet time (µs) for addAt and lookupAt, set by the caller before them (a double argument
   * to a call that is not inlined is boxed; see Pipeline.now).
   */
  now = 0;
  /** The pair being added or looked up: address words then client words. */
  private readonly key = new Uint32Array(8);

  constructor(readonly maxEntries = DEFAULT_DNS_CACHE_ENTRIES, readonly graceMicros = DEFAULT_DNS_GRACE_MICROS) {
    // Small caches start small (and so rebuild early and often, which the tests rely on).
    let slots = 16;
    while (slots < INITIAL_SLOTS && slots < 2 * maxEntries + 2) slots *= 2;
    this.allocate(slots);
  }

  /**
   * Hash of the pair whose eight words (address a0..a3, client c0..c3) are `w[k, k + 8)`. A
   * non-negative small integer, so passing it on never allocates.
   */
  private static hashAt(v: number, w: Uint32Array, k: number): number {
    let h1 = Math.imul(w[k + 3] ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(w[k + 7] ^ 0xc2b2ae35, 0x27d4eb2f);
    let h2 = Math.imul(w[k] ^ w[k + 4] ^ v, 0x165667b1) ^ Math.imul(w[k + 1] ^ w[k + 5], 0x9e3779b1) ^ Math.imul(w[k + 2] ^ w[k + 6], 0x85ebca77);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0x2c1b3c6d) ^ h1;
    h2 ^= h2 >>> 16;
    return h2 & 0x3fffffff;
  }

  private allocate(cap: number): void {
    this.cap = cap;
    this.ver = new Uint8Array(cap);
    this.words = new Uint32Array(cap * 8);
    this.name0 = new Array<string | null>(cap).fill(null);
    this.owner0 = new Array<string | null>(cap).fill(null);
    this.exp0 = new Float64Array(cap);
    this.older = new Array<(string | number)[] | null>(cap).fill(null);
    this.seqOf = new Float64Array(cap);
    this.deleted = 0;
  }

  /** Slot holding the pair in `key`, or -1. */
  private find(h: number, v: number): number {
    const mask = this.cap - 1;
    const ver = this.ver;
    const w = this.words;
    const q = this.key;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = ver[i];
      if (s === EMPTY) return -1;
      if (s === v) {
        const k = i * 8;
        if (w[k + 3] === q[3] && w[k + 7] === q[7] && w[k] === q[0] && w[k + 1] === q[1] && w[k + 2] === q[2] && w[k + 4] === q[4] && w[k + 5] === q[5] && w[k + 6] === q[6]) return i;
      }
    }
  }

  /** A free slot for a pair not in the table (the first tombstone or empty slot on its probe path). */
  private freeSlot(h: number): number {
    const mask = this.cap - 1;
    const ver = this.ver;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = ver[i];
      if (s === EMPTY || s === DELETED) return i;
    }
  }

  /**
   * Records that `client` was told address `a` answers for `name` (asked) via `owner`, valid
   * `ttl` seconds from `ts`. The word-by-word form, for tests and tools; the pipeline calls addAt.
   */
  add(
    v: number, a0: number, a1: number, a2: number, a3: number,
    c0: number, c1: number, c2: number, c3: number,
    name: string, owner: string, ttlSeconds: number, ts: number,
  ): void {
    this.now = ts;
    this.addAt(v, [a0, a1, a2, a3], 0, Uint32Array.of(c0, c1, c2, c3), 0, name, owner, ttlSeconds);
  }

  /**
   * `add` for the pipeline, at packet time `now`: the address is `addr[ao, ao + 4)` and the
   * client `client[co, co + 4)`. Words are read here rather than passed: address words above
   * 2^30 passed to a call V8 does not inline are boxed, and this runs per DNS answer.
   */
  addAt(v: number, addr: readonly number[], ao: number, client: Uint32Array, co: number, name: string, owner: string, ttlSeconds: number): void {
    const q = this.key;
    q[0] = addr[ao]; q[1] = addr[ao + 1]; q[2] = addr[ao + 2]; q[3] = addr[ao + 3];
    q[4] = client[co]; q[5] = client[co + 1]; q[6] = client[co + 2]; q[7] = client[co + 3];
    const expires = this.now + ttlSeconds * 1e6 + this.graceMicros;
    // One hash for the lookup and, when the pair is new, the insertion (it does not depend on the table size).
    const h = DnsCache.hashAt(v, q, 0);
    const i = this.find(h, v);
    if (i >= 0) {
      // Approximate LRU: a pair answered again moves to the back of the eviction order, but only
      // once it has drifted into the older half (queuing it on every answer grew the queue by
      // one entry per answer).
      if (this.seq - this.seqOf[i] > this.maxEntries >>> 1) {
        this.seqOf[i] = this.seq++;
        this.pushOrder(i);
      }
      if (this.name0[i] === name) {
        // The newest name answered again (the usual case).
        this.owner0[i] = owner;
        if (expires > this.exp0[i]) this.exp0[i] = expires;
        return;
      }
      // Another name becomes the newest; the current newest joins the older ones.
      let d = this.older[i];
      let exp = expires;
      if (d !== null) {
        const n = d.length;
        for (let j = n - 3; j >= 0; j -= 3) {
          if (d[j] !== name) continue;
          // An older name answered again: it leaves the older ones (they close up in place).
          exp = Math.max(d[j + 2] as number, expires);
          removeTriple(d, j);
          break;
        }
        // Full (MAX_NAMES_PER_ADDRESS with the newest): the oldest name makes room.
        if (d.length >= 3 * (MAX_NAMES_PER_ADDRESS - 1)) removeTriple(d, 0);
        d.push(this.name0[i]!, this.owner0[i]!, this.exp0[i]);
      } else {
        d = [this.name0[i]!, this.owner0[i]!, this.exp0[i]];
        this.older[i] = d;
      }
      this.name0[i] = name;
      this.owner0[i] = owner;
      this.exp0[i] = exp;
      return;
    }
    // Keep the table at most half full (tombstones count: they lengthen probe paths too).
    if ((this.count + this.deleted + 1) * 2 > this.cap) this.rebuild(this.count * 4 > this.cap ? this.cap * 2 : this.cap);
    const j = this.freeSlot(h);
    if (this.ver[j] === DELETED) this.deleted--;
    this.ver[j] = v;
    const k = j * 8;
    this.words.set(q, k);
    this.name0[j] = name;
    this.owner0[j] = owner;
    this.exp0[j] = expires;
    this.older[j] = null;
    this.seqOf[j] = this.seq++;
    this.pushOrder(j);
    this.count++;
    if (this.count > this.maxEntries) this.evictOldest();
  }

  /** Names `client` learned for address `a` that are still valid at `ts`, most recent first (word-by-word form; see add). */
  lookup(v: number, a0: number, a1: number, a2: number, a3: number, c0: number, c1: number, c2: number, c3: number, ts: number): CachedName[] {
    this.now = ts;
    return this.lookupAt(v, Uint32Array.of(a0, a1, a2, a3), 0, Uint32Array.of(c0, c1, c2, c3), 0);
  }

  /** `lookup` for the pipeline, at packet time `now`, of address `addr[ao, ao + 4)` and client `client[co, co + 4)` (see addAt). */
  lookupAt(v: number, addr: Uint32Array, ao: number, client: Uint32Array, co: number): CachedName[] {
    const q = this.key;
    q[0] = addr[ao]; q[1] = addr[ao + 1]; q[2] = addr[ao + 2]; q[3] = addr[ao + 3];
    q[4] = client[co]; q[5] = client[co + 1]; q[6] = client[co + 2]; q[7] = client[co + 3];
    const ts = this.now;
    const i = this.find(DnsCache.hashAt(v, q, 0), v);
    if (i < 0) return NO_NAMES;
    let out: CachedName[] | null = null;
    if (this.exp0[i] >= ts) out = [{ name: this.name0[i]!, owner: this.owner0[i]! }];
    const d = this.older[i];
    if (d !== null) {
      for (let j = d.length - 3; j >= 0; j -= 3) {
        if ((d[j + 2] as number) < ts) continue;
        (out ??= []).push({ name: d[j] as string, owner: d[j + 1] as string });
      }
    }
    return out ?? NO_NAMES;
  }

  private pushOrder(slot: number): void {
    this.orderSlots.push(slot);
    this.orderSeqs.push(this.seqOf[slot]);
  }

  private evictOldest(): void {
    while (this.orderHead < this.orderSlots.length) {
      const q = this.orderHead++;
      const i = this.orderSlots[q];
      const st = this.ver[i];
      // Stale: the slot was freed, reused by another pair, or its pair moved to the back.
      if (st === EMPTY || st === DELETED || this.seqOf[i] !== this.orderSeqs[q]) continue;
      this.ver[i] = DELETED;
      this.name0[i] = null;
      this.owner0[i] = null;
      this.older[i] = null;
      this.deleted++;
      this.count--;
      this.evicted++;
      break;
    }
    // Compact the queue once its consumed head is more than half of it.
    if (this.orderHead > 1024 && this.orderHead * 2 > this.orderSlots.length) {
      this.orderSlots = this.orderSlots.slice(this.orderHead);
      this.orderSeqs = this.orderSeqs.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  /**
   * Re-inserts every pair into a table of `cap` slots (growing it, or clearing tombstones), and
   * carries the eviction order over: the queue is walked in order, stale entries dropped and
   * slots renumbered (the queue is in sequence order already, so nothing needs sorting).
   */
  private rebuild(cap: number): void {
    const oldCap = this.cap, oldVer = this.ver, oldWords = this.words, oldSeq = this.seqOf;
    const oldName0 = this.name0, oldOwner0 = this.owner0, oldExp0 = this.exp0, oldOlder = this.older;
    this.allocate(cap);
    const moved = new Int32Array(oldCap);
    for (let i = 0; i < oldCap; i++) {
      const v = oldVer[i];
      if (v === EMPTY || v === DELETED) continue;
      const k = i * 8;
      const w = oldWords;
      const j = this.freeSlot(DnsCache.hashAt(v, w, k));
      this.ver[j] = v;
      this.words.set(w.subarray(k, k + 8), j * 8);
      this.name0[j] = oldName0[i];
      this.owner0[j] = oldOwner0[i];
      this.exp0[j] = oldExp0[i];
      this.older[j] = oldOlder[i];
      this.seqOf[j] = oldSeq[i];
      moved[i] = j;
    }
    const slots: number[] = [];
    const seqs: number[] = [];
    for (let q = this.orderHead; q < this.orderSlots.length; q++) {
      const i = this.orderSlots[q];
      const v = oldVer[i];
      if (v === EMPTY || v === DELETED || oldSeq[i] !== this.orderSeqs[q]) continue; // stale
      slots.push(moved[i]);
      seqs.push(this.orderSeqs[q]);
    }
    this.orderSlots = slots;
    this.orderSeqs = seqs;
    this.orderHead = 0;
  }

  /** Cached (client, address) pairs right now. */
  get size(): number {
    return this.count;
  }
}

const NO_NAMES: CachedName[] = [];

/** Removes the (name, owner, expires) triple at `j`, closing up in place (splice would make garbage). */
function removeTriple(d: (string | number)[], j: number): void {
  const n = d.length;
  for (let k = j; k < n - 3; k++) d[k] = d[k + 3];
  d.length = n - 3;
}
