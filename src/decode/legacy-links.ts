/**
 * Link layers of older or specialised networks whose captures still turn up in public test
 * suites and on lab benches, each carrying IP behind IEEE 802.2 LLC/SNAP or a protocol id:
 * FDDI (LINKTYPE_FDDI), IEEE 802.5 Token Ring (LINKTYPE_IEEE802), ATM with RFC 1483/2684 LLC
 * encapsulation (LINKTYPE_ATM_RFC1483, and SunATM's 4-byte header before it), Linux Classical IP
 * over ATM (LINKTYPE_ATM_CLIP: LLC/SNAP or bare IPv4, as tcpdump reads it), Frame Relay with
 * RFC 2427 multiprotocol encapsulation (LINKTYPE_FRELAY), Apple's IP over IEEE 1394
 * (LINKTYPE_APPLE_IP_OVER_IEEE1394), IP over InfiniBand (LINKTYPE_IPOIB) and ARCNET (RFC 1201
 * and RFC 1051; LINKTYPE_ARCNET_BSD and LINKTYPE_ARCNET_LINUX). Each frame shape was checked
 * against tshark 4.0 first: its `frame.protocols` reaches the same IP packet.
 *
 * Per packet: allocation-free, never throws on packet bytes, never reads past the link header;
 * frames that carry no IP (Token Ring MAC frames, FDDI SMT, other NLPIDs) are not IP, not errors.
 */
import { A, AnomalyCounters } from '../anomalies';
import { u16be } from './bytes';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_NONE, LayerCursor, NEXT_LAYER } from './layer-cursor';
import { decodeLlcSnap } from './llc';
import { DecodeStatus } from './packet-view';

const LINK_TRUNCATED = A['link.truncated'];

/** FDDI (ANSI X3.139 / ISO 9314-2): frame control, destination and source addresses. */
const FDDI_HEADER_LENGTH = 13;
/** IPoIB: destination and source hardware addresses (20 each), ethertype, reserved. */
const IPOIB_HEADER_LENGTH = 44;
/** Frame control CLFFZZZZ: L = 48-bit addresses, FF = 01 for an LLC frame (C, the class, may be either). */
const FDDI_FC_LLC_MASK = 0x70;
const FDDI_FC_LLC = 0x50;

/** IEEE 802.5: access control, frame control, destination and source addresses. */
const TR_HEADER_LENGTH = 14;
/** Frame control bits 7–6: 01 = an LLC frame (00 = MAC frames: ring management, no IP). */
const TR_FC_TYPE_MASK = 0xc0;
const TR_FC_LLC = 0x40;
/** The source address's first bit says a routing information field follows (source routing). */
const TR_SA_RII = 0x80;
/** Length of the routing information field: the low 5 bits of its first byte (2..30 bytes). */
const TR_RIF_LENGTH_MASK = 0x1f;

/**
 * ARCNET system codes: RFC 1201's IP, ARP and (since) IPv6, each after a split flag and a
 * sequence number; RFC 1051's older IP and ARP, and diagnostics, without them.
 */
const ARCTYPE_IP = 212;
const ARCTYPE_ARP = 213;
const ARCTYPE_INET6 = 0xc4;
const ARCTYPE_IP_OLD = 240;
const ARCTYPE_ARP_OLD = 241;
const ARCTYPE_DIAGNOSE = 0x80;
/** Where the system code sits: after source and destination (BSD), and a 2-byte offset too (Linux). */
const ARC_TYPE_OFFSET_BSD = 2;
const ARC_TYPE_OFFSET_LINUX = 4;
/** The split flag and sequence number after an RFC 1201 system code. */
const ARC_PHDS_LENGTH = 3;
/** A BSD exception frame: split flag 0xff, then two pad bytes, the code again, the real flag and sequence number (10 bytes in all). */
const ARC_EXCEPTION_FLAG = 0xff;
const ARC_EXCEPTION_HEADER_LENGTH = 10;

/** SunATM: flags (low nibble: traffic type), VPI, VCI. */
/** print-cip.c's rfcllc: DSAP, SSAP, UI and the RFC 1042 OUI; a packet shorter than these is truncated there too. */
const CLIP_LLC_PREFIX_LENGTH = 6;
const SUNATM_HEADER_LENGTH = 4;
const SUNATM_TYPE_MASK = 0x0f;
const SUNATM_TYPE_LLC = 2;

