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

/**
 * The TTL an answer names flows for: RFC 2181 §8 says a TTL with its most significant bit set
 * is to be treated as zero (records keep the value as sent, as tshark shows it).
 */
export function effectiveTtl(ttl: number): number {
  return ttl > 0x7fffffff ? 0 : ttl;
}

/** An empty slot in `tags`; a used slot holds `tagOf(...)` > 0. */
const EMPTY = 0;
/** Initial table size (slots, a power of two); it doubles while more than half full. */
const INITIAL_SLOTS = 1024;

/*
 * Slot layout: one 64-byte line per slot in `words` (Uint32Array, WORDS_PER_SLOT words): the
 * address at 0..3, the client at 4..7, then through the Float64Array `nums` over the same memory
 * the newest name's expiry (µs) and the pair's eviction sequence number. The newest name, its
 * owner and the older names sit side by side in one plain array, `strs` (STRS_PER_SLOT each).
 */
const WORDS_PER_SLOT = 16;
const NUMS_PER_SLOT = 8;
const N_EXP0 = 5; // words 10..11
const N_SEQ = 6; // words 12..13
const STRS_PER_SLOT = 3; // name0, owner0, older
const S_NAME0 = 0;
const S_OWNER0 = 1;
const S_OLDER = 2;

/** Tag of a used slot: its hash and IP version, never EMPTY (the hash is 30 bits). */
function tagOf(h: number, v: number): number {
  return ((h << 1) | (v === 6 ? 1 : 0)) + 1;
}

/** Older names of a pair, oldest first, as [name, owner, expires, ...]. */
type OlderNames = (string | number)[];

/**
 * Address → names learned from DNS answers, per client: an open-addressed hash table (linear
 * probing; a deletion shifts the rest of its cluster back, so there are no tombstones) whose keys — IP version, address words, client words — live in typed
 * arrays, with one small array of names per pair. No string and no object is built per answer
 * or per lookup besides that array (measured: string keys cost ~1 µs per answer on the
 * DNS-heavy benchmark; a Map of per-pair objects spent ~1.3 µs per answer and most of the
 * flow-heavy benchmark's old-generation garbage collection on them).
 *
 * Memory layout, for cache misses (a table of 100 k pairs is far larger than the core's cache):
 * probing reads only `tags`, where each slot's hash and version are kept, so stepping past
 * another pair costs no visit to its slot; a pair is then one line of `words` and three
 * neighbouring entries of `strs` (measured: one array per field cost a miss per field, ~15 per
 * new pair counting the eviction it causes).
 *
 * Eviction is approximately least-recently-answered: a FIFO of (tag, sequence number) pairs,
 * where a pair answered again is queued anew once it has drifted into the older half, and a
 * queued entry whose pair no longer has that sequence number is stale and skipped. The queue
 * names pairs by tag, not by slot, because deletions move pairs between slots; the tag leads a
 * probe to the pair. (With tombstones instead, a full cache rebuilt its table every ~30 k new
 * pairs: on the flow-heavy benchmark 9 rebuilds, 0.1 s, and a table grown to 4x its entries.)
 */
export class DnsCache {
  /** Slots (a power of two). */
  private cap = 0;
  /** Per slot: EMPTY or the pair's tag (tagOf). */
  private tags = new Int32Array(0);
  /** Per slot: address and client words, then (as `nums`) expiry and sequence number. */
  private words = new Uint32Array(0);
  private nums = new Float64Array(0);
  /**
   * Per slot: the newest name, its owner, and the older names (null while there are none). Most
   * pairs only ever hold one name; keeping it here and its expiry in `nums` means an answer for
   * it (the common refresh) allocates nothing and stores no new heap number.
   */
  private strs: (string | OlderNames | null)[] = [];
  private count = 0;
  private seq = 0;
  /** Eviction order: pairs' tags and the sequence numbers they had when queued. */
  private orderTags: number[] = [];
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
   * Hash of the pair in `key` (address a0..a3, client c0..c3) for IP version `v`. A
   * non-negative small integer, so passing it on never allocates.
   */
  private hashKey(v: number): number {
    const w = this.key;
    let h1 = Math.imul(w[3] ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(w[7] ^ 0xc2b2ae35, 0x27d4eb2f);
    let h2 = Math.imul(w[0] ^ w[4] ^ v, 0x165667b1) ^ Math.imul(w[1] ^ w[5], 0x9e3779b1) ^ Math.imul(w[2] ^ w[6], 0x85ebca77);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0x2c1b3c6d) ^ h1;
    h2 ^= h2 >>> 16;
    return h2 & 0x3fffffff;
  }

