/**
 * IP fragment reassembly for IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5). Fragments are keyed
 * by version, source, destination, protocol and identification, and by the VLAN they came on;
 * a completed datagram's payload (the bytes after the IP header, or after the Fragment header)
 * is handed back in `output`.
 *
 * Bounded in datagrams, bytes and packet time (FragmentLimits); every limit hit is a counted
 * anomaly. It allocates only on the fragment path (one buffer per datagram, recycled through a
 * small free list) and never on unfragmented packets. It must never throw on packet bytes and
 * never hand out a buffer that a later fragment of the same frame could overwrite.
 */
import { A, AnomalyCounters } from '../anomalies';
import { PacketView } from './packet-view';

const FRAGMENT_OVERLAP = A['ip.fragment_overlap'];
const FRAGMENT_TOO_LARGE = A['ip.fragment_too_large'];
const FRAGMENT_TABLE_FULL = A['ip.fragment_table_full'];
const FRAGMENT_INCOMPLETE = A['ip.fragment_incomplete'];
const IP4_BAD_TOTAL_LENGTH = A['ip4.bad_total_length'];
const IP6_BAD_PAYLOAD_LENGTH = A['ip6.bad_payload_length'];

/** Limits of IP fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5). */
export interface FragmentLimits { maxDatagrams: number; maxBytes: number; timeoutMicros: number }

/**
 * Defaults. 1024 datagrams in flight is far above what a device produces (fragmented DNS/EDNS0
 * or IKE come a few at a time) yet caps a fragment flood's bookkeeping; 16 MiB holds 256 maximum
 * size (64 KiB) datagrams. The timeout, on packet time so replays behave like live capture, is 255
 * s, RFC 791's upper bound (a fragment lives no longer than its TTL in seconds), not a receiving
 * host's (Linux's ipfrag_time is 30 s, RFC 8200 §4.5 says 60 s): the fragments were sent, and
 * tshark and Zeek keep no timer, so they list the conversation of a datagram whose last
 * fragment came 100 s late (dnscap's frag_timeout captures). The two caps above bound the
 * memory; the timer only ends datagrams that will never complete.
 */
export const DEFAULT_FRAGMENT_LIMITS: FragmentLimits = { maxDatagrams: 1024, maxBytes: 16 * 1024 * 1024, timeoutMicros: 255_000_000 };

/** add(): the fragment was stored; the datagram is not complete yet. */
export const FRAGMENT_HELD = -1;
/** add(): the fragment was rejected and an anomaly counted. */
export const FRAGMENT_DROPPED = -2;

/**
 * Largest reassembled payload. IPv4: Total Length is 16 bits, so no datagram exceeds 65535
 * bytes (RFC 791 §3.1); a fragment ending beyond that is the "ping of death". IPv6: the
 * fragmentable part is bounded by the 16-bit Payload Length of the original packet (RFC 8200 §4.5).
 */
export const MAX_REASSEMBLED_LENGTH = 65535;
/** Fragment offsets count 8-byte blocks (RFC 791 §3.1, RFC 8200 §4.5): the coverage bitmap has one bit per block. */
const BLOCK_WORDS = (MAX_REASSEMBLED_LENGTH + 1) / 8 / 32;
/** First buffer size of a datagram: one Ethernet MTU's worth; grows by doubling. */
const INITIAL_CAPACITY = 2048;
/**
 * Finished datagrams kept for reuse. Fragmented traffic comes in bursts of a few datagrams at
 * a time (DNS over UDP with EDNS0, IKE); 16 x 64 KiB worst case is 1 MiB of idle memory.
 */
const MAX_FREE_DATAGRAMS = 16;
/**
 * Datagrams just completed are remembered for a while (a ring of RECENT_DATAGRAMS, each for
 * RECENT_MICROS): a duplicated capture (a SPAN port that copies twice, a link that duplicates)
 * repeats a datagram's last fragment after it completed, which would otherwise start a datagram
 * that never completes (a false ip.fragment_incomplete) and could be merged into a later
 * datagram that reuses the id. A fragment of one of them, within its length, is a copy: ignored.
 * A second is far below the time an IPv4 id takes to come round on one path.
 */