/** Frame Relay (ITU-T Q.922 address, 2 to 4 bytes, EA bit ends it; RFC 2427 §3: UI control and NLPID). */
const FR_MAX_ADDRESS_LENGTH = 4;
const FR_CONTROL_UI = 0x03;
const NLPID_PAD = 0x00;
const NLPID_SNAP = 0x80;
const NLPID_IPV4 = 0xcc;
const NLPID_IPV6 = 0x8e;

/** Apple IP over FireWire: destination and source EUI-64, then an ethertype. */
const IEEE1394_HEADER_LENGTH = 18;

function truncated(anomalies: AnomalyCounters): number {
  anomalies.add(LINK_TRUNCATED);
  return DecodeStatus.Truncated;
}

function notIp(cur: LayerCursor): number {
  cur.etherType = ETHERTYPE_NONE;
  return NEXT_LAYER;
}

/** FDDI: an LLC frame's LLC/SNAP header names the packet. */
export function decodeFddi(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  if (cur.end - cur.off < FDDI_HEADER_LENGTH) return truncated(anomalies);
  if ((buf[cur.off] & FDDI_FC_LLC_MASK) !== FDDI_FC_LLC) return notIp(cur);
  cur.off += FDDI_HEADER_LENGTH;
  return decodeLlcSnap(buf, cur);
}

/** Token Ring: an LLC frame, past the routing information field when the source says there is one. */
export function decodeTokenRing(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < TR_HEADER_LENGTH) return truncated(anomalies);
  if ((buf[off + 1] & TR_FC_TYPE_MASK) !== TR_FC_LLC) return notIp(cur);
  let p = off + TR_HEADER_LENGTH;
  if ((buf[off + 8] & TR_SA_RII) !== 0) {
    if (p >= cur.end) return truncated(anomalies);
    const rif = buf[p] & TR_RIF_LENGTH_MASK;
    if (rif < 2 || (rif & 1) !== 0) return notIp(cur); // IEEE 802.5 §9: 2–30 bytes, whole route designators
    if (cur.end - p < rif) return truncated(anomalies);
    p += rif;
  }
  cur.off = p;
  return decodeLlcSnap(buf, cur);
}

/** ATM with LLC encapsulation (RFC 2684 §5): the LLC/SNAP header starts the frame. */
export function decodeAtmRfc1483(buf: Uint8Array, cur: LayerCursor): number {
  return decodeLlcSnap(buf, cur);
}

/**
 * Linux Classical IP over ATM (RFC 2225): the LLC/SNAP header of LLC encapsulation when the
 * packet starts with AA-AA-03 and OUI 00-00-00, as tcpdump's print-cip.c tests it; otherwise
 * VC multiplexing, which carries IPv4 alone (tcpdump reads it as IPv4, tshark reads every CLIP
 * packet so).
 */
export function decodeAtmClip(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < CLIP_LLC_PREFIX_LENGTH) return truncated(anomalies);
  if (buf[off] === 0xaa && buf[off + 1] === 0xaa && buf[off + 2] === 0x03 && buf[off + 3] === 0 && buf[off + 4] === 0 && buf[off + 5] === 0) {
    return decodeLlcSnap(buf, cur);
  }
  if (buf[off] >> 4 !== 4) {
    anomalies.add(A['ip.unknown_version']);
    return DecodeStatus.Malformed;
  }
  cur.etherType = ETHERTYPE_IPV4;
  return NEXT_LAYER;
}

/** SunATM: a 4-byte header, then LLC/SNAP on LLC-multiplexed circuits (LANE and raw cells carry no IP of ours). */
export function decodeSunAtm(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  if (cur.end - cur.off < SUNATM_HEADER_LENGTH) return truncated(anomalies);
  if ((buf[cur.off] & SUNATM_TYPE_MASK) !== SUNATM_TYPE_LLC) return notIp(cur);
  cur.off += SUNATM_HEADER_LENGTH;
  return decodeLlcSnap(buf, cur);
}

/**
 * Frame Relay: the Q.922 address (its last byte has the EA bit set), the UI control byte, an
 * optional pad byte, then the NLPID: IPv4, IPv6, or SNAP (an OUI of 0 makes the PID an ethertype).
 */
