/**
 * QuicFlowAnalyzer: the per-flow glue between the pipeline and the QUIC Initial decryptor —
 * feeds a UDP flow's client datagrams to a QuicInitialDecoder until the ClientHello (IETF QUIC)
 * or CHLO (Google QUIC) gives the SNI, the flow turns out not to be QUIC, or a bound is hit.
 * Bounded datagrams per flow; never throws; facts only.
 */
import { A, AnomalyCounters } from '../anomalies';
import { FlowInfo } from '../flow/flow-info';
import { MAX_CID_LEN, PACKET_INITIAL, parseQuicLongHeader, QUIC_V1, QUIC_V2, QuicInitialDecoder, quicVersionInfo } from './quic-initial';

/** Client datagrams examined per flow before giving up (Chrome's split post-quantum hellos take 2–4). */
export const MAX_QUIC_DATAGRAMS = 16;

/** What the pipeline should do next with the flow. */
export type QuicFeedResult = 'not-quic' | 'more' | 'done';

/**
 * Datagrams that fail to decrypt before the flow is given up: a real client's first Initial
 * decrypts; random UDP that merely looks like a long header (measured: ~15% of the replay
 * time on the benchmark went to trial decryptions of such flows) does not.
 */
export const MAX_QUIC_FAILED_DECRYPTS = 2;

/**
 * Destination connection IDs a flow tries for a later connection (see feedLater): each
 * connection costs one or two (its first Initial's, and the server's ID its acknowledgements
 * carry), so this reads about eight later connections on one 5-tuple.
 */
export const MAX_LATER_QUIC_DCIDS = 16;

/** Per-flow QUIC state kept on FlowInfo.quic. */
interface QuicState { decoder: QuicInitialDecoder; datagrams: number; failures: number }

/**
 * State for later connections on a 5-tuple whose first hello was read (FlowInfo.quicLater):
 * keys of the DCIDs already tried, and the decoder of a later hello still being put together.
 */
interface LaterState { tried: number[]; decoder: QuicInitialDecoder | null; dcid: number; datagrams: number; cids: number }

/** Recognises QUIC on client datagrams and extracts the ClientHello. */
export class QuicFlowAnalyzer {
  /** Feeds one client datagram of a UDP flow that is not identified yet. */
  feed(info: FlowInfo, buf: Uint8Array, off: number, len: number, anomalies: AnomalyCounters): QuicFeedResult {
    let st = info.quic as QuicState | null;
    if (st === null) {
      // Cheap pre-check before allocating a decoder: RFC 9000 §17.2 long header bit, or a gQUIC public flags byte.
      if (len < 7) return 'not-quic';
      st = { decoder: new QuicInitialDecoder(anomalies), datagrams: 0, failures: 0 };
      info.quic = st;
    }
    st.datagrams++;
    const r = st.decoder.feed(buf, off, len);
    switch (r.kind) {
      case 'not-quic':
        if (info.app === 'quic') return st.datagrams >= MAX_QUIC_DATAGRAMS ? this.endUnread(info, st) : 'more';
        info.quic = null;
        return 'not-quic';
      case 'unsupported':
        // A version we cannot decrypt: the server may answer with Version Negotiation and the
        // client try again in one we can (RFC 9000 §6.2), on the same socket: keep looking.
        info.app = 'quic';
        info.quicVersion = r.version;
        info.unnamedReason = 'quic-version-not-decryptable';
        return st.datagrams >= MAX_QUIC_DATAGRAMS ? this.endUnread(info, st) : 'more';
      case 'need-more':
        info.app = 'quic';
        info.quicVersion = r.version;
        return st.datagrams >= MAX_QUIC_DATAGRAMS ? this.endUnread(info, st) : 'more';
      case 'found':
        info.app = 'quic';
        info.quicVersion = r.version;
        if (info.unnamedReason === 'quic-version-not-decryptable') info.unnamedReason = null;
        info.takeHello(r.hello, 'quic', anomalies);
        // The connection's own Initials carry this DCID: they are no later connection.
        info.quicLater = { tried: [dcidKey(buf, off, len)], decoder: null, dcid: -1, datagrams: 0, cids: 0 } satisfies LaterState;
        return this.end(info, st);
      case 'gquic':
        info.app = 'quic';
        info.quicVersion = r.version;
        info.sni = r.chlo.sni;
        return this.end(info, st);
      case 'failed':
        info.quicVersion = r.version;
        st.failures++;
        if (!r.terminal && st.datagrams < MAX_QUIC_DATAGRAMS && st.failures < MAX_QUIC_FAILED_DECRYPTS) return 'more';
        anomalies.add(r.anomaly);
        info.noteAnomaly(r.anomaly);
        if (info.app === null) info.app = 'quic';
        return this.end(info, st);
    }
  }

  /**
   * Watches the flow's later client datagrams for a QUIC connection opening on the same 5-tuple
   * (feedLater), when none has been read yet: the capture began inside a connection (its first
   * datagram a short header), or its connection's version has no public keys.
   */
  watchLater(info: FlowInfo): void {
    if (info.quicLater === null) info.quicLater = { tried: [], decoder: null, dcid: -1, datagrams: 0, cids: 0 } satisfies LaterState;
  }