const RECENT_DATAGRAMS = 64;
const RECENT_MICROS = 1_000_000;
/** Words per remembered datagram: version | proto << 8, id, vlan, source and destination words, total length, completion time. */
const RECENT_WORDS = 13;

/** One datagram being reassembled. */
class PendingDatagram {
  version = 0; proto = 0; id = 0;
  /** The innermost VLAN id the fragments came on (-1: none): one trunk carries several networks whose hosts may share addresses and ids, and tshark keeps their datagrams apart. */
  vlan = -1;
  sa0 = 0; sa1 = 0; sa2 = 0; sa3 = 0;
  da0 = 0; da1 = 0; da2 = 0; da3 = 0;
  firstTsMicros = 0;
  /** Payload length once the last fragment (MF/M = 0) was seen, else -1. */
  totalLength = -1;
  /** Highest end offset received so far. */
  maxEnd = 0;
  /** Number of 8-byte blocks received. */
  blocksReceived = 0;
  /** Frames that carried fragments of this datagram, and their wire lengths added up (the flow counts them all). */
  frames = 0;
  wireBytes = 0;
  data = new Uint8Array(INITIAL_CAPACITY);
  readonly blocks = new Uint32Array(BLOCK_WORDS);
}

/** Reassembles fragments; one instance per FrameDecoder. */
export class IpReassembler {
  /** Payload of the datagram that add() just completed: `output[0, length)`. Valid until the next recycle(). */
  output: Uint8Array = new Uint8Array(0);
  /** Of the datagram add() just completed: the frames its fragments came in, and their wire bytes. */
  outputFrames = 0;
  outputWireBytes = 0;
  private readonly pending: PendingDatagram[] = [];
  private readonly free: PendingDatagram[] = [];
  private completed: PendingDatagram | null = null;
  /** Datagrams completed recently (RECENT_WORDS each, a ring; time 0: empty), and where the next goes. */
  private readonly recent = new Float64Array(RECENT_DATAGRAMS * RECENT_WORDS);
  private recentNext = 0;
  private bytesInUse = 0;
  private oldestTsMicros = Infinity;

  constructor(private readonly anomalies: AnomalyCounters, private readonly limits: FragmentLimits) {}

  /** Datagrams currently waiting for fragments. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Lets the last completed datagram's buffer be reused. Call once per frame, before decoding it. */
  recycle(): void {
    const done = this.completed;
    if (done === null) return;
    this.completed = null;
    if (this.free.length < MAX_FREE_DATAGRAMS) this.free.push(done);
  }

  /**
   * Stores fragment `buf[off, off + length)` at byte `fragOffset` of the datagram named by the
   * addresses on `view`, `version`, `proto` and `id`. Returns the datagram's payload length when
   * this fragment completed it (bytes in `output`), else FRAGMENT_HELD or FRAGMENT_DROPPED.
   * Overlaps: the first bytes received win (a later differing copy cannot rewrite what was
   * audited), and every overlap except an identical retransmission counts ip.fragment_overlap.
   */
  add(
    view: PacketView, version: number, proto: number, id: number, fragOffset: number, more: boolean,
    buf: Uint8Array, off: number, length: number, tsMicros: number, frameWireLength = 0, frameCount = 1,
  ): number {
    const end = fragOffset + length;
    // RFC 791 §3.2 / RFC 8200 §4.5: every fragment but the last carries a multiple of 8 bytes.
    if (more && (length & 7) !== 0) {
      this.anomalies.add(version === 4 ? IP4_BAD_TOTAL_LENGTH : IP6_BAD_PAYLOAD_LENGTH);
      return FRAGMENT_DROPPED;
    }
    if (end > MAX_REASSEMBLED_LENGTH) {
      this.anomalies.add(FRAGMENT_TOO_LARGE);
      return FRAGMENT_DROPPED;
    }
    if (tsMicros - this.oldestTsMicros > this.limits.timeoutMicros) this.expire(tsMicros);
    let d = this.find(view, version, proto, id);
    if (d === null) {
      if (this.completedRecently(view, version, proto, id, end, tsMicros)) return FRAGMENT_HELD;
      d = this.start(view, version, proto, id, tsMicros);
      if (d === null) return FRAGMENT_DROPPED;
    }
    d.frames += frameCount;
    d.wireBytes += frameWireLength;
    if (more ? d.totalLength !== -1 && end > d.totalLength
      : (d.totalLength !== -1 && d.totalLength !== end) || d.maxEnd > end) {
      // This fragment contradicts the datagram's end as already known: keep what came first.
      this.anomalies.add(FRAGMENT_OVERLAP);
      return FRAGMENT_HELD;
    }
    if (end > d.data.length && !this.grow(d, end)) return FRAGMENT_DROPPED;
    if (!more) d.totalLength = end;
    if (end > d.maxEnd) d.maxEnd = end;
    this.copyBlocks(d, buf, off, fragOffset, end);
    if (d.totalLength === -1 || d.blocksReceived !== (d.totalLength + 7) >>> 3) return FRAGMENT_HELD;
    this.remove(d);
    this.remember(d, tsMicros);
    this.completed = d;
    this.output = d.data;
    this.outputFrames = d.frames;
    this.outputWireBytes = d.wireBytes;
    return d.totalLength;
  }

