/**
 * FlowTable: every TCP connection and UDP 5-tuple, kept in typed arrays behind an
 * open-addressed hash of the canonical (direction-free) 5-tuple, with idle timeouts on packet
 * time and a hard cap with least-recently-used eviction.
 *
 * Per packet: one hash, a probe or two, a few typed-array writes — no objects, no strings.
 * (Measured on the 1 GB benchmark: numeric hashing with typed-array state ran 2x faster than a
 * string-keyed Map at 26 k flows and 3–4x at 1 M flows, at ~150 B per flow instead of 250+:
 * two 64-byte cache lines per slot plus 16 B of index (slot and hash, at a load of 1/2).)
 * Rich per-flow state (names, stream heads) lives in `infos[slot]`, allocated only for flows
 * that carry payload. The table never throws on packet data and never grows past `maxFlows`.
 */
import { PacketView, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, IPPROTO_TCP } from '../decode/packet-view';

/** Words of a key: a0..a3, b0..b3, ports (portA << 16 | portB), meta (version << 8 | proto | depth << 16). */
const KEY_WORDS = 10;

/*
 * Slot layout. A flow's state is two cache lines, one in each of two arrays, instead of a dozen
 * arrays with a line each: a packet touches its slot's two lines and the index, and so does a new
 * flow (one array per field cost a cache miss per field on a table of 100 k+ flows, the
 * largest single cost of the flow-heavy benchmark).
 *
 * `keys` (Uint32Array, WORD_STRIDE words per slot, 64 bytes): the key at 0..9, then:
 */
const W_FLAGS = 10; // F_* bits
const W_META = 11; // tunnel depth | timeout class << 8
const W_PREV = 12; // timeout-list links, read and written as int32 through `links` (-1: none)
const W_NEXT = 13;
const W_ISN = 14; // initial sequence numbers: endpoint A's at 14, B's at 15
const WORD_STRIDE = 16;
/* `nums` (Float64Array, NUM_STRIDE per slot, 64 bytes): */
const N_PKTS = 0; // packets sent by endpoint A at 0, by B at 1
const N_BYTES = 2; // bytes sent by A at 2, by B at 3
const N_FIRST = 4;
const N_LAST = 5;
const N_ID = 6;
const NUM_STRIDE = 8;

/** Flag bits of a flow (`flagsOf`, `addFlags`). */
export const F_INIT_B = 0x0001; // the initiator (client) is endpoint B
export const F_SYN = 0x0002; // initiator's SYN seen
export const F_FIN_A = 0x0004;
export const F_FIN_B = 0x0008;
export const F_RST = 0x0010;
export const F_APP_DONE = 0x0020; // nothing more to learn from payload
export const F_BY_PORT = 0x0040; // initiator chosen by the well-known-port heuristic
export const F_BY_FIRST = 0x0080; // initiator = sender of the first packet seen
export const F_EVICTED = 0x0100;
export const F_ISN_A = 0x0200; // endpoint A's SYN (its initial sequence number) seen
export const F_ISN_B = 0x0400;
export const F_BY_REQUEST = 0x0800; // initiator = the sender of a request seen mid-stream (replaced a first-packet guess)
export const F_BY_QUIC = 0x4000; // initiator = the sender of a QUIC client Initial (replaced a port guess)
export const F_QUIC_LATER = 0x8000; // a QUIC flow whose hello was read: later client Initials may open other connections
const F_SEQ0_A = 0x1000; // endpoint A's first segment was no SYN: its sequence number is at W_ISN (tshark's base_seq)
const F_SEQ0_B = 0x2000;

/** The idle-timeout classes; each has its own LRU list so expiry only ever inspects list heads. */
export const enum TimeoutClass { Udp = 0, TcpOpen = 1, Closed = 2, Short = 3, TcpNew = 4 }
const CLASSES = 5;

/** Idle timeouts in microseconds, per class. */
export interface FlowTimeouts { udp: number; tcpOpen: number; closed: number; short: number; tcpNew: number }

