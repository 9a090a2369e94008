/**
 * StreamHead: the first bytes of one direction of a TCP connection, reassembled in sequence
 * order (out-of-order segments, retransmissions, overlaps, cuts anywhere) so the extractors
 * see one contiguous buffer from the stream's first byte.
 *
 * Bounded to STREAM_HEAD_BYTES and to MAX_PENDING_RANGES holes; the caller frees it once the
 * flow is named. Never throws on segment data, never allocates more than the bound, and never
 * reads outside the segment it is given. Overlapping bytes keep the first copy (what the
 * receiver most likely used); a retransmission that differs is counted as a conflict.
 *
 * Memory across all heads is bounded by a StreamHeadBudget (the default one unless the caller
 * passes its own): past it, the oldest heads are shed — their bytes dropped, `shed` set — so a
 * flood of flows that each start a ClientHello and never finish it cannot exhaust memory.
 */

/**
 * 16 KiB: the largest ClientHello seen in practice (post-quantum key shares plus padding,
 * ~1.9 KB) with an 8x margin, and the HTTP head limit of the request parser.
 */
export const STREAM_HEAD_BYTES = 16 * 1024;

/** Holes we track before giving up on a stream (each hole is a pair of numbers). */
const MAX_PENDING_RANGES = 32;

/**
 * Default bound on bytes held by all stream heads together: 4,096 full 16 KiB heads, far more
 * flows than are ever waiting for the rest of their first bytes at once in real traffic. Without
 * it, a flood of flows that each send one segment 16,000 bytes past their SYN made the heads of
 * 1 M flows hold 16 GB (measured with test/bench/make-flood.ts --kind far-seq).
 */
export const DEFAULT_STREAM_HEAD_BUDGET_BYTES = 64 * 1024 * 1024;

const EMPTY = new Uint8Array(0);
/** The ranges of a shed head (never written: a shed head accepts nothing). */
const NO_RANGES: number[] = [];

/**
 * Bytes charged to the budget for each far segment besides its own bytes: what it costs on the V8
 * heap (the segment object, the typed array and its buffer object; measured ~250 B). Without it a
 * flood of 250 k flows with one far byte each charged 250 kB and outgrew the launcher's heap cap.
 */
export const FAR_SEGMENT_COST = 512;

/** A segment kept apart from the buffer (see StreamHead.far): its stream offset and a copy of its bytes. */
interface FarSegment { rel: number; bytes: Uint8Array }

/**
 * Accounts the buffers of stream heads in allocation order. When the total passes `limitBytes`,
 * the oldest heads are shed first (heads the pipeline already dropped count until they are shed,
 * so the total is an upper bound on what is really held). Deterministic: no timers, no GC hooks.
 */
export class StreamHeadBudget {
  /** Bytes charged to heads still in the queue. */
  usedBytes = 0;
  /** Heads shed to stay under the bound. */
  shedHeads = 0;
  private queue: StreamHead[] = [];
  private qHead = 0;

  constructor(readonly limitBytes = DEFAULT_STREAM_HEAD_BUDGET_BYTES) {}

  /** Charges `bytes` more to `head` (enqueued on its first charge), then sheds the oldest heads while over the bound. */
  charge(head: StreamHead, bytes: number): void {
    if (head.charged === 0) this.queue.push(head);
    head.charged += bytes;
    this.usedBytes += bytes;
    while (this.usedBytes > this.limitBytes && this.queue.length - this.qHead > 1) {
      const old = this.queue[this.qHead++];
      if (old === head) {
        this.queue.push(head); // never shed the head being grown: move it to the back
        continue;
      }
      this.usedBytes -= old.charged;
      old.charged = 0;
      old.shedBuffer();
      this.shedHeads++;
    }
    if (this.qHead > 4096 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
  }
}

/** The budget shared by heads created without one (one per process; the CLI runs one audit). */
export const defaultStreamHeadBudget = new StreamHeadBudget();

/** Contiguous-prefix reassembly of the first STREAM_HEAD_BYTES of a byte stream. */
export class StreamHead {
  /** Bytes [0, contiguous) are filled in order and can be parsed. */
  contiguous = 0;
  /** Sequence number of stream byte 0 (unsigned 32-bit). */
  base = 0;
  /** Data arrived past a hole that never filled (so far). */
  hasHole = false;
  /** Data arrived beyond the bound. */
  overflow = false;
  /** Retransmitted bytes that differed from the first copy. */
  conflicts = 0;
  /** The buffer; grows up to STREAM_HEAD_BYTES. Bytes past `contiguous` may be filled too. */
  buf: Uint8Array;
  /** The budget dropped this head's bytes (memory bound reached); it accepts nothing more. */
  shed = false;
  /** Bytes charged to the budget for this head (bookkeeping of StreamHeadBudget). */
  charged = 0;
  /** Filled intervals past `contiguous`: [start0, end0, start1, end1, ...], sorted, disjoint. */
  private ranges: number[] = [];
  /**
   * Segments past a hole that start beyond the buffer as it is: disjoint copies of their own,
   * until the buffer grows over them (then they join it before the segment that made it grow,
   * so the first copy of a byte is still the one kept). Invariant: each starts at or past
   * `buf.length`. Without them one byte 16 kB past the SYN grew the buffer to
   * 16 KiB: a flood of such flows allocated 36 GB of buffers, and V8 ran a full collection every
   * 64 MB of them (measured: 2 M flows, 64 s, most of it in garbage collection).
   */
  private far: FarSegment[] | null = null;
  /** Size of the first buffer, allocated with the first byte that needs it. */
  private readonly initialSize: number;