  private allocate(cap: number): void {
    this.cap = cap;
    this.tags = new Int32Array(cap);
    this.words = new Uint32Array(cap * WORDS_PER_SLOT);
    this.nums = new Float64Array(this.words.buffer);
    this.strs = new Array<string | OlderNames | null>(cap * STRS_PER_SLOT).fill(null);
  }

  /** Slot holding the pair in `key` (hash `h`, version `v`), or -1. */
  private find(h: number, v: number): number {
    const mask = this.cap - 1;
    const tags = this.tags;
    const tag = tagOf(h, v);
    const w = this.words;
    const q = this.key;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const t = tags[i];
      if (t === EMPTY) return -1;
      if (t === tag) {
        const k = i * WORDS_PER_SLOT;
        if (w[k + 3] === q[3] && w[k + 7] === q[7] && w[k] === q[0] && w[k + 1] === q[1] && w[k + 2] === q[2] && w[k + 4] === q[4] && w[k + 5] === q[5] && w[k + 6] === q[6]) return i;
      }
    }
  }

  /** A free slot for a pair not in the table (the first empty slot on its probe path). */
  private freeSlot(h: number): number {
    const mask = this.cap - 1;
    const tags = this.tags;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      if (tags[i] === EMPTY) return i;
    }
  }

  /**
   * Empties slot `hole` and closes the gap: each later pair of the cluster whose home slot is not
   * between the hole and itself moves back into it (Knuth's algorithm R), so every pair stays
   * reachable from its home. The tag holds the hash, so no key is read. Ends at an empty slot
   * (the table is at most half full).
   */
  private removeAt(hole: number): void {
    const mask = this.cap - 1;
    const tags = this.tags;
    const strs = this.strs;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const tag = tags[j];
      if (tag === EMPTY) break;
      const home = ((tag - 1) >>> 1) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.putSlot(hole, tag, this.words, this.strs, j);
        hole = j;
      }
    }
    tags[hole] = EMPTY;
    for (let x = 0; x < STRS_PER_SLOT; x++) strs[hole * STRS_PER_SLOT + x] = null;
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
    const h = this.hashKey(v);
    const i = this.find(h, v);
    const nums = this.nums;
    const strs = this.strs;
    if (i >= 0) {
      const n = i * NUMS_PER_SLOT;
      const t = i * STRS_PER_SLOT;
      // Approximate LRU: a pair answered again moves to the back of the eviction order, but only
      // once it has drifted into the older half (queuing it on every answer grew the queue by
      // one entry per answer).
      if (this.seq - nums[n + N_SEQ] > this.maxEntries >>> 1) {
        nums[n + N_SEQ] = this.seq++;
        this.pushOrder(i);
      }
      if (strs[t + S_NAME0] === name) {
        // The newest name answered again (the usual case).
        strs[t + S_OWNER0] = owner;
        if (expires > nums[n + N_EXP0]) nums[n + N_EXP0] = expires;
        return;
      }
      // Another name becomes the newest; the current newest joins the older ones.
      let d = strs[t + S_OLDER] as OlderNames | null;
      let exp = expires;
      if (d !== null) {
        const len = d.length;
        for (let j = len - 3; j >= 0; j -= 3) {
          if (d[j] !== name) continue;
          // An older name answered again: it leaves the older ones (they close up in place).
          exp = Math.max(d[j + 2] as number, expires);
          removeTriple(d, j);
          break;
        }
        // Full (MAX_NAMES_PER_ADDRESS with the newest): the oldest name makes room.
        if (d.length >= 3 * (MAX_NAMES_PER_ADDRESS - 1)) removeTriple(d, 0);
        d.push(strs[t + S_NAME0] as string, strs[t + S_OWNER0] as string, nums[n + N_EXP0]);
      } else {
        d = [strs[t + S_NAME0] as string, strs[t + S_OWNER0] as string, nums[n + N_EXP0]];
        strs[t + S_OLDER] = d;
      }
      strs[t + S_NAME0] = name;
      strs[t + S_OWNER0] = owner;
      nums[n + N_EXP0] = exp;
      return;
    }
    // Keep the table at most half full.
    if ((this.count + 1) * 2 > this.cap) this.rebuild(this.cap * 2);
    const j = this.freeSlot(h);
    this.tags[j] = tagOf(h, v);
    const w = this.words;
    const k = j * WORDS_PER_SLOT;
    w[k] = q[0]; w[k + 1] = q[1]; w[k + 2] = q[2]; w[k + 3] = q[3];
    w[k + 4] = q[4]; w[k + 5] = q[5]; w[k + 6] = q[6]; w[k + 7] = q[7];
    const t = j * STRS_PER_SLOT;
    const s2 = this.strs;
    s2[t + S_NAME0] = name;
    s2[t + S_OWNER0] = owner;
    s2[t + S_OLDER] = null;
    const n = j * NUMS_PER_SLOT;
    const nn = this.nums;
    nn[n + N_EXP0] = expires;
    nn[n + N_SEQ] = this.seq++;
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
    const i = this.find(this.hashKey(v), v);
    if (i < 0) return NO_NAMES;
    const t = i * STRS_PER_SLOT;
    const strs = this.strs;
    let out: CachedName[] | null = null;
    if (this.nums[i * NUMS_PER_SLOT + N_EXP0] >= ts) out = [{ name: strs[t + S_NAME0] as string, owner: strs[t + S_OWNER0] as string }];
    const d = strs[t + S_OLDER] as OlderNames | null;
    if (d !== null) {
      for (let j = d.length - 3; j >= 0; j -= 3) {
        if ((d[j + 2] as number) < ts) continue;
        (out ??= []).push({ name: d[j] as string, owner: d[j + 1] as string });
      }
    }
    return out ?? NO_NAMES;
  }

  private pushOrder(slot: number): void {
    this.orderTags.push(this.tags[slot]);
    this.orderSeqs.push(this.nums[slot * NUMS_PER_SLOT + N_SEQ]);
  }

  /** Slot of the pair with this tag and sequence number, or -1 (it was evicted or queued anew). */
  private slotOf(tag: number, seq: number): number {
    const mask = this.cap - 1;
    const tags = this.tags;
    const nums = this.nums;
    for (let i = ((tag - 1) >>> 1) & mask; ; i = (i + 1) & mask) {
      const t = tags[i];
      if (t === EMPTY) return -1;
      if (t === tag && nums[i * NUMS_PER_SLOT + N_SEQ] === seq) return i;
    }
  }

  private evictOldest(): void {
    while (this.orderHead < this.orderTags.length) {
      const q = this.orderHead++;
      const i = this.slotOf(this.orderTags[q], this.orderSeqs[q]);
      if (i < 0) continue; // stale: the pair was evicted already, or moved to the back
      this.removeAt(i);
      this.count--;
      this.evicted++;
      break;
    }
    // Compact the queue once its consumed head is more than half of it.
    if (this.orderHead > 1024 && this.orderHead * 2 > this.orderTags.length) {
      this.orderTags = this.orderTags.slice(this.orderHead);
      this.orderSeqs = this.orderSeqs.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  /**
   * Re-inserts every pair into a table of `cap` slots (growing it). The eviction queue names
   * pairs by tag and sequence number, so it carries over as it is.
   */
  private rebuild(cap: number): void {
    const oldCap = this.cap, oldTags = this.tags, oldWords = this.words, oldStrs = this.strs;
    this.allocate(cap);
    for (let i = 0; i < oldCap; i++) {
      const tag = oldTags[i];
      if (tag === EMPTY) continue;
      this.putSlot(this.freeSlot((tag - 1) >>> 1), tag, oldWords, oldStrs, i); // the tag holds the hash
    }
  }

  /**
   * Fills slot `to` with the pair at `from` of `words`/`strs` (this table's own arrays when a
   * deletion moves a pair back, the old ones when the table grows): its tag, the whole slot
   * line (key words, expiry, sequence number) and its names.
   */
  private putSlot(to: number, tag: number, words: Uint32Array, strs: (string | OlderNames | null)[], from: number): void {
    this.tags[to] = tag;
    const a = to * WORDS_PER_SLOT;
    const b = from * WORDS_PER_SLOT;
    for (let x = 0; x < WORDS_PER_SLOT; x++) this.words[a + x] = words[b + x];
    for (let x = 0; x < STRS_PER_SLOT; x++) this.strs[to * STRS_PER_SLOT + x] = strs[from * STRS_PER_SLOT + x];
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
