/**
 * IPv6 decoder (RFC 8200): the fixed header, the Payload Length check, and the walk over
 * extension headers to the upper-layer protocol, stopping at a Fragment header for
 * ip-reassembly.ts.
 *
 * Per packet: allocation-free, never throws on packet bytes. It leaves the cursor on the
 * upper-layer header, bounded by Payload Length (Ethernet padding excluded). It must never
 * reassemble or interpret option contents beyond their lengths.
 */
import { A, AnomalyCounters } from '../anomalies';
import { u16be, u32be } from './bytes';
import { LayerCursor, NEXT_LAYER } from './layer-cursor';
import { DecodeStatus, PacketView } from './packet-view';

const IP_UNKNOWN_VERSION = A['ip.unknown_version'];
const IP6_TRUNCATED = A['ip6.truncated'];
const IP6_BAD_PAYLOAD_LENGTH = A['ip6.bad_payload_length'];
const IP6_EXT_HEADER_TRUNCATED = A['ip6.ext_header_truncated'];
const IP6_TOO_MANY_EXT_HEADERS = A['ip6.too_many_ext_headers'];

/** RFC 8200 §3: the fixed header is 40 bytes. */
export const IPV6_HEADER_LENGTH = 40;

/**
 * Most extension headers walked per packet. RFC 8200 §4.1 recommends each header at most once
 * (Destination Options twice): about 6 in a legitimate packet. 8 leaves headroom and bounds
 * the cost of a packet that is nothing but empty headers.
 */
export const MAX_IPV6_EXT_HEADERS = 8;

/** Extension-header numbers (IANA "IPv6 Extension Header Types"). */
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_AH = 51;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_MOBILITY = 135;
export const IPPROTO_HIP = 139;
export const IPPROTO_SHIM6 = 140;

/**
 * Decodes the IPv6 header at `cur.off`; sets addresses and ipProto on `view` and walks the
 * extension headers. Returns NEXT_LAYER with the cursor on the upper-layer header (or on the
 * fragmentable part when cur.isFragment), or a status after counting an anomaly.
 */
