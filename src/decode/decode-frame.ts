/**
 * FrameDecoder: link layer → IP → TCP/UDP for one frame, in place into a reused PacketView.
 * STUB: the contract only; the implementation lands with the decode work.
 */
import { AnomalyCounters } from '../anomalies';
import { DecodeStatus, PacketView } from './packet-view';

/** Packets that are not flows but are counted in the summary. */
export interface NonFlowCounters { arp: number; icmp: number; icmpv6: number; igmp: number; otherIp: number; otherL2: number }

/** Limits of IP fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5). */
export interface FragmentLimits { maxDatagrams: number; maxBytes: number; timeoutMicros: number }

export const DEFAULT_FRAGMENT_LIMITS: FragmentLimits = { maxDatagrams: 1024, maxBytes: 16 * 1024 * 1024, timeoutMicros: 30_000_000 };

/** Decodes frames into `view`; owns IP reassembly state. Never throws on packet bytes. */
export class FrameDecoder {
  readonly view = new PacketView();
  readonly nonFlow: NonFlowCounters = { arp: 0, icmp: 0, icmpv6: 0, igmp: 0, otherIp: 0, otherL2: 0 };

  constructor(readonly anomalies: AnomalyCounters, readonly limits: FragmentLimits = DEFAULT_FRAGMENT_LIMITS) {}

  /** Decodes `buf[off, off + caplen)` of link type `linkType`. `wireLength` is the original length; `tsMicros` drives fragment timeouts. */
  decode(buf: Uint8Array, off: number, caplen: number, wireLength: number, linkType: number, tsMicros: number): DecodeStatus {
    void buf; void off; void caplen; void wireLength; void linkType; void tsMicros;
    return DecodeStatus.Unsupported;
  }

  /** Decodes the packet encapsulated in the last decoded one (view.innerKind != None) into the same view, tunnelDepth + 1. */
  decodeInner(tsMicros: number): DecodeStatus {
    void tsMicros;
    return DecodeStatus.Unsupported;
  }

  /** End of input: counts fragments that never completed. */
  finish(): void {}
}