/**
 * Defaults: UDP 5 min and established TCP 2 h 11 min 15 s of silence (7,875 s: RFC 1122
 * §4.2.3.6 has keep-alives default to no less than 2 h of idleness, and Linux sends its first
 * probe after 7,200 s and gives up after 9 more, 75 s apart: a connection kept only by
 * keep-alives, as embedded devices keep their cloud sessions, stays one flow, as tshark keeps
 * it, instead of going on as an unnamed flow "started before the capture" whose want of a
 * name a rule pack would judge; 1 h split it; the benchmark captures span minutes, so it
 * changes nothing there, and the flow cap bounds the table in a long live capture); 15 s after a FIN pair or RST
 * (a retransmission or RST a few retransmission timeouts after the FINs belongs to the
 * connection, as tshark and nDPI count it: 5 s, Zeek's tcp_close_delay, split nDPI's skype.pcap
 * into 9 extra two-packet flows, nameless and so undeclared, their late segments 6.5-7.5 s after
 * the close; a new SYN still starts a new flow at once. Measured in alternating runs on the
 * benchmark: 15 s costs nothing (0.99x against 5 s), Suricata's 60 s cost 1.10x);
 * 30 s for answered DNS sockets; 70 s for a connection attempt (a bare SYN) the
 * responder never answered (Linux retries a SYN 1, 2, 4, 8, 16 and 32 s apart and gives up 64 s
 * after the last, a RST then ending it: 60 s, Suricata's "new" state timeout, split nDPI's
 * alexa-app attempts from their RSTs into unnamed flows of their own; 70 s measured 1.00x on
 * flow-heavy with the same records and +1 MB. Not an established connection's hour: half-open
 * attempts and SYN floods must not sit in the table that long — measured: on the flow-heavy
 * benchmark they were the bulk of the live flows).
 */
export const DEFAULT_TIMEOUTS: FlowTimeouts = { udp: 300e6, tcpOpen: 7875e6, closed: 15e6, short: 30e6, tcpNew: 70e6 };

/**
 * Default cap on simultaneous flows. A flow costs ~150 B in the table plus up to ~300 B of rich
 * state (names, pending DNS); 250 k flows keep the live set near 100 MB, inside the launcher's
 * V8 heap cap with room for the DNS cache and stream heads (measured: a 2 M-flow DNS-answer
 * flood peaked at 1.2 GB RSS with 1 M flows). The flow-heavy benchmark peaks at ~150 k
 * simultaneous flows, so ordinary captures never reach it; --max-flows raises it.
 */
export const DEFAULT_MAX_FLOWS = 250_000;

/**
 * Closed TCP connections remembered after they leave the table (direct-mapped by key hash: a
 * newer one takes an older one's place), and for how long: Linux keeps a closed socket in
 * TIME_WAIT for 60 s and retransmits a FIN for about two minutes, so a peer's late ACK, FIN or
 * RST can come long after the close delay.
 */
const TOMBSTONES = 4096;
/**
 * Key words a tombstone keeps with the key's hash: the last word of each address, the ports and
 * the protocol (an IPv6 key differing only in its upper address words would also have to share
 * the 30-bit hash: a bare ACK of such a flow counted late is the worst that can happen).
 */
const TOMB_WORDS = 4;
const TOMBSTONE_MICROS = 120e6;

/** Server ports that are not below 1024 but are well known for the devices this tool audits. */
const KNOWN_SERVER_PORTS = new Set([
  1080, 1194, 1883, 1900, 3128, 3306, 3478, 4789, 5060, 5222, 5223, 5228, 5353, 5355, 5432, 6379, 8080, 8333, 8443, 8845,
  8883, 9001, 9030, 9735, 18333, 44158, 50002,
]);

/** True when `port` is the kind a server listens on (the Zeek "likely server port" idea). */
export function isLikelyServerPort(port: number): boolean {
  return (port > 0 && port < 1024) || KNOWN_SERVER_PORTS.has(port);
}

/** Called when a flow leaves the table (timeout, close, eviction or end of input). */
export type FlowEndHandler = (slot: number) => void;

/** Flow state in typed arrays. Public fields are read by the pipeline; only the table writes them. */
export class FlowTable {
  capacity = 0;
  /** Live flows. */
  size = 0;
  /** Flows evicted because the table was full. */
  evicted = 0;
  /** Ids are assigned in creation order, from 1. */
  nextId = 1;
  /**
   * Per-slot words (layout above); public for readers that take an address as an array and an
   * offset (`addrOffset`). Only the table writes it.
   */
  keys = new Uint32Array(0);
  /** The same memory as `keys`, as signed words (the list links). */
  private links = new Int32Array(0);
  /** Per-slot counters and times (layout above). */
  private nums = new Float64Array(0);
  /** Rich per-flow state, owned by the pipeline. */
  infos: unknown[] = [];

  /** Result of the last `track()`: the slot and whether the packet came from endpoint B. */
  slot = -1;
  fromB = false;
  /** True when the last `track()` created the flow. */
  created = false;
  /**
   * Segments `track()` took for late ones of a connection that ended (slot -1 then): with no
   * payload, on the 5-tuple of a TCP connection closed within TOMBSTONE_MICROS before.
   */
  lateSegments = 0;
  /** Keys of closed connections that left the table (TOMBSTONES entries of TOMB_WORDS), with their hash and when they left. */
  private readonly tombKeys = new Uint32Array(TOMBSTONES * TOMB_WORDS);
  private readonly tombHash = new Int32Array(TOMBSTONES).fill(-1);
  private readonly tombAt = new Float64Array(TOMBSTONES);