export function decodeIpv6(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  const off = cur.off;
  const captured = cur.end - off;
  if (captured < 1) {
    anomalies.add(IP6_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  if (buf[off] >> 4 !== 6) {
    anomalies.add(IP_UNKNOWN_VERSION);
    return DecodeStatus.Malformed;
  }
  if (captured < IPV6_HEADER_LENGTH) {
    anomalies.add(IP6_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const payloadLength = u16be(buf, off + 4);
  const nextHeader = buf[off + 6];
  let ipEnd: number;
  // RFC 2675 §3: Payload Length 0 with a Hop-by-Hop header announces a jumbogram; the real
  // length is in the Jumbo Payload option. We take the rest of the packet instead of trusting it.
  // Without Hop-by-Hop, 0 simply means an empty payload.
  if (payloadLength === 0 && nextHeader === IPPROTO_HOPOPTS) {
    ipEnd = cur.wireEnd;
    cur.jumbo = true;
  } else {
    // RFC 8200 §3: Payload Length counts everything after the fixed header; more than the wire holds is impossible.
    if (payloadLength > cur.wireEnd - off - IPV6_HEADER_LENGTH) {
      anomalies.add(IP6_BAD_PAYLOAD_LENGTH);
      return DecodeStatus.Malformed;
    }
    ipEnd = off + IPV6_HEADER_LENGTH + payloadLength;
    cur.jumbo = false;
  }
  view.ipVersion = 6;
  view.sa0 = u32be(buf, off + 8); view.sa1 = u32be(buf, off + 12);
  view.sa2 = u32be(buf, off + 16); view.sa3 = u32be(buf, off + 20);
  view.da0 = u32be(buf, off + 24); view.da1 = u32be(buf, off + 28);
  view.da2 = u32be(buf, off + 32); view.da3 = u32be(buf, off + 36);
  cur.off = off + IPV6_HEADER_LENGTH;
  cur.wireEnd = ipEnd;
  if (cur.end > ipEnd) cur.end = ipEnd;
  cur.extCount = 0;
  cur.isFragment = false;
  return walkIpv6ExtensionHeaders(buf, cur, view, anomalies, nextHeader);
}

/**
 * Walks extension headers from `cur.off`, starting with header type `nextHeader` (RFC 8200 §4).
 * Stops at the first upper-layer protocol (TCP, UDP, ICMPv6, ESP, No Next Header...) and sets
 * cur.proto / view.ipProto to it, or at a non-atomic Fragment header (cur.isFragment, cursor on
 * the fragmentable part). Also used on a reassembled datagram, where a second Fragment header
 * is malformed (RFC 8200 §4.1: each extension header occurs at most once, except Destination Options).
 */
export function walkIpv6ExtensionHeaders(
  buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters, nextHeader: number,
): number {
  let nh = nextHeader;
  let off = cur.off;
  for (;;) {
    if (!isExtensionHeader(nh)) {
      cur.off = off;
      cur.proto = nh;
      view.ipProto = nh;
      return NEXT_LAYER;
    }
    if (++cur.extCount > MAX_IPV6_EXT_HEADERS) {
      anomalies.add(IP6_TOO_MANY_EXT_HEADERS);
      return DecodeStatus.Malformed;
    }
    // Every extension header is at least 8 bytes (RFC 8200 §4.3-4.6, RFC 4302 §2 for AH).
    const status = checkExtent(cur, off, 8, anomalies);
    if (status !== NEXT_LAYER) return status;
    if (nh === IPPROTO_FRAGMENT) {
      if (cur.isFragment) {
        anomalies.add(IP6_TOO_MANY_EXT_HEADERS);
        return DecodeStatus.Malformed;
      }
      // RFC 8200 §4.5: offset in 8-byte units in the upper 13 bits, M flag in bit 0.
      const offsetFlags = u16be(buf, off + 2);
      const fragOffset = offsetFlags & 0xfff8;
      const more = (offsetFlags & 1) !== 0;
      nh = buf[off];
      off += 8;
      // RFC 6946: an "atomic fragment" (offset 0, M = 0) is processed as a whole packet.
      if (fragOffset !== 0 || more) {
        cur.isFragment = true;
        cur.fragOffset = fragOffset;
        cur.moreFragments = more;
        cur.fragId = u32be(buf, off - 4);
        cur.off = off;
        cur.proto = nh;
        view.ipProto = nh;
        return NEXT_LAYER;
      }
      continue;
    }
    // Hdr Ext Len: 8-byte units not counting the first 8 (RFC 8200 §4.3); AH uses 4-byte units minus 2 (RFC 4302 §2.2).
    const length = nh === IPPROTO_AH ? (buf[off + 1] + 2) << 2 : (buf[off + 1] + 1) << 3;
    const extentStatus = checkExtent(cur, off, length, anomalies);
    if (extentStatus !== NEXT_LAYER) return extentStatus;
    if (nh === IPPROTO_ROUTING && buf[off + 3] > 0) finalDestination(buf, off, length, view);
    else if (nh === IPPROTO_DSTOPTS) homeAddress(buf, off, length, view);
    nh = buf[off];
    off += length;
  }
}

/**
 * A Routing header with segments left names the packet's final destination, which becomes
 * the destination address (as tshark and tcpdump show it, and as the transport checksum's
 * pseudo-header uses it, RFC 8200 §8.1): the flow is with the host the packet is routed to,
 * not with the next waypoint. Type 0 (RFC 2460 §4.4, deprecated): the last address of the
 * list; type 2 (Mobile IPv6, RFC 6275 §6.4): the home address; type 4 (Segment Routing,
 * RFC 8754 §2): Segment List[0]. Type 3 (RPL, compressed addresses) keeps the IPv6 header's.
 * `length` bytes at `off` are inside the captured packet.
 */
function finalDestination(buf: Uint8Array, off: number, length: number, view: PacketView): void {
  const type = buf[off + 2];
  let at = -1;
  if (type === 0) {
    const count = buf[off + 1] >> 1;
    if (count > 0) at = off + 8 + (count - 1) * 16;
  } else if (type === 2 || type === 4) {
    if (length >= 24) at = off + 8;
  }
  if (at < 0) return;
  view.da0 = u32be(buf, at); view.da1 = u32be(buf, at + 4);
  view.da2 = u32be(buf, at + 8); view.da3 = u32be(buf, at + 12);
}

/** Destination option type of the Home Address option (RFC 6275 §6.3) and its data length. */
const OPT_HOME_ADDRESS = 0xc9;
const HOME_ADDRESS_LENGTH = 16;

/**
 * A Home Address option in a Destination Options header (Mobile IPv6, RFC 6275 §6.3): a mobile
 * node away from home sends from its care-of address and names its home address here, which the
 * receiver puts in place of the source (§9.3.1); tshark shows the home address as the source
 * too, so the connection is one flow whichever address the replies carry (they come back to the
 * home address through a type 2 Routing header, finalDestination). Options are type-length-value
 * except Pad1; a length past the header ends the walk. `length` bytes at `off` are captured.
 */
function homeAddress(buf: Uint8Array, off: number, length: number, view: PacketView): void {
  const end = off + length;
  let p = off + 2;
  while (p + 2 <= end) {
    const type = buf[p];
    if (type === 0) {
      p++;
      continue;
    }
    const len = buf[p + 1];
    if (p + 2 + len > end) return;
    if (type === OPT_HOME_ADDRESS && len === HOME_ADDRESS_LENGTH) {
      const at = p + 2;
      view.sa0 = u32be(buf, at); view.sa1 = u32be(buf, at + 4);
      view.sa2 = u32be(buf, at + 8); view.sa3 = u32be(buf, at + 12);
      return;
    }
    p += 2 + len;
  }
}

function isExtensionHeader(nh: number): boolean {
  return nh === IPPROTO_HOPOPTS || nh === IPPROTO_ROUTING || nh === IPPROTO_FRAGMENT || nh === IPPROTO_DSTOPTS
    || nh === IPPROTO_AH || nh === IPPROTO_MOBILITY || nh === IPPROTO_HIP || nh === IPPROTO_SHIM6;
}

/** An extension header of `length` bytes at `off` must fit the packet (else malformed) and the capture (else truncated). */
function checkExtent(cur: LayerCursor, off: number, length: number, anomalies: AnomalyCounters): number {
  if (off + length > cur.wireEnd) {
    anomalies.add(IP6_BAD_PAYLOAD_LENGTH);
    return DecodeStatus.Malformed;
  }
  if (off + length > cur.end) {
    anomalies.add(IP6_EXT_HEADER_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  return NEXT_LAYER;
}