  constructor(base: number, initialSize = 2048, private readonly budget: StreamHeadBudget = defaultStreamHeadBudget) {
    this.base = base >>> 0;
    this.initialSize = Math.min(Math.max(initialSize, 0), STREAM_HEAD_BYTES);
    this.buf = EMPTY;
  }

  /** Drops the buffered bytes for good (called by the budget). */
  shedBuffer(): void {
    this.shed = true;
    this.buf = EMPTY;
    this.contiguous = 0;
    this.ranges = NO_RANGES;
    this.far = null;
    this.overflow = true;
  }

  /**
   * Adds the segment `data[off, off + len)` carrying sequence number `seq`.
   * Returns true when the contiguous prefix grew.
   */
  add(seq: number, data: Uint8Array, off: number, len: number): boolean {
    if (len <= 0 || this.shed) return false;
    let rel = ((seq >>> 0) - this.base) | 0;
    let s = off;
    let n = len;
    if (rel < 0) {
      // Bytes before the stream start (an old retransmission): keep only the part after it.
      if (rel + n <= 0) return false;
      s -= rel;
      n += rel;
      rel = 0;
    }
    if (rel >= STREAM_HEAD_BYTES) {
      this.overflow = true;
      if (rel > this.contiguous) this.hasHole = true;
      return false;
    }
    if (rel + n > STREAM_HEAD_BYTES) {
      n = STREAM_HEAD_BYTES - rel;
      this.overflow = true;
    }
    const end = rel + n;
    if (rel > this.contiguous && rel >= this.buf.length) {
      // Past a hole and beyond the buffer: kept as a copy until the buffer grows over it.
      this.hasHole = true;
      this.keepFar(rel, end, data, s);
      return false;
    }
    const before = this.contiguous;
    this.ensure(end);
    if (this.shed) return false; // growing it went over the budget
    // Fast path: the next in-order segment with nothing pending.
    if (rel === this.contiguous && this.ranges.length === 0) {
      this.buf.set(data.subarray(s, s + n), rel);
      this.contiguous = end;
      return true;
    }
    this.insert(rel, end, data, s);
    this.hasHole = this.ranges.length > 0 || this.far !== null;
    return this.contiguous > before;
  }

  /** Bytes buffered past a hole. */
  get pendingBytes(): number {
    let total = 0;
    for (let i = 0; i < this.ranges.length; i += 2) total += this.ranges[i + 1] - this.ranges[i];
    if (this.far !== null) for (const f of this.far) total += f.bytes.length;
    return total;
  }

  /**
   * Nothing more can come of this head: the budget shed its bytes, or it is full (all of its
   * STREAM_HEAD_BYTES in order) and data arrived beyond. Every reader gives up then.
   */
  get exhausted(): boolean {
    return this.shed || (this.overflow && this.contiguous >= STREAM_HEAD_BYTES);
  }

  /** Separate pieces held past the contiguous prefix (ranges in the buffer and far copies). */
  get pendingRanges(): number {
    return this.ranges.length / 2 + (this.far !== null ? this.far.length : 0);
  }

  /** Grows the buffer to hold `end` bytes, and takes in the far segments it then reaches. */
  private ensure(end: number): void {
    if (end <= this.buf.length) return;
    // At least 1 before doubling: a head created with initialSize 0 would otherwise loop forever.
    let size = Math.max(this.buf.length, this.initialSize, 1);
    for (;;) {
      while (size < end) size *= 2;
      size = Math.min(size, STREAM_HEAD_BYTES);
      // A far segment that would start inside the buffer must fit in it whole (all end within the bound).
      let need = end;
      if (this.far !== null) for (const f of this.far) if (f.rel < size) need = Math.max(need, f.rel + f.bytes.length);
      if (need <= size) break;
      end = need;
    }
    const b = new Uint8Array(size);
    b.set(this.buf);
    const grownBy = b.length - this.buf.length;
    this.buf = b;
    this.budget.charge(this, grownBy);
    if (this.shed || this.far === null) return;
    // The far segments now inside the buffer join it. They are disjoint and nothing in the buffer
    // reached them, so this only copies bytes.
    const still: FarSegment[] = [];
    for (const f of this.far) {
      if (f.rel < size) this.insert(f.rel, f.rel + f.bytes.length, f.bytes, 0);
      else still.push(f);
    }
    this.far = still.length > 0 ? still : null;
  }