  /** Counts one connection ID kept for finding the flow's other paths; false once `max` are kept, or when the flow is not watched. */
  keepCid(info: FlowInfo, max: number): boolean {
    const st = info.quicLater as LaterState | null;
    if (st === null || st.cids >= max) return false;
    st.cids++;
    return true;
  }

  /**
   * True when the side taken for the flow's client has sent an Initial, whether it decrypted or
   * not (the benchmark's random "Initials" do not): that side acts the client, and the other
   * side's long packets are the server's, not worth a trial decryption each.
   */
  clientSentInitial(info: FlowInfo): boolean {
    const st = info.quic as QuicState | null;
    return info.hello !== null || (st !== null && (st.decoder.initialsDecrypted > 0 || st.failures > 0));
  }

  /**
   * A client datagram of a flow whose ClientHello was read (or, after watchLater, not read). A
   * client may open another QUIC connection from the same socket to the same server (quic-go's
   * Transport multiplexes connections on one socket; a client retries after a connection
   * closed): its Initial carries a new DCID and keys derived from it. Each long-header Initial
   * under a DCID not tried yet is decrypted under that DCID's keys; a ClientHello there adds its
   * server name to the flow (`laterSnis`), or is the flow's own hello when none was read, as
   * tshark decrypts every connection of a 5-tuple. The first connection's
   * later Initials, which carry the server's connection ID under the first DCID's keys, fail
   * that trial once per DCID, silently (no anomaly: they are not damaged). Returns false when
   * the flow need not be watched any more (MAX_LATER_QUIC_DCIDS tried). Never throws.
   */
  feedLater(info: FlowInfo, buf: Uint8Array, off: number, len: number, anomalies: AnomalyCounters): boolean {
    const st = info.quicLater as LaterState | null;
    if (st === null) return false;
    if (len < 7 || (buf[off] & 0x80) === 0) return true; // a short header: a connection's own traffic
    // Handshake and 0-RTT packets of v1 and v2 are passed over without parsing their header.
    const version = ((buf[off + 1] << 24) | (buf[off + 2] << 16) | (buf[off + 3] << 8) | buf[off + 4]) >>> 0;
    const typeBits = buf[off] & 0x30;
    if ((version === QUIC_V1 && typeBits !== 0x00) || (version === QUIC_V2 && typeBits !== 0x10)) return true;
    // A version without public keys (the undecryptable connection's own packets) opens nothing.
    if (version !== QUIC_V1 && version !== QUIC_V2 && quicVersionInfo(version) === null) return true;
    const h = parseQuicLongHeader(buf, off, len);
    if (h.kind !== 'ok' || h.header.packetType !== PACKET_INITIAL) return true;
    const key = dcidKey(buf, off, len);
    if (st.decoder === null || key !== st.dcid) {
      if (st.tried.includes(key)) return true;
      if (st.tried.length >= MAX_LATER_QUIC_DCIDS) {
        // Said, not silent: Initials under many new IDs could otherwise hide a later connection's name.
        anomalies.add(A['quic.later_connections_unread']);
        info.noteAnomaly(A['quic.later_connections_unread']);
        info.quicLater = null;
        return false;
      }
      st.tried.push(key);
      // No run counters: a trial that fails is the expected outcome for most datagrams here.
      st.decoder = new QuicInitialDecoder();
      st.dcid = key;
      st.datagrams = 0;
    }
    st.datagrams++;
    const r = st.decoder.feed(buf, off, len);
    if (r.kind === 'found') {
      if (info.hello === null && info.sni === null) {
        // The first connection the flow shows whole: its hello is the flow's.
        info.app = 'quic';
        info.quicVersion = r.version;
        info.unnamedReason = null;
        info.takeHello(r.hello, 'quic', anomalies);
      } else if (r.hello.sni !== null) info.laterSnis = FlowInfo.addName(info.laterSnis, r.hello.sni);
      st.decoder = null;
    } else if (r.kind !== 'need-more' || st.datagrams >= MAX_QUIC_DATAGRAMS) {
      st.decoder = null;
    }
    return true;
  }

  /** Flow ended while still collecting: count a CRYPTO hole that never filled. */
  finishFlow(info: FlowInfo): void {
    const st = info.quic as QuicState | null;
    if (st) { st.decoder.finish(); info.quic = null; }
  }

  /**
   * Past the datagram bound on a QUIC flow whose hello was not read (a long download in a version
   * without public keys, a hello that never completed): a later connection on the socket, in a
   * version we read, still names the flow. Not after failed decryptions: random datagrams that
   * only looked like Initials would each cost a trial under a new "connection ID".
   */
  private endUnread(info: FlowInfo, st: QuicState): 'done' {
    this.watchLater(info);
    return this.end(info, st);
  }

  private end(info: FlowInfo, st: QuicState): 'done' {
    st.decoder.finish();
    info.quic = null;
    return 'done';
  }
}

/**
 * A 32-bit key of the DCID of the long-header packet at `buf[off]` (FNV-1a over its length and
 * bytes); -1 when there is none. Two DCIDs sharing a key only cost a later connection's trial.
 */
function dcidKey(buf: Uint8Array, off: number, len: number): number {
  if (len < 6 || (buf[off] & 0x80) === 0) return -1;
  const n = buf[off + 5];
  if (n > MAX_CID_LEN || 6 + n > len) return -1;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ buf[off + 6 + i], 0x01000193);
  return h >>> 0;
}