  /**
   * The open-addressed index, linear probing, as pairs: at 2p the slot + 1 (0: empty), at 2p + 1
   * that key's hash. A probe compares the stored hash before it reads a key, so a probe step
   * past another flow costs no visit to that flow's slot (measured on the flow-heavy capture:
   * 2.5 M such visits, each a likely cache miss, for 3.2 M lookups). Deletion shifts the rest of
   * the cluster back (no tombstones, so no rebuilds as flows come and go); the hash in the index
   * says where each entry may move without reading its key.
   */
  private index = new Int32Array(0);
  /** Per slot: its position in `index` (in pairs), so ending a flow needs no hash and no probe. */
  private indexPos = new Int32Array(0);
  /** The key of the packet being looked up, in the layout of `keys` (see track). */
  private readonly probe = new Uint32Array(KEY_WORDS);
  private readonly heads = new Int32Array(CLASSES).fill(-1);
  private readonly tails = new Int32Array(CLASSES).fill(-1);
  private free: number[] = [];
  private readonly timeoutOf: Float64Array;
  private nextSweep = 0;
  /** Packet time (µs) for `track` when the caller sets it instead of passing it (see Pipeline.now). */
  now = 0;

  constructor(
    private readonly onEnd: FlowEndHandler,
    readonly maxFlows = DEFAULT_MAX_FLOWS,
    timeouts: FlowTimeouts = DEFAULT_TIMEOUTS,
  ) {
    this.timeoutOf = new Float64Array([timeouts.udp, timeouts.tcpOpen, timeouts.closed, timeouts.short, timeouts.tcpNew]);
    this.grow(Math.min(4096, maxFlows));
  }