  /**
   * Keeps the parts of [start, end) that no earlier far segment holds, as far segments of their
   * own (so they stay disjoint, and the first copy of a byte is the one kept), and compares the
   * parts that one does: a retransmission that differs is a conflict now, as insert() would
   * count it, whether or not the hole ever fills (counted once per segment).
   */
  private keepFar(start: number, end: number, data: Uint8Array, src: number): void {
    const far = this.far ?? (this.far = []);
    let pieces: number[] = [start, end];
    let differs = false;
    for (const f of far) {
      const fs = f.rel;
      const fe = f.rel + f.bytes.length;
      const next: number[] = [];
      for (let i = 0; i < pieces.length; i += 2) {
        const a = pieces[i];
        const b = pieces[i + 1];
        if (fe <= a || fs >= b) { next.push(a, b); continue; }
        const oe = Math.min(b, fe);
        for (let j = Math.max(a, fs); j < oe && !differs; j++) differs = f.bytes[j - fs] !== data[src + (j - start)];
        if (a < fs) next.push(a, fs);
        if (fe < b) next.push(fe, b);
      }
      pieces = next;
    }
    if (differs) this.conflicts++;
    for (let i = 0; i < pieces.length && far.length < MAX_PENDING_RANGES; i += 2) {
      // Past MAX_PENDING_RANGES the stream is too fragmented to track (as for ranges): dropped.
      const a = pieces[i];
      const b = pieces[i + 1];
      far.push({ rel: a, bytes: data.slice(src + (a - start), src + (b - start)) });
      this.budget.charge(this, FAR_SEGMENT_COST + (b - a));
    }
  }

  /** Copies the parts of [start, end) not yet filled; compares the parts that are. */
  private insert(start: number, end: number, data: Uint8Array, src: number): void {
    // Treat [0, contiguous) as the first filled interval.
    const filled: number[] = this.contiguous > 0 ? [0, this.contiguous, ...this.ranges] : [...this.ranges];
    let pos = start;
    for (let i = 0; i < filled.length && pos < end; i += 2) {
      const fs = filled[i];
      const fe = filled[i + 1];
      if (fe <= pos) continue;
      if (fs >= end) break;
      if (fs > pos) this.buf.set(data.subarray(src + (pos - start), src + (fs - start)), pos);
      // Overlap [max(pos, fs), min(end, fe)): keep the first copy, count differences once.
      const os = Math.max(pos, fs);
      const oe = Math.min(end, fe);
      for (let j = os; j < oe; j++) {
        if (this.buf[j] !== data[src + (j - start)]) { this.conflicts++; break; }
      }
      pos = Math.max(pos, fe);
    }
    if (pos < end) this.buf.set(data.subarray(src + (pos - start), src + (end - start)), pos);
    // Merge the new interval into the filled set.
    filled.push(start, end);
    const pairs: [number, number][] = [];
    for (let i = 0; i < filled.length; i += 2) pairs.push([filled[i], filled[i + 1]]);
    pairs.sort((a, b) => a[0] - b[0]);
    const merged: number[] = [];
    for (const [a, b] of pairs) {
      const m = merged.length;
      if (m > 0 && a <= merged[m - 1]) merged[m - 1] = Math.max(merged[m - 1], b);
      else merged.push(a, b);
    }
    if (merged.length > 0 && merged[0] === 0) {
      this.contiguous = merged[1];
      this.ranges = merged.slice(2);
    } else {
      this.contiguous = 0;
      this.ranges = merged;
    }
    if (this.ranges.length > 2 * MAX_PENDING_RANGES) {
      // Too fragmented to be worth tracking: keep what is contiguous, drop the rest.
      this.ranges = this.ranges.slice(0, 2 * MAX_PENDING_RANGES);
    }
  }

  /**
   * Drops the first `n` bytes, already read (whole DNS-over-TCP messages): the head now starts
   * `n` bytes later in the stream, so a long-lived stream of small messages is followed past
   * STREAM_HEAD_BYTES. Only a head with nothing held past its contiguous prefix moves (false
   * otherwise: the caller keeps its offset until the hole fills), so no held byte changes place.
   */
  advance(n: number): boolean {
    if (n <= 0 || this.shed || this.ranges.length > 0 || this.far !== null) return false;
    const k = Math.min(n, this.contiguous);
    if (k < this.contiguous) this.buf.copyWithin(0, k, this.contiguous);
    this.contiguous -= k;
    this.base = (this.base + k) >>> 0;
    // Bytes beyond the bound were cut from the segment that brought them (the caller hands in
    // at most what fits, see Pipeline.feedDnsTcp); what is left is in place.
    this.overflow = false;
    return true;
  }

  /** Forgets everything buffered and restarts at sequence number `base` (next HTTP request). */
  restart(base: number): void {
    this.base = base >>> 0;
    this.contiguous = 0;
    this.ranges = [];
    this.far = null;
    this.hasHole = false;
    this.overflow = false;
  }
}
