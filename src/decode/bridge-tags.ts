/**
 * Data-centre and carrier tags that sit between an Ethernet header and the packet it carries:
 * IEEE 802.1ah provider backbone bridging (PBB, MAC-in-MAC), Cisco VN-Tag, IEEE 802.1BR E-Tag,
 * Cisco FabricPath, the Network Service Header (NSH, RFC 8300), IEEE 802.1AE MACsec when it
 * only protects integrity (an encrypted frame is not IP), the timestamp an Arista tap
 * aggregator inserts, and batman-adv's mesh data packets. Each one is peeled like the
 * shims in link.ts (decodeShim dispatches here): it moves the cursor past its header and names
 * what follows as an ethertype, so a VLAN tag, an MPLS stack or IP may come next.
 *
 * These are switch fabrics and service chains, not tunnels: the packet inside keeps tunnel
 * depth 0, as in tshark's conversations, which decodes all of them by default (checked with tshark
 * 4.0 on hand-made frames). Zeek and Suricata decode PBB and VN-Tag; Suricata also NSH and E-Tag.
 *
 * Allocation-free, never throws on packet bytes; it must never look past the header it reads.
 */
import { A, AnomalyCounters } from '../anomalies';
import { u16be } from './bytes';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS, ETHERTYPE_NONE, LayerCursor, NEXT_LAYER } from './layer-cursor';
import { DecodeStatus } from './packet-view';

/** IEEE 802.1ah backbone service instance tag (I-TAG). */
export const ETHERTYPE_PBB = 0x88e7;
/** Cisco VN-Tag (the 802.1Qbh precursor of E-Tag). */
export const ETHERTYPE_VNTAG = 0x8926;
/** IEEE 802.1BR bridge port extension tag. */
export const ETHERTYPE_ETAG = 0x893f;
/** Cisco FabricPath (DCE): the outer header's type; an FTag/TTL word and the original frame follow. */
export const ETHERTYPE_FABRICPATH = 0x8903;
/** Network Service Header (RFC 8300 §2, IANA ethertype). */
export const ETHERTYPE_NSH = 0x894f;
/** IEEE 802.1AE MACsec: the SecTAG, then (unless encrypted) the frame's own type field. */
export const ETHERTYPE_MACSEC = 0x88e5;
/**
 * Arista's vendor ethertype: a tap aggregator's timestamp, inserted before the frame's own type
 * field (a sub-type, a version, the time, then the type), as Arista switches stamp mirrored
 * traffic. tshark ("avsp") and tcpdump decode it.
 */
export const ETHERTYPE_ARISTA = 0xd28b;
/**
 * B.A.T.M.A.N. advanced (batman-adv), the layer-2 mesh protocol of community and IoT mesh
 * networks: its data packets carry the client's whole Ethernet frame (compat version 15, as
 * Linux sends it since 2016; tshark's `batadv` decodes the same).
 */
export const ETHERTYPE_BATADV = 0x4305;

/** MACsec TCI bits (IEEE 802.1AE-2018 §9.5): version (must be 0), SCI present, encrypted (E), changed text (C). */
const MACSEC_TCI_V = 0x80;
const MACSEC_TCI_SC = 0x20;
const MACSEC_TCI_E_OR_C = 0x08 | 0x04;
/** TCI/AN, short length, packet number; the 8-byte SCI follows when SC is set. */
const MACSEC_SECTAG_LENGTH = 6;
const MACSEC_SCI_LENGTH = 8;

const LINK_TRUNCATED = A['link.truncated'];
const NSH_MALFORMED = A['nsh.malformed'];