  /**
   * Finds or creates the flow of the TCP/UDP packet in `view`, counts it, updates TCP state
   * and recency, and expires idle flows on packet time. Sets `slot`, `fromB`, `created`.
   */
  track(v: PacketView, wireLength: number, depth: number, at?: number): void {
    // Packet time from the `now` field, read in the body: as a default parameter value
    // (`ts = this.now`) V8 boxed it into a fresh heap number on every call (measured: 22 of the
    // 29 scavenges of the benchmark's flow tracking).
    if (at !== undefined) this.now = at;
    const ts = this.now;
    if (ts >= this.nextSweep) this.sweep(ts);
    // Canonical order: endpoint A is the smaller (address, port).
    let swap: boolean;
    if (v.sa0 !== v.da0) swap = v.sa0 >>> 0 > v.da0 >>> 0;
    else if (v.sa1 !== v.da1) swap = v.sa1 >>> 0 > v.da1 >>> 0;
    else if (v.sa2 !== v.da2) swap = v.sa2 >>> 0 > v.da2 >>> 0;
    else if (v.sa3 !== v.da3) swap = v.sa3 >>> 0 > v.da3 >>> 0;
    else swap = v.srcPort > v.dstPort;
    let a0, a1, a2, a3, b0, b1, b2, b3, ports;
    if (swap) {
      a0 = v.da0; a1 = v.da1; a2 = v.da2; a3 = v.da3; b0 = v.sa0; b1 = v.sa1; b2 = v.sa2; b3 = v.sa3;
      ports = ((v.dstPort << 16) | v.srcPort) >>> 0;
    } else {
      a0 = v.sa0; a1 = v.sa1; a2 = v.sa2; a3 = v.sa3; b0 = v.da0; b1 = v.da1; b2 = v.da2; b3 = v.da3;
      ports = ((v.srcPort << 16) | v.dstPort) >>> 0;
    }
    const meta = (v.ipVersion << 8) | v.ipProto;
    const metaDepth = (meta | (depth << 16)) >>> 0;
    // The hash reads the key from a scratch array: ten 32-bit arguments to a call V8 does not
    // inline are boxed into heap numbers (measured: 24 MB of garbage per 1.2 M packets).
    const pk = this.probe;
    pk[0] = a0; pk[1] = a1; pk[2] = a2; pk[3] = a3; pk[4] = b0; pk[5] = b1; pk[6] = b2; pk[7] = b3;
    pk[8] = ports; pk[9] = metaDepth;
    const h = hashKeyAt(pk, 0);
    const index = this.index;
    const mask = (index.length >>> 1) - 1;
    const keys = this.keys;
    let i = h & mask;
    let slot = -1;
    for (;;) {
      const e = index[2 * i];
      if (e === 0) break;
      if (index[2 * i + 1] === h) {
        const k = (e - 1) * WORD_STRIDE;
        if (keys[k + 8] === ports && keys[k + 7] === b3 >>> 0 && keys[k + 3] === a3 >>> 0 && keys[k + 9] === metaDepth &&
          keys[k] === a0 >>> 0 && keys[k + 1] === a1 >>> 0 && keys[k + 2] === a2 >>> 0 &&
          keys[k + 4] === b0 >>> 0 && keys[k + 5] === b1 >>> 0 && keys[k + 6] === b2 >>> 0) {
          slot = e - 1;
          break;
        }
      }
      i = (i + 1) & mask;
    }
    const fromB = swap;
    const tcp = v.ipProto === IPPROTO_TCP;
    const fl = v.tcpFlags;
    if (slot >= 0 && tcp && (fl & (TCP_SYN | TCP_ACK)) === TCP_SYN) slot = this.bareSyn(slot, swap, v.tcpSeq);
    if (slot < 0 && tcp && (fl & TCP_SYN) === 0 && v.payloadLength === 0 && this.isLate(h, ts)) {
      // A bare ACK, FIN or RST of a connection that closed and left the table: no new flow
      // "started before the capture" (unnamed, so a finding) for it. A segment with payload
      // always makes a flow: data never goes uncounted.
      this.lateSegments++;
      this.slot = -1;
      this.created = false;
      return;
    }
    if (slot < 0) {
      // Eviction, growth and ending may move index entries: find the insert position only afterwards.
      if (this.size >= this.maxFlows) this.evictOne();
      if (this.free.length === 0) this.grow(Math.min(this.capacity * 2, this.maxFlows));
      slot = this.free.pop()!;
      const at = this.findInsertPos(h);
      this.index[2 * at] = slot + 1;
      this.index[2 * at + 1] = h;
      this.indexPos[slot] = at;
      const k = slot * WORD_STRIDE;
      // grow() replaced this.keys: write the new flow's key into the current array, not `keys`.
      const nk = this.keys;
      nk[k] = a0; nk[k + 1] = a1; nk[k + 2] = a2; nk[k + 3] = a3;
      nk[k + 4] = b0; nk[k + 5] = b1; nk[k + 6] = b2; nk[k + 7] = b3;
      nk[k + 8] = ports; nk[k + 9] = metaDepth;
      nk[k + W_FLAGS] = this.initiatorFlags(v, fromB, tcp);
      nk[k + W_META] = depth; // the class is set by link()
      const n = slot * NUM_STRIDE;
      const nn = this.nums;
      nn[n + N_PKTS] = 0; nn[n + N_PKTS + 1] = 0;
      nn[n + N_BYTES] = 0; nn[n + N_BYTES + 1] = 0;
      nn[n + N_FIRST] = ts;
      nn[n + N_ID] = this.nextId++;
      this.infos[slot] = undefined;
      this.size++;
      // Only a connection attempt (a bare SYN) waits on the short half-open timeout. A
      // connection first seen mid-stream is established already, even when the capture holds
      // one direction only (asymmetric routing, a one-sided tap: nDPI's wechat.pcap has 11
      // such connections with gaps of 80-135 s, which tshark and nDPI keep whole).
      this.link(slot, !tcp ? TimeoutClass.Udp : (fl & (TCP_SYN | TCP_ACK)) === TCP_SYN ? TimeoutClass.TcpNew : TimeoutClass.TcpOpen);
      this.created = true;
    } else {
      this.created = false;
      if (this.classOf(slot) === TimeoutClass.TcpNew &&
        (fromB !== ((this.flagsOf(slot) & F_INIT_B) !== 0) || (tcp && (fl & (TCP_SYN | TCP_ACK)) === TCP_ACK))) {
        // The responder answered, or the initiator acknowledged an answer (a capture that holds
        // one direction only): an established connection, with the long timeout.
        this.unlink(slot);
        this.link(slot, TimeoutClass.TcpOpen);
      } else {
        this.touch(slot);
      }
    }
    const n = slot * NUM_STRIDE;
    const nums = this.nums;
    const side = fromB ? 1 : 0;
    if (tcp && nums[n + N_PKTS + side] === 0) {
      const w = slot * WORD_STRIDE;
      if ((fl & TCP_SYN) === 0) {
        // The side's first segment is no SYN (seen mid-stream): its sequence number is what a later
        // bare SYN is compared with (see bareSyn).
        this.keys[w + W_ISN + side] = v.tcpSeq;
        this.keys[w + W_FLAGS] |= fromB ? F_SEQ0_B : F_SEQ0_A;
      }
      if ((fl & TCP_ACK) !== 0 && nums[n + N_PKTS + 1 - side] === 0) {
        // The other side has sent nothing seen: the sequence number this segment acknowledges,
        // less one, stands for its first (tshark takes a silent side's base_seq from the ACK), so
        // a SYN from it with another ISN starts a new connection (a SYN-ACK or a server's
        // segments seen without the SYN, then a device rebooted onto the same port).
        this.keys[w + W_ISN + 1 - side] = (v.tcpAck - 1) >>> 0;
        this.keys[w + W_FLAGS] |= fromB ? F_SEQ0_A : F_SEQ0_B;
      }
    }
    nums[n + N_PKTS + side]++;
    nums[n + N_BYTES + side] += wireLength;
    if (ts > nums[n + N_LAST] || this.created) nums[n + N_LAST] = ts;
    if (tcp && (fl & TCP_SYN) !== 0) {
      const w = slot * WORD_STRIDE;
      this.keys[w + W_ISN + side] = v.tcpSeq;
      this.keys[w + W_FLAGS] |= fromB ? F_ISN_B : F_ISN_A;
    }
    if (tcp && (fl & (TCP_FIN | TCP_RST)) !== 0) this.noteClose(slot, fl, fromB);
    this.slot = slot;
    this.fromB = fromB;
  }

