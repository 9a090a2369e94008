/**
 * Tunnel headers whose inner packet is a flow of its own: GRE (RFC 2784 + RFC 2890 keys and
 * sequence numbers) and VXLAN (RFC 7348). IP-in-IP (protocols 4 and 41) needs no header and is
 * handled by the dispatcher in decode-frame.ts.
 *
 * Per packet: allocation-free, never throws on packet bytes. These functions only locate the
 * inner packet; they must never decode it (decode-frame.ts does, with the depth bound).
 */
import { A, AnomalyCounters } from '../anomalies';
import { u16be } from './bytes';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_TEB, LayerCursor, NEXT_LAYER } from './layer-cursor';
import { DecodeStatus, InnerKind, PacketView } from './packet-view';

const TUNNEL_TRUNCATED = A['tunnel.truncated'];
const GRE_UNSUPPORTED = A['gre.unsupported'];

/**
 * Most tunnel layers decoded inside one frame. Real stacks go 2 deep (VXLAN over an IPsec or
 * GRE underlay; 6in4 inside a VLAN trunk's GRE); 4 leaves headroom while stopping a packet
 * that nests IP-in-IP dozens of times from costing a decode per layer.
 */
export const MAX_TUNNEL_DEPTH = 4;

/** IANA-assigned VXLAN UDP destination port (RFC 7348 §5). */
export const VXLAN_PORT = 4789;
const VXLAN_HEADER_LENGTH = 8;
/** RFC 7348 §5: the I flag says the VNI is valid; it must be set. */
const VXLAN_FLAG_I = 0x08;

const GRE_BASE_HEADER_LENGTH = 4;
const GRE_FLAG_C = 0x8000; // RFC 2784 §2.1: Checksum and Reserved1 present (4 bytes)
const GRE_FLAG_K = 0x2000; // RFC 2890 §2: Key present (4 bytes)
const GRE_FLAG_S = 0x1000; // RFC 2890 §2: Sequence Number present (4 bytes)
/**
 * RFC 2784 §2.3: a receiver MUST discard a packet with any of Reserved0 bits 1-5 set unless it
 * implements RFC 1701 (routing, strict source route, recursion control); bits 2 and 3 are K and
 * S since RFC 2890, which leaves bits 1, 4 and 5.
 */
const GRE_RESERVED0_MUST_BE_ZERO = 0x4c00;
const GRE_VERSION_MASK = 0x0007;

/**
 * GRE header at `cur.off`. Version 0 only; PPTP's enhanced GRE (version 1, RFC 2637 §4.1) and
 * payloads other than IPv4, IPv6 and transparent Ethernet bridging count gre.unsupported.
 * Returns NEXT_LAYER with the cursor on the payload and cur.etherType set to its protocol.
 */
export function decodeGre(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < GRE_BASE_HEADER_LENGTH) {
    anomalies.add(TUNNEL_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const flags = u16be(buf, off);
  if ((flags & GRE_VERSION_MASK) !== 0 || (flags & GRE_RESERVED0_MUST_BE_ZERO) !== 0) {
    anomalies.add(GRE_UNSUPPORTED);
    return DecodeStatus.Unsupported;
  }
  const protocol = u16be(buf, off + 2);
  if (protocol !== ETHERTYPE_IPV4 && protocol !== ETHERTYPE_IPV6 && protocol !== ETHERTYPE_TEB) {
    anomalies.add(GRE_UNSUPPORTED);
    return DecodeStatus.Unsupported;
  }
  let length = GRE_BASE_HEADER_LENGTH;
  if ((flags & GRE_FLAG_C) !== 0) length += 4;
  if ((flags & GRE_FLAG_K) !== 0) length += 4;
  if ((flags & GRE_FLAG_S) !== 0) length += 4;
  if (cur.end - off < length) {
    anomalies.add(TUNNEL_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  cur.off = off + length;
  cur.etherType = protocol;
  return NEXT_LAYER;
}

/**
 * VXLAN header (RFC 7348 §5) at `cur.off`, the payload of a UDP datagram to port 4789. When
 * the I flag is set, marks the inner Ethernet frame on the view (innerKind/innerOffset/innerEnd)
 * and returns true; the outer UDP datagram stays a flow either way.
 */
export function markVxlanInner(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): boolean {
  const off = cur.off;
  if (cur.end - off < VXLAN_HEADER_LENGTH) {
    anomalies.add(TUNNEL_TRUNCATED);
    return false;
  }
  if ((buf[off] & VXLAN_FLAG_I) === 0) return false;
  view.innerKind = InnerKind.Ethernet;
  view.innerOffset = off + VXLAN_HEADER_LENGTH;
  view.innerEnd = cur.end;
  return true;
}