export function decodeFrameRelay(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  let p = off;
  while (p < cur.end && (buf[p] & 1) === 0) {
    if (p - off >= FR_MAX_ADDRESS_LENGTH - 1) return notIp(cur);
    p++;
  }
  if (p - off < 1) return notIp(cur); // a one-byte address is no Q.922 address
  p++; // the byte with the EA bit
  if (cur.end - p < 2) return truncated(anomalies);
  if (buf[p] !== FR_CONTROL_UI) return notIp(cur);
  p++;
  if (buf[p] === NLPID_PAD) p++;
  if (p >= cur.end) return truncated(anomalies);
  const nlpid = buf[p++];
  if (nlpid === NLPID_IPV4 || nlpid === NLPID_IPV6) {
    cur.etherType = nlpid === NLPID_IPV4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
    cur.off = p;
    return NEXT_LAYER;
  }
  if (nlpid !== NLPID_SNAP) return notIp(cur);
  if (cur.end - p < 5) return truncated(anomalies);
  if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 0) return notIp(cur);
  cur.etherType = u16be(buf, p + 3);
  cur.off = p + 5;
  return NEXT_LAYER;
}

/**
 * IP over InfiniBand (LINKTYPE_IPOIB, RFC 4391), as Linux captures it and tcpdump and tshark
 * read it: a 20-byte destination and a 20-byte source hardware address (QPN and GID), the
 * ethertype, and 2 reserved bytes.
 */
export function decodeIpoib(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  if (cur.end - cur.off < IPOIB_HEADER_LENGTH) return truncated(anomalies);
  cur.etherType = u16be(buf, cur.off + IPOIB_HEADER_LENGTH - 4);
  cur.off += IPOIB_HEADER_LENGTH;
  return NEXT_LAYER;
}

/** Apple IP over IEEE 1394: two EUI-64 addresses and an ethertype. */
export function decodeIeee1394(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  if (cur.end - cur.off < IEEE1394_HEADER_LENGTH) return truncated(anomalies);
  cur.etherType = u16be(buf, cur.off + IEEE1394_HEADER_LENGTH - 2);
  cur.off += IEEE1394_HEADER_LENGTH;
  return NEXT_LAYER;
}

/**
 * ARCNET (LINKTYPE_ARCNET_BSD, LINKTYPE_ARCNET_LINUX), as tcpdump and tshark read it: the
 * system code names IPv4, IPv6 or ARP; RFC 1201 codes are followed by a split flag and a
 * sequence number. Linux hands over reassembled packets, so its flag is not read; on the BSDs a
 * middle fragment (an even, non-zero flag) carries no header of its own and is not IP.
 */
export function decodeArcnet(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters, linux: boolean): number {
  const off = cur.off;
  const typeAt = linux ? ARC_TYPE_OFFSET_LINUX : ARC_TYPE_OFFSET_BSD;
  if (cur.end - off <= typeAt) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const type = buf[off + typeAt];
  let length = typeAt + 1;
  let middleFragment = false;
  if (type !== ARCTYPE_IP_OLD && type !== ARCTYPE_ARP_OLD && type !== ARCTYPE_DIAGNOSE) {
    length += ARC_PHDS_LENGTH;
    if (!linux && cur.end - off > typeAt + 1 && buf[off + typeAt + 1] === ARC_EXCEPTION_FLAG) length = ARC_EXCEPTION_HEADER_LENGTH;
    if (cur.end - off < length) {
      anomalies.add(LINK_TRUNCATED);
      return DecodeStatus.Truncated;
    }
    const flag = linux ? 0 : buf[off + length - 3];
    middleFragment = flag !== 0 && (flag & 1) === 0;
  }
  cur.off = off + length;
  if (middleFragment) cur.etherType = ETHERTYPE_NONE;
  else if (type === ARCTYPE_IP || type === ARCTYPE_IP_OLD) cur.etherType = ETHERTYPE_IPV4;
  else if (type === ARCTYPE_INET6) cur.etherType = ETHERTYPE_IPV6;
  else if (type === ARCTYPE_ARP || type === ARCTYPE_ARP_OLD) cur.etherType = ETHERTYPE_ARP;
  else cur.etherType = ETHERTYPE_NONE;
  return NEXT_LAYER;
}