  /**
   * The slot of a live flow given its endpoints (`x` and `y`: four address words each at
   * `xs[xo]`, `ys[yo]`, in either order), or -1. A lookup only: nothing is created, counted or
   * touched. For the pipeline's joins across flows (a unicast reply to a multicast query), not
   * for packets (`track`).
   */
  find(v: number, proto: number, depth: number, xs: Uint32Array, xo: number, xPort: number, ys: Uint32Array, yo: number, yPort: number): number {
    let swap = false;
    for (let i = 0; i < 4; i++) {
      if (xs[xo + i] !== ys[yo + i]) { swap = xs[xo + i] > ys[yo + i]; break; }
      if (i === 3) swap = xPort > yPort;
    }
    const pk = this.probe;
    const [as, ao, ap, bs, bo, bp] = swap ? [ys, yo, yPort, xs, xo, xPort] : [xs, xo, xPort, ys, yo, yPort];
    for (let i = 0; i < 4; i++) { pk[i] = as[ao + i]; pk[4 + i] = bs[bo + i]; }
    pk[8] = ((ap << 16) | bp) >>> 0;
    pk[9] = (((v << 8) | proto) | (depth << 16)) >>> 0;
    const h = hashKeyAt(pk, 0);
    const index = this.index;
    const mask = (index.length >>> 1) - 1;
    const keys = this.keys;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = index[2 * i];
      if (e === 0) return -1;
      if (index[2 * i + 1] !== h) continue;
      const k = (e - 1) * WORD_STRIDE;
      let same = true;
      for (let w = 0; w < KEY_WORDS && same; w++) same = keys[k + w] === pk[w];
      if (same) return e - 1;
    }
  }

  /**
   * Counts the other frames of a datagram rebuilt from IP fragments on the flow `track` just
   * found (`slot`, `fromB`): `frames` more packets and `bytes` more wire bytes from that side.
   */
  addFragments(frames: number, bytes: number): void {
    const n = this.slot * NUM_STRIDE + (this.fromB ? 1 : 0);
    this.nums[n + N_PKTS] += frames;
    this.nums[n + N_BYTES] += bytes;
  }

  /** Flags that record who initiated a new flow and how that was decided. */
  private initiatorFlags(v: PacketView, fromB: boolean, tcp: boolean): number {
    if (tcp && (v.tcpFlags & TCP_SYN) !== 0) {
      // SYN: the sender initiates; SYN+ACK: the receiver did (its SYN was not captured).
      const initiatorIsSender = (v.tcpFlags & TCP_ACK) === 0;
      const initB = initiatorIsSender ? fromB : !fromB;
      return (initB ? F_INIT_B : 0) | (initiatorIsSender ? F_SYN : 0);
    }
    // A datagram to a multicast group: the group never sends, so the sender started the flow
    // (DHCPv6 from 546 to ff02::1:2 port 547 took the group for the initiator by the port rule).
    if (v.ipVersion === 4 ? (v.da3 >>> 28) === 0xe : (v.da0 >>> 24) === 0xff) return (fromB ? F_INIT_B : 0) | F_BY_FIRST;
    const srcServer = isLikelyServerPort(v.srcPort);
    const dstServer = isLikelyServerPort(v.dstPort);
    if (srcServer !== dstServer) {
      // The side on the server port is the responder.
      const initB = srcServer ? !fromB : fromB;
      return (initB ? F_INIT_B : 0) | F_BY_PORT;
    }
    if (srcServer && dstServer && v.srcPort !== v.dstPort) {
      // Both look like server ports (e.g. 5353 → 53): the lower port is the service.
      const initB = v.srcPort < v.dstPort ? !fromB : fromB;
      return (initB ? F_INIT_B : 0) | F_BY_PORT;
    }
    return (fromB ? F_INIT_B : 0) | F_BY_FIRST;
  }

  /**
   * A bare SYN on a 5-tuple that has a flow, decided as tshark decides it (a SYN whose sequence
   * number differs from the first its sender used starts a new conversation, whatever the state):
   * - the sender's ISN is known and differs: a new connection on a reused port (the old flow ends;
   *   a device that reboots and reuses its port, a retry with a new ISN);
   * - it is the same: the SYN retransmitted (Windows resends the same SYN after a RST), the same
   *   flow, open again if it was closed;
   * - the sender sent no SYN before but other segments (the flow was first seen mid-stream): the
   *   same comparison with the first sequence number it sent, as tshark's base_seq;
   * - the sender has sent nothing, but the other side acknowledged: the same comparison with the
   *   acknowledged number less one (tshark's base_seq taken from the ACK);
   * - the sender has sent nothing and nothing was acknowledged: a new connection when the flow
   *   is closed, else the same flow.
   * Returns the slot to go on with, or -1 for a new flow.
   */
  private bareSyn(slot: number, fromB: boolean, seq: number): number {
    const f = this.flagsOf(slot);
    if ((f & (fromB ? F_ISN_B | F_SEQ0_B : F_ISN_A | F_SEQ0_A)) !== 0) {
      if ((this.keys[slot * WORD_STRIDE + W_ISN + (fromB ? 1 : 0)] >>> 0) !== (seq >>> 0)) {
        this.end(slot);
        return -1;
      }
      if (this.isClosed(slot)) {
        this.keys[slot * WORD_STRIDE + W_FLAGS] = f & ~(F_RST | F_FIN_A | F_FIN_B);
        this.unlink(slot);
        this.link(slot, TimeoutClass.TcpNew);
      }
      return slot;
    }
    if (this.isClosed(slot)) {
      this.end(slot);
      return -1;
    }
    return slot;
  }

  private isClosed(slot: number): boolean {
    const f = this.flagsOf(slot);
    return (f & F_RST) !== 0 || (f & (F_FIN_A | F_FIN_B)) === (F_FIN_A | F_FIN_B);
  }

  private noteClose(slot: number, fl: number, fromB: boolean): void {
    let f = this.flagsOf(slot);
    if ((fl & TCP_RST) !== 0) f |= F_RST;
    if ((fl & TCP_FIN) !== 0) f |= fromB ? F_FIN_B : F_FIN_A;
    this.keys[slot * WORD_STRIDE + W_FLAGS] = f;
    if (this.isClosed(slot) && this.classOf(slot) !== TimeoutClass.Closed) {
      this.unlink(slot);
      this.link(slot, TimeoutClass.Closed);
    }
  }

  /** Moves a flow to another timeout class (e.g. an answered DNS socket → Short). */
  setTimeoutClass(slot: number, c: TimeoutClass): void {
    if (this.classOf(slot) === c) return;
    this.unlink(slot);
    this.link(slot, c);
  }

  /** Expires every flow idle for longer than its class's timeout at packet time `ts`. */
  sweep(ts: number): void {
    for (let c = 0; c < CLASSES; c++) {
      const limit = ts - this.timeoutOf[c];
      let s = this.heads[c];
      while (s >= 0 && this.lastOf(s) < limit) {
        this.end(s);
        s = this.heads[c];
      }
    }
    // Sweeping once per second of packet time keeps expiry cheap and timely.
    this.nextSweep = ts + 1e6;
  }

  /** Ends every flow (end of input). */
  endAll(): void {
    for (let c = 0; c < CLASSES; c++) {
      while (this.heads[c] >= 0) this.end(this.heads[c]);
    }
  }

  /** The flow's F_* flags. */
  flagsOf(slot: number): number {
    return this.keys[slot * WORD_STRIDE + W_FLAGS];
  }

  /**
   * Makes the other endpoint the initiator: on a connection first seen mid-stream, whose
   * initiator was only the sender of the first packet seen, the other side sent a request
   * (`by` F_BY_REQUEST); on a UDP flow whose initiator was a port guess, the other side sent a
   * QUIC client Initial first (F_BY_QUIC).
   */
  swapInitiator(slot: number, by: number = F_BY_REQUEST): void {
    const w = slot * WORD_STRIDE + W_FLAGS;
    this.keys[w] = ((this.keys[w] ^ F_INIT_B) & ~(F_BY_FIRST | F_BY_PORT)) | by;
  }

  /** Sets F_* flags on the flow (the pipeline marks F_APP_DONE). */
  addFlags(slot: number, f: number): void {
    this.keys[slot * WORD_STRIDE + W_FLAGS] |= f;
  }

  /** Clears F_* flags the pipeline set (F_QUIC_LATER). */
  clearFlags(slot: number, f: number): void {
    this.keys[slot * WORD_STRIDE + W_FLAGS] &= ~f;
  }

  /** Tunnel depth of the flow's packets. */
  depthOf(slot: number): number {
    return this.keys[slot * WORD_STRIDE + W_META] & 0xff;
  }

  /** Initial sequence number sent by endpoint A or B (valid when F_ISN_A / F_ISN_B). */
  isnOf(slot: number, b: boolean): number {
    return this.keys[slot * WORD_STRIDE + W_ISN + (b ? 1 : 0)];
  }

  /** Packets sent by endpoint A or B. */
  packetsOf(slot: number, b: boolean): number {
    return this.nums[slot * NUM_STRIDE + N_PKTS + (b ? 1 : 0)];
  }

  /** Wire bytes sent by endpoint A or B. */
  bytesOf(slot: number, b: boolean): number {
    return this.nums[slot * NUM_STRIDE + N_BYTES + (b ? 1 : 0)];
  }

  /** Time (µs) of the flow's first and last packet. */
  firstOf(slot: number): number {
    return this.nums[slot * NUM_STRIDE + N_FIRST];
  }

  lastOf(slot: number): number {
    return this.nums[slot * NUM_STRIDE + N_LAST];
  }

  /** The flow's id (creation order, from 1). */
  idOf(slot: number): number {
    return this.nums[slot * NUM_STRIDE + N_ID];
  }

  private classOf(slot: number): TimeoutClass {
    return (this.keys[slot * WORD_STRIDE + W_META] >>> 8) & 0xff;
  }

  /** Offset in `keys` of endpoint A's or B's four address words (for readers that take an array and an offset). */
  addrOffset(slot: number, b: boolean): number {
    return slot * WORD_STRIDE + (b ? 4 : 0);
  }

  /** Port of endpoint A or B. */
  port(slot: number, b: boolean): number {
    const p = this.keys[slot * WORD_STRIDE + 8];
    return b ? p & 0xffff : p >>> 16;
  }

  /** IP version of the flow. */
  ipVersion(slot: number): number {
    return (this.keys[slot * WORD_STRIDE + 9] >>> 8) & 0xff;
  }

  /** IP protocol of the flow. */
  ipProto(slot: number): number {
    return this.keys[slot * WORD_STRIDE + 9] & 0xff;
  }

  /**
   * Calls `fn` with the slot of every open flow (live capture judges open flows with it). `fn`
   * must not create or end flows. Per call O(open flows); never on the per-packet path.
   */
  forEachOpen(fn: (slot: number) => void): void {
    for (let c = 0; c < CLASSES; c++) {
      for (let s = this.heads[c]; s >= 0; s = this.links[s * WORD_STRIDE + W_NEXT]) fn(s);
    }
  }

  private evictOne(): void {
    let victim = -1;
    for (let c = 0; c < CLASSES; c++) {
      const h = this.heads[c];
      if (h >= 0 && (victim < 0 || this.lastOf(h) < this.lastOf(victim))) victim = h;
    }
    if (victim < 0) return;
    this.addFlags(victim, F_EVICTED);
    this.evicted++;
    this.end(victim);
  }

  /** Hands the flow to the end handler, then frees its slot. */
  private end(slot: number): void {
    this.onEnd(slot);
    const pos = this.indexPos[slot];
    if (this.classOf(slot) === TimeoutClass.Closed) this.bury(slot, this.index[2 * pos + 1]);
    this.unlink(slot);
    if (this.index[2 * pos] === slot + 1) this.removeAt(pos);
    this.infos[slot] = undefined;
    this.free.push(slot);
    this.size--;
  }

  /** Remembers the key of a closed connection leaving the table (see TOMBSTONES). */
  private bury(slot: number, h: number): void {
    const t = h & (TOMBSTONES - 1);
    const k = slot * WORD_STRIDE;
    const tk = this.tombKeys;
    const keys = this.keys;
    const o = t * TOMB_WORDS;
    tk[o] = keys[k + 3]; tk[o + 1] = keys[k + 7]; tk[o + 2] = keys[k + 8]; tk[o + 3] = keys[k + 9];
    this.tombHash[t] = h;
    this.tombAt[t] = this.now;
  }

  /** Whether the key in `probe` (hash `h`) is that of a connection closed within TOMBSTONE_MICROS of `ts`. */
  private isLate(h: number, ts: number): boolean {
    const t = h & (TOMBSTONES - 1);
    if (this.tombHash[t] !== h || ts - this.tombAt[t] > TOMBSTONE_MICROS) return false;
    const tk = this.tombKeys;
    const pk = this.probe;
    const o = t * TOMB_WORDS;
    return tk[o] === pk[3] && tk[o + 1] === pk[7] && tk[o + 2] === pk[8] && tk[o + 3] === pk[9];
  }

  /**
   * Empties index position `hole` and closes the gap: each later entry of the cluster whose
   * home position is not between the hole and itself moves back into the hole (Knuth's
   * algorithm R for linear probing), so every key stays reachable from its home without
   * tombstones. Ends at the first empty position; the load factor <= 1/2 guarantees one.
   */
  private removeAt(hole: number): void {
    const index = this.index;
    const mask = (index.length >>> 1) - 1;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[2 * j];
      if (e === 0) break;
      const home = index[2 * j + 1] & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        index[2 * hole] = e;
        index[2 * hole + 1] = index[2 * j + 1];
        this.indexPos[e - 1] = hole;
        hole = j;
      }
    }
    index[2 * hole] = 0;
    index[2 * hole + 1] = 0;
  }

  private findInsertPos(h: number): number {
    const index = this.index;
    const mask = (index.length >>> 1) - 1;
    let i = h & mask;
    while (index[2 * i] !== 0) i = (i + 1) & mask;
    return i;
  }

  private grow(newCap: number): void {
    const old = this.capacity;
    if (newCap <= old) return;
    const ext = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array>(a: T, per: number, C: new (n: number) => T): T => {
      const b = new C(newCap * per);
      b.set(a);
      return b;
    };
    this.keys = ext(this.keys, WORD_STRIDE, Uint32Array);
    this.links = new Int32Array(this.keys.buffer);
    this.nums = ext(this.nums, NUM_STRIDE, Float64Array);
    this.indexPos = ext(this.indexPos, 1, Int32Array);
    for (let s = newCap - 1; s >= old; s--) this.free.push(s);
    this.infos.length = newCap;
    this.capacity = newCap;
    this.rehash();
  }

  /** Rebuilds the index for the current capacity, at a load factor <= 1/2. */
  private rehash(): void {
    let size = 1024;
    while (size < this.capacity * 2) size <<= 1;
    const index = new Int32Array(2 * size);
    this.index = index;
    const mask = size - 1;
    const kk = this.keys;
    for (let c = 0; c < CLASSES; c++) {
      for (let s = this.heads[c]; s >= 0; s = this.links[s * WORD_STRIDE + W_NEXT]) {
        const h = hashKeyAt(kk, s * WORD_STRIDE);
        let i = h & mask;
        while (index[2 * i] !== 0) i = (i + 1) & mask;
        index[2 * i] = s + 1;
        index[2 * i + 1] = h;
        this.indexPos[s] = i;
      }
    }
  }

  private link(slot: number, c: TimeoutClass): void {
    const L = this.links;
    const w = slot * WORD_STRIDE;
    L[w + W_META] = (L[w + W_META] & 0xff) | (c << 8);
    const t = this.tails[c];
    L[w + W_PREV] = t;
    L[w + W_NEXT] = -1;
    if (t >= 0) L[t * WORD_STRIDE + W_NEXT] = slot;
    else this.heads[c] = slot;
    this.tails[c] = slot;
  }

  private unlink(slot: number): void {
    const L = this.links;
    const w = slot * WORD_STRIDE;
    const c = this.classOf(slot);
    const p = L[w + W_PREV];
    const n = L[w + W_NEXT];
    if (p >= 0) L[p * WORD_STRIDE + W_NEXT] = n;
    else this.heads[c] = n;
    if (n >= 0) L[n * WORD_STRIDE + W_PREV] = p;
    else this.tails[c] = p;
  }

  private touch(slot: number): void {
    const c = this.classOf(slot);
    if (this.tails[c] === slot) return;
    this.unlink(slot);
    this.link(slot, c);
  }
}

/**
 * Hash of the key stored at `keys[k, k + KEY_WORDS)`: the canonical 5-tuple, IP version and
 * tunnel depth. The result is a non-negative small integer (30 bits), so passing it on never
 * allocates.
 */
function hashKeyAt(keys: Uint32Array, k: number): number {
  const a3 = keys[k + 3], b3 = keys[k + 7], ports = keys[k + 8], metaDepth = keys[k + 9];
  const meta = metaDepth & 0xffff;
  const depth = metaDepth >>> 16;
  let h = Math.imul(a3 ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b3 ^ 0xc2b2ae35, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ ports;
  h = Math.imul(h ^ (h >>> 13), 0x297a2d39) ^ meta ^ depth;
  if (meta >>> 8 === 6) {
    h = Math.imul(h ^ keys[k], 0x165667b1) ^ Math.imul(keys[k + 1] ^ keys[k + 4], 0x9e3779b1) ^ Math.imul(keys[k + 2] ^ keys[k + 5], 0x85ebca77) ^ keys[k + 6];
  }
  return (h ^ (h >>> 16)) & 0x3fffffff;
}