/** I-TAG (4: priority, flags, 24-bit I-SID), then the customer's destination and source MACs. */
const PBB_SKIP = 4 + 12;
/** VN-Tag: 4 bytes of direction, pointer and virtual interface ids. */
const VNTAG_SKIP = 4;
/** E-Tag: 6 bytes (priority, ingress and E-CID fields). */
const ETAG_SKIP = 6;
/** FabricPath: the FTag/TTL word, then the original frame's destination and source MACs. */
const FABRICPATH_SKIP = 2 + 12;
/** Arista: the timestamp sub-type, and the versions (TAI or UTC, the 0x0100 bit) with their timestamp sizes: 64 bits (seconds, nanoseconds) or 48 (16-bit seconds). */
const ARISTA_SUBTYPE_TIMESTAMP = 0x0001;
const ARISTA_TIMESTAMP_64 = 0x0010;
const ARISTA_TIMESTAMP_48 = 0x0020;
const ARISTA_UTC = 0x0100;
/** Sub-type and version. */
const ARISTA_HEADER_LENGTH = 4;
/** batman-adv compat version 15 (include/uapi/linux/batadv_packet.h). */
const BATADV_COMPAT_VERSION = 15;
/**
 * batman-adv's data packet types and their headers' sizes: broadcast 0x01 (type, version, TTL,
 * reserved, sequence number, originator), unicast 0x40 (type, version, TTL, TT version,
 * destination), four-address unicast 0x42 (the unicast header, the source, a subtype, a
 * reserved byte).
 */
const BATADV_DATA_HEADER_LENGTH: { readonly [type: number]: number } = { 0x01: 14, 0x40: 10, 0x42: 18 };
/** Ethernet destination and source MACs, before the type field (NSH next protocol 3). */
const MAC_PAIR_LENGTH = 12;

/** NSH next-protocol values (RFC 8300 §11.2.5). */
const NSH_NEXT_IPV4 = 1;
const NSH_NEXT_IPV6 = 2;
const NSH_NEXT_ETHERNET = 3;
const NSH_NEXT_NSH = 4;
const NSH_NEXT_MPLS = 5;
/** NSH base plus service path header, in 4-byte words: the least a Length field may say. */
const NSH_MIN_WORDS = 2;
/** MD Type 1 has a fixed 16-byte context header: Length is exactly 6 (RFC 8300 §2.4). */
const NSH_MD1_WORDS = 6;

/** True for the ethertypes decodeBridgeTag peels. */
export function isBridgeTag(etherType: number): boolean {
  return etherType === ETHERTYPE_PBB || etherType === ETHERTYPE_VNTAG || etherType === ETHERTYPE_ETAG ||
    etherType === ETHERTYPE_FABRICPATH || etherType === ETHERTYPE_NSH || etherType === ETHERTYPE_MACSEC ||
    etherType === ETHERTYPE_ARISTA || etherType === ETHERTYPE_BATADV;
}

/** Peels the tag named by cur.etherType (isBridgeTag); sets the next ethertype. */
export function decodeBridgeTag(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  switch (cur.etherType) {
    case ETHERTYPE_PBB: return skipThenEtherType(buf, cur, anomalies, PBB_SKIP);
    case ETHERTYPE_VNTAG: return skipThenEtherType(buf, cur, anomalies, VNTAG_SKIP);
    case ETHERTYPE_ETAG: return skipThenEtherType(buf, cur, anomalies, ETAG_SKIP);
    case ETHERTYPE_FABRICPATH: return skipThenEtherType(buf, cur, anomalies, FABRICPATH_SKIP);
    case ETHERTYPE_MACSEC: return decodeMacsec(buf, cur, anomalies);
    case ETHERTYPE_ARISTA: return decodeArista(buf, cur, anomalies);
    case ETHERTYPE_BATADV: return decodeBatadv(buf, cur, anomalies);
    default: return decodeNsh(buf, cur, anomalies);
  }
}

/**
 * Arista's timestamp header: sub-type 1, then a version saying a 64-bit (TAI or UTC) or 48-bit
 * timestamp, then the frame's type field. Another sub-type or version is not IP (tshark shows
 * data there too).
 */
function decodeArista(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < ARISTA_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const version = u16be(buf, off + 2) & ~ARISTA_UTC;
  if (u16be(buf, off) !== ARISTA_SUBTYPE_TIMESTAMP || (version !== ARISTA_TIMESTAMP_64 && version !== ARISTA_TIMESTAMP_48)) {
    cur.etherType = ETHERTYPE_NONE;
    return NEXT_LAYER;
  }
  return skipThenEtherType(buf, cur, anomalies, ARISTA_HEADER_LENGTH + (version === ARISTA_TIMESTAMP_64 ? 8 : 6));
}

