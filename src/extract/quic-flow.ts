/**
 * QuicFlowAnalyzer: the per-flow glue between the pipeline and the QUIC Initial decryptor —
 * feeds a UDP flow's client datagrams to a QuicInitialDecoder until the ClientHello (IETF QUIC)
 * or CHLO (Google QUIC) gives the SNI, the flow turns out not to be QUIC, or a bound is hit.
 * Bounded datagrams per flow; never throws; facts only.
 */
import { AnomalyCounters } from '../anomalies';
import type { FlowInfo } from '../flow/flow-info';
import { QuicInitialDecoder } from './quic-initial';

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

/** Per-flow QUIC state kept on FlowInfo.quic. */
interface QuicState { decoder: QuicInitialDecoder; datagrams: number; failures: number }

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
        if (info.app === 'quic') return st.datagrams >= MAX_QUIC_DATAGRAMS ? this.end(info, st) : 'more';
        info.quic = null;
        return 'not-quic';
      case 'unsupported':
        // A version we cannot decrypt: the server may answer with Version Negotiation and the
        // client try again in one we can (RFC 9000 §6.2), on the same socket: keep looking.
        info.app = 'quic';
        info.quicVersion = r.version;
        info.unnamedReason = 'quic-version-not-decryptable';
        return st.datagrams >= MAX_QUIC_DATAGRAMS ? this.end(info, st) : 'more';
      case 'need-more':
        info.app = 'quic';
        info.quicVersion = r.version;
        return st.datagrams >= MAX_QUIC_DATAGRAMS ? this.end(info, st) : 'more';
      case 'found':
        info.app = 'quic';
        info.quicVersion = r.version;
        if (info.unnamedReason === 'quic-version-not-decryptable') info.unnamedReason = null;
        info.takeHello(r.hello, 'quic', anomalies);
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

  /** Flow ended while still collecting: count a CRYPTO hole that never filled. */
  finishFlow(info: FlowInfo): void {
    const st = info.quic as QuicState | null;
    if (st) { st.decoder.finish(); info.quic = null; }
  }

  private end(info: FlowInfo, st: QuicState): 'done' {
    st.decoder.finish();
    info.quic = null;
    return 'done';
  }
}