  /** End of input: every datagram still waiting counts ip.fragment_incomplete. */
  finish(): void {
    for (let i = 0; i < this.pending.length; i++) this.anomalies.add(FRAGMENT_INCOMPLETE);
    while (this.pending.length > 0) this.remove(this.pending[this.pending.length - 1]);
  }

  /** Copies the blocks not yet received; compares the ones already there (first copy wins). */
  private copyBlocks(d: PendingDatagram, buf: Uint8Array, off: number, fragOffset: number, end: number): void {
    const data = d.data;
    const blocks = d.blocks;
    let overlapped = false;
    let differs = false;
    let fresh = false;
    let src = off;
    for (let pos = fragOffset; pos < end;) {
      const block = pos >>> 3;
      const bit = 1 << (block & 31);
      const blockEnd = pos + 8 < end ? pos + 8 : end;
      if ((blocks[block >>> 5] & bit) !== 0) {
        overlapped = true;
        for (; pos < blockEnd; pos++, src++) if (data[pos] !== buf[src]) differs = true;
      } else {
        blocks[block >>> 5] |= bit;
        d.blocksReceived++;
        fresh = true;
        for (; pos < blockEnd; pos++, src++) data[pos] = buf[src];
      }
    }
    if (overlapped && (differs || fresh)) this.anomalies.add(FRAGMENT_OVERLAP);
  }

  /** Notes completed datagram `d` in the ring of recent ones. */
  private remember(d: PendingDatagram, tsMicros: number): void {
    const r = this.recent;
    const o = this.recentNext * RECENT_WORDS;
    r[o] = d.version | (d.proto << 8); r[o + 1] = d.id; r[o + 2] = d.vlan;
    r[o + 3] = d.sa0; r[o + 4] = d.sa1; r[o + 5] = d.sa2; r[o + 6] = d.sa3;
    r[o + 7] = d.da0; r[o + 8] = d.da1; r[o + 9] = d.da2; r[o + 10] = d.da3;
    r[o + 11] = d.totalLength; r[o + 12] = tsMicros;
    this.recentNext = (this.recentNext + 1) % RECENT_DATAGRAMS;
  }

  /** True when a fragment ending at `end` belongs to a datagram completed within RECENT_MICROS: a copy of one of its fragments. */
  private completedRecently(view: PacketView, version: number, proto: number, id: number, end: number, tsMicros: number): boolean {
    const r = this.recent;
    const vp = version | (proto << 8);
    for (let o = 0; o < r.length; o += RECENT_WORDS) {
      if (r[o + 1] !== id || r[o] !== vp || r[o + 12] === 0 || tsMicros - r[o + 12] > RECENT_MICROS || tsMicros < r[o + 12]) continue;
      if (r[o + 2] === view.vlanId && r[o + 6] === view.sa3 && r[o + 10] === view.da3 && r[o + 3] === view.sa0 && r[o + 4] === view.sa1
        && r[o + 5] === view.sa2 && r[o + 7] === view.da0 && r[o + 8] === view.da1 && r[o + 9] === view.da2 && end <= r[o + 11]) return true;
    }
    return false;
  }

