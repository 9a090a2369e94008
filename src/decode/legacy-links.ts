/**
 * Link layers of older or specialised networks whose captures still turn up in public test
 * suites and on lab benches, each carrying IP behind IEEE 802.2 LLC/SNAP or a protocol id:
 * FDDI (LINKTYPE_FDDI), IEEE 802.5 Token Ring (LINKTYPE_IEEE802), ATM with RFC 1483/2684 LLC
 * encapsulation (LINKTYPE_ATM_RFC1483, and SunATM's 4-byte header before it), Frame Relay with
 * RFC 2427 multiprotocol encapsulation (LINKTYPE_FRELAY) and Apple's IP over IEEE 1394
 * (LINKTYPE_APPLE_IP_OVER_IEEE1394). Each frame shape was checked against tshark 4.0 first: its
 * `frame.protocols` reaches the same IP packet.
 *
 * Per packet: allocation-free, never throws on packet bytes, never reads past the link header;
 * frames that carry no IP (Token Ring MAC frames, FDDI SMT, other NLPIDs) are not IP, not errors.
 */
import { A, AnomalyCounters } from '../anomalies';
import { u16be } from './bytes';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_NONE, LayerCursor, NEXT_LAYER } from './layer-cursor';
import { decodeLlcSnap } from './llc';
import { DecodeStatus } from './packet-view';

const LINK_TRUNCATED = A['link.truncated'];

/** FDDI (ANSI X3.139 / ISO 9314-2): frame control, destination and source addresses. */
const FDDI_HEADER_LENGTH = 13;
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

/** SunATM: flags (low nibble: traffic type), VPI, VCI. */
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

/** Apple IP over IEEE 1394: two EUI-64 addresses and an ethertype. */
export function decodeIeee1394(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  if (cur.end - cur.off < IEEE1394_HEADER_LENGTH) return truncated(anomalies);
  cur.etherType = u16be(buf, cur.off + IEEE1394_HEADER_LENGTH - 2);
  cur.off += IEEE1394_HEADER_LENGTH;
  return NEXT_LAYER;
}