/**
 * MACsec (IEEE 802.1AE §9.3): the SecTAG, then — when the frame is integrity-protected only (E
 * and C clear) — its own type field and payload, as tshark decodes it; the 16-byte ICV trails
 * the packet like padding. An encrypted frame, or a SecTAG of another version, is not IP.
 */
function decodeMacsec(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < 1) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const tci = buf[off];
  if ((tci & (MACSEC_TCI_V | MACSEC_TCI_E_OR_C)) !== 0) {
    cur.etherType = ETHERTYPE_NONE;
    return NEXT_LAYER;
  }
  return skipThenEtherType(buf, cur, anomalies, MACSEC_SECTAG_LENGTH + ((tci & MACSEC_TCI_SC) !== 0 ? MACSEC_SCI_LENGTH : 0));
}

/**
 * batman-adv (compat version 15): a unicast, four-address unicast or broadcast data packet's
 * header, then the Ethernet frame it carries (its MACs, then its type field). Routing messages
 * (OGMs, ELP), fragments (not reassembled here), network-coded packets and other versions are
 * not IP.
 */
function decodeBatadv(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < 2) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const header = buf[off + 1] === BATADV_COMPAT_VERSION ? BATADV_DATA_HEADER_LENGTH[buf[off]] : undefined;
  if (header === undefined) {
    cur.etherType = ETHERTYPE_NONE;
    return NEXT_LAYER;
  }
  return skipThenEtherType(buf, cur, anomalies, header + MAC_PAIR_LENGTH);
}

/**
 * A fixed-size header of `skip` bytes and then a 2-byte ethertype (these tags; Cisco HDLC's
 * address and control bytes in link.ts). A header cut short is link.truncated.
 */
export function skipThenEtherType(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters, skip: number): number {
  const off = cur.off;
  if (cur.end - off < skip + 2) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  cur.etherType = u16be(buf, off + skip);
  cur.off = off + skip + 2;
  return NEXT_LAYER;
}

/**
 * NSH (RFC 8300 §2.2): version 0, a Length in 4-byte words that covers the base header, the
 * service path header and the metadata, and a next protocol. A version other than 0, a Length
 * below 2, or an MD Type 1 header whose Length is not 6 is `nsh.malformed`; a next protocol
 * this tool does not decode (experimental values) is not IP.
 */
function decodeNsh(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < 4 * NSH_MIN_WORDS) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const version = buf[off] >> 6;
  const words = buf[off + 1] & 0x3f;
  const mdType = buf[off + 2] & 0x0f;
  if (version !== 0 || words < NSH_MIN_WORDS || (mdType === 1 && words !== NSH_MD1_WORDS)) {
    anomalies.add(NSH_MALFORMED);
    return DecodeStatus.Malformed;
  }
  let next = off + 4 * words;
  if (cur.end < next) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  let etherType: number;
  switch (buf[off + 3]) {
    case NSH_NEXT_IPV4: etherType = ETHERTYPE_IPV4; break;
    case NSH_NEXT_IPV6: etherType = ETHERTYPE_IPV6; break;
    case NSH_NEXT_NSH: etherType = ETHERTYPE_NSH; break;
    case NSH_NEXT_MPLS: etherType = ETHERTYPE_MPLS; break;
    case NSH_NEXT_ETHERNET:
      if (cur.end - next < MAC_PAIR_LENGTH + 2) {
        anomalies.add(LINK_TRUNCATED);
        return DecodeStatus.Truncated;
      }
      etherType = u16be(buf, next + MAC_PAIR_LENGTH);
      next += MAC_PAIR_LENGTH + 2;
      break;
    default: etherType = ETHERTYPE_NONE;
  }
  cur.etherType = etherType;
  cur.off = next;
  return NEXT_LAYER;
}