  private find(view: PacketView, version: number, proto: number, id: number): PendingDatagram | null {
    const pending = this.pending;
    for (let i = 0; i < pending.length; i++) {
      const d = pending[i];
      if (d.id === id && d.proto === proto && d.version === version && d.vlan === view.vlanId
        && d.sa3 === view.sa3 && d.da3 === view.da3 && d.sa0 === view.sa0 && d.sa1 === view.sa1 && d.sa2 === view.sa2
        && d.da0 === view.da0 && d.da1 === view.da1 && d.da2 === view.da2) return d;
    }
    return null;
  }

  /** Starts a datagram, evicting the oldest ones while the table is over its count or byte limit. */
  private start(view: PacketView, version: number, proto: number, id: number, tsMicros: number): PendingDatagram | null {
    const d = this.free.pop() ?? new PendingDatagram();
    while (this.pending.length >= this.limits.maxDatagrams || this.bytesInUse + d.data.length > this.limits.maxBytes) {
      if (!this.evictOldest(null)) {
        this.anomalies.add(FRAGMENT_TABLE_FULL); // limits too small for even one datagram
        if (this.free.length < MAX_FREE_DATAGRAMS) this.free.push(d);
        return null;
      }
    }
    d.version = version; d.proto = proto; d.id = id; d.vlan = view.vlanId;
    d.sa0 = view.sa0; d.sa1 = view.sa1; d.sa2 = view.sa2; d.sa3 = view.sa3;
    d.da0 = view.da0; d.da1 = view.da1; d.da2 = view.da2; d.da3 = view.da3;
    d.firstTsMicros = tsMicros;
    d.totalLength = -1;
    d.maxEnd = 0;
    d.blocksReceived = 0;
    d.frames = 0;
    d.wireBytes = 0;
    d.blocks.fill(0);
    this.pending.push(d);
    this.bytesInUse += d.data.length;
    if (tsMicros < this.oldestTsMicros) this.oldestTsMicros = tsMicros;
    return d;
  }

  /** Doubles `d.data` until it holds `end` bytes, within maxBytes (evicting older datagrams if needed). */
  private grow(d: PendingDatagram, end: number): boolean {
    let capacity = d.data.length;
    while (capacity < end) capacity *= 2;
    const extra = capacity - d.data.length;
    while (this.bytesInUse + extra > this.limits.maxBytes) {
      if (!this.evictOldest(d)) {
        this.anomalies.add(FRAGMENT_TABLE_FULL); // this datagram alone is over maxBytes
        this.remove(d);
        return false;
      }
    }
    const data = new Uint8Array(capacity);
    data.set(d.data);
    d.data = data;
    this.bytesInUse += extra;
    return true;
  }

  /** Drops the datagram that started first (never `keep`), counting ip.fragment_table_full. False when none is left. */
  private evictOldest(keep: PendingDatagram | null): boolean {
    let oldest: PendingDatagram | null = null;
    for (const d of this.pending) if (d !== keep && (oldest === null || d.firstTsMicros < oldest.firstTsMicros)) oldest = d;
    if (oldest === null) return false;
    this.anomalies.add(FRAGMENT_TABLE_FULL);
    this.remove(oldest);
    return true;
  }

  /** Drops every datagram older than the timeout (RFC 791 §3.2 reassembly timer, on packet time). */
  private expire(nowMicros: number): void {
    const timeout = this.limits.timeoutMicros;
    const pending = this.pending;
    let oldest = Infinity;
    for (let i = pending.length - 1; i >= 0; i--) {
      const d = pending[i];
      if (nowMicros - d.firstTsMicros > timeout) {
        this.anomalies.add(FRAGMENT_INCOMPLETE);
        this.remove(d);
      } else if (d.firstTsMicros < oldest) oldest = d.firstTsMicros;
    }
    this.oldestTsMicros = oldest;
  }

  private remove(d: PendingDatagram): void {
    const pending = this.pending;
    const i = pending.indexOf(d);
    if (i < 0) return;
    pending[i] = pending[pending.length - 1];
    pending.pop();
    this.bytesInUse -= d.data.length;
    if (pending.length === 0) this.oldestTsMicros = Infinity;
  }
}
