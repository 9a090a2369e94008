/**
 * Link-layer decoders: Ethernet (+ 802.1Q/802.1ad tag stacks), Linux cooked v1/v2, raw IP,
 * BSD NULL/LOOP, PPP (bare, HDLC-framed and PPPoE), Cisco HDLC, NFLOG, the BSD and Solaris
 * capture headers pflog, enc and ipnet, Apple's PKTAP, the switch tags a Linux DSA conduit
 * interface captures (Broadcom, Marvell DSA and EDSA), Juniper's Ethernet capture header, and
 * IEEE 802.11 (wifi.ts). Each one finds the network header and names its protocol as an
 * ethertype on the LayerCursor, so the IP dispatcher in decode-frame.ts is shared by all.
 * Shims that sit between any of them and IP (an LLC/SNAP header, an MPLS label stack, a PPPoE
 * session header, VLAN tags after another shim, and the bridge-fabric tags of bridge-tags.ts)
 * are peeled by decodeShim, which the dispatcher calls for those ethertypes only.
 *
 * Per packet: allocation-free, never throws on packet bytes. Problems are counted anomalies and
 * a DecodeStatus; this module must never look past the network-layer header start.
 */
import { A, AnomalyCounters } from '../anomalies';
import {
  DLT_RAW_12, DLT_RAW_14, LINKTYPE_C_HDLC, LINKTYPE_ENC, LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP,
  LINKTYPE_IPNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NFLOG,
  LINKTYPE_NULL, LINKTYPE_PFLOG, LINKTYPE_PPI, LINKTYPE_PPP, LINKTYPE_PPP_ETHER, LINKTYPE_PPP_HDLC, LINKTYPE_RAW,
  LINKTYPE_APPLE_IP_OVER_IEEE1394, LINKTYPE_IPOIB, LINKTYPE_ATM_RFC1483, LINKTYPE_FDDI, LINKTYPE_FRELAY, LINKTYPE_IEEE802_11_AVS,
  LINKTYPE_IEEE802_11_PRISM, LINKTYPE_IEEE802_5, LINKTYPE_PKTAP, LINKTYPE_SUNATM, LINKTYPE_USER2_PKTAP, LINKTYPE_ARCNET_BSD,
  LINKTYPE_ARCNET_LINUX, LINKTYPE_DSA_TAG_BRCM, LINKTYPE_DSA_TAG_BRCM_PREPEND, LINKTYPE_DSA_TAG_DSA, LINKTYPE_DSA_TAG_EDSA,
  LINKTYPE_LINUX_ATM_CLIP, LINKTYPE_ATM_CLIP, LINKTYPE_JUNIPER_ETHER, processNameText,
} from '../capture/source';
import { u16be, u16le, u32be, u32le } from './bytes';
import {
  ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS, ETHERTYPE_MPLS_MULTICAST, ETHERTYPE_NONE, ETHERTYPE_PPPOE_SESSION,
  ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_TEB, ETHERTYPE_VLAN, LayerCursor, NEXT_LAYER,
} from './layer-cursor';
import { decodeBridgeTag, isBridgeTag, skipThenEtherType } from './bridge-tags';
import { decodeLlcSnap } from './llc';
import { DecodeStatus, PacketView } from './packet-view';
import { decodeAvs, decodeIeee80211, decodePpi, decodePrism, decodeRadiotap } from './wifi';
import { decodeArcnet, decodeAtmClip, decodeAtmRfc1483, decodeFddi, decodeFrameRelay, decodeIeee1394, decodeIpoib, decodeSunAtm, decodeTokenRing } from './legacy-links';

const LINK_TRUNCATED = A['link.truncated'];
const LINK_UNSUPPORTED = A['link.unsupported_linktype'];
const LINK_VLAN_TOO_DEEP = A['link.vlan_too_deep'];
const LINK_NFLOG_MALFORMED = A['link.nflog_malformed'];
const IP_UNKNOWN_VERSION = A['ip.unknown_version'];
const MPLS_TOO_DEEP = A['mpls.too_deep'];
const PPPOE_MALFORMED = A['pppoe.malformed'];

/**
 * Most MPLS labels walked on one packet. Real stacks are 1–3 deep (transport, VPN and entropy
 * labels; RFC 6790 adds two more); 8 leaves headroom while stopping a packet made of nothing
 * but labels without a bottom-of-stack bit from being walked to its end.
 */
export const MAX_MPLS_LABELS = 8;
const MPLS_LABEL_LENGTH = 4;
/** RFC 2516 §4: VER 1 and TYPE 1 in one byte, CODE 0 for session data, then SESSION_ID and LENGTH. */
const PPPOE_VER_TYPE = 0x11;
const PPPOE_HEADER_LENGTH = 6;
/** Values of the Ethernet type field up to this are an IEEE 802.3 length; an LLC header follows. */
const IEEE8023_MAX_LENGTH = 1500;
/** Cisco HDLC: address (0x0f, or 0x8f for broadcast), control, 2-byte ethertype. */
const CHDLC_UNICAST = 0x0f;
/** Cisco HDLC's address and control bytes, before its ethertype. */
const CHDLC_ADDRESS_AND_CONTROL = 2;
const ENC_HEADER_LENGTH = 12;
/** The smallest pfloghdr any BSD writes (tcpdump's MIN_PFLOG_HDRLEN is 45; rounded up to 4). */
const PFLOG_MIN_HEADER_LENGTH = 48;
const IPNET_HEADER_LENGTH = 24;
/** Solaris's AF_INET and AF_INET6 (tcpdump's IPH_AF_INET, IPH_AF_INET6). */
const IPNET_AF_INET = 2;
const IPNET_AF_INET6 = 26;
const LINK_PFLOG_MALFORMED = A['link.pflog_malformed'];
const LINK_PKTAP_MALFORMED = A['link.pktap_malformed'];
/**
 * Apple's PKTAP header (what macOS's `tcpdump -i pktap` writes): all
 * fields little-endian; pth_length (the header's length, at least the 108 bytes of version 1's
 * fixed part), pth_type_next (1: a packet follows), pth_dlt (the DLT of that packet), then
 * interface, process and service-class fields this decoder does not need.
 */
const PKTAP_MIN_HEADER_LENGTH = 108;
const PKTAP_REC_PACKET = 1;
/** pth_comm (the process's command name) and pth_ecomm (the effective process's: the app a daemon works for), 20 bytes each, NUL-padded. */
const PKTAP_COMM_OFFSET = 56;
const PKTAP_ECOMM_OFFSET = 88;
const PKTAP_COMM_LENGTH = 20;

/**
 * Most VLAN tags we skip on one frame. QinQ (802.1ad) is 2 tags and the deepest stacks seen in
 * real captures (Zeek's vlan-qinqinq trace) are 3; 4 leaves headroom while stopping a frame made
 * of nothing but tags from walking the whole packet.
 */
export const MAX_VLAN_TAGS = 4;

/**
 * Most NFLOG TLVs we walk before giving up. nfnetlink_log defines about 20 attribute types
 * (NFULA_*), each sent at most once; 32 covers them all with room for new ones.
 */
export const MAX_NFLOG_TLVS = 32;

export const ETHERNET_HEADER_LENGTH = 14;
export const SLL_HEADER_LENGTH = 16;
/** linux/if_arp.h: an interface in monitor mode that hands over radiotap and 802.11 frames. */
const ARPHRD_IEEE80211_RADIOTAP = 803;
/** ARPHRD_ETHER: a Linux cooked header whose address is an Ethernet MAC. */
const ARPHRD_ETHER = 1;
export const SLL2_HEADER_LENGTH = 20;
const NFLOG_HEADER_LENGTH = 4;
const NFLOG_TLV_HEADER_LENGTH = 4;
/** NFULA_PAYLOAD: the attribute holding the logged network packet (linux/netfilter/nfnetlink_log.h). */
const NFULA_PAYLOAD = 9;
const NLA_TYPE_MASK = 0x7fff; // strips NLA_F_NESTED / NLA_F_NET_BYTEORDER

/** BSD address-family values for IP in NULL/LOOP headers (AF_INET6 differs per BSD). */
const BSD_AF_INET = 2;
const BSD_AF_INET6_NETBSD_OPENBSD = 24;
const BSD_AF_INET6_FREEBSD = 28;
const BSD_AF_INET6_DARWIN = 30;

/** PPP protocol numbers (RFC 1332 IPCP → 0x0021 IPv4, RFC 5072 → 0x0057 IPv6, RFC 3032 §4.3 → 0x0281 MPLS). */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const PPP_MPLS = 0x0281;

/** Link types decodeLink understands (everything else is counted as link.unsupported_linktype). */
export const SUPPORTED_LINK_TYPES: ReadonlySet<number> = new Set([
  LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, DLT_RAW_12, DLT_RAW_14, LINKTYPE_IPV4,
  LINKTYPE_IPV6, LINKTYPE_NULL, LINKTYPE_LOOP, LINKTYPE_PPP, LINKTYPE_NFLOG, LINKTYPE_PPP_HDLC, LINKTYPE_PPP_ETHER,
  LINKTYPE_C_HDLC, LINKTYPE_ENC, LINKTYPE_PFLOG, LINKTYPE_IPNET, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP, LINKTYPE_PPI,
  LINKTYPE_IEEE802_11_PRISM, LINKTYPE_IEEE802_11_AVS, LINKTYPE_FDDI, LINKTYPE_IEEE802_5, LINKTYPE_ATM_RFC1483, LINKTYPE_SUNATM,
  LINKTYPE_FRELAY, LINKTYPE_APPLE_IP_OVER_IEEE1394, LINKTYPE_PKTAP, LINKTYPE_USER2_PKTAP, LINKTYPE_ARCNET_BSD, LINKTYPE_ARCNET_LINUX,
  LINKTYPE_IPOIB, LINKTYPE_DSA_TAG_BRCM, LINKTYPE_DSA_TAG_BRCM_PREPEND, LINKTYPE_DSA_TAG_DSA, LINKTYPE_DSA_TAG_EDSA,
  LINKTYPE_LINUX_ATM_CLIP, LINKTYPE_ATM_CLIP, LINKTYPE_JUNIPER_ETHER,
]);

/**
 * Decodes the link header of link type `linkType` at `cur.off`. On success returns NEXT_LAYER with
 * `cur.off` at the network header and `cur.etherType` naming it (ETHERTYPE_NONE when not IP).
 */
export function decodeLink(linkType: number, buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  switch (linkType) {
    case LINKTYPE_ETHERNET: return decodeEthernet(buf, cur, view, anomalies);
    case LINKTYPE_LINUX_SLL: return decodeSll(buf, cur, view, anomalies);
    case LINKTYPE_LINUX_SLL2: return decodeSll2(buf, cur, view, anomalies);
    case LINKTYPE_RAW: case DLT_RAW_12: case DLT_RAW_14: case LINKTYPE_IPV4: case LINKTYPE_IPV6:
      return decodeRawIp(buf, cur, anomalies);
    case LINKTYPE_NULL: return decodeBsdLoopback(buf, cur, anomalies, false);
    case LINKTYPE_LOOP: return decodeBsdLoopback(buf, cur, anomalies, true);
    case LINKTYPE_NFLOG: return decodeNflog(buf, cur, anomalies);
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC:
      // RFC 1662 framing (0xff 0x03, as PPP), bare PPP, or Cisco HDLC framing (0x0f/0x8f, as
      // C_HDLC): routers' serial links written as DLT_PPP carry Cisco HDLC frames (nDPI's
      // BGP_Cisco_hdlc_slarp), and tshark's PPP dissector tells them apart by the same byte. A
      // bare PPP protocol field cannot start with 0x0f or 0x8f (RFC 1661 §2: the first byte of
      // an uncompressed protocol is even, and no compressed protocol 0x0f/0x8f is assigned).
      return cur.end - cur.off >= 1 && (buf[cur.off] & 0x7f) === CHDLC_UNICAST ? decodeCiscoHdlc(buf, cur, anomalies) : decodePpp(buf, cur, anomalies);
    case LINKTYPE_PPP_ETHER: return decodePppoeSession(buf, cur, anomalies);
    case LINKTYPE_C_HDLC: return decodeCiscoHdlc(buf, cur, anomalies);
    case LINKTYPE_ENC: return decodeEnc(buf, cur, anomalies);
    case LINKTYPE_PFLOG: return decodePflog(buf, cur, anomalies);
    case LINKTYPE_IPNET: return decodeIpnet(buf, cur, anomalies);
    case LINKTYPE_IEEE802_11: return decodeIeee80211(buf, cur, anomalies, false);
    case LINKTYPE_IEEE802_11_RADIOTAP: return decodeRadiotap(buf, cur, anomalies);
    case LINKTYPE_PPI: return decodePpi(buf, cur, anomalies);
    case LINKTYPE_IEEE802_11_PRISM: return decodePrism(buf, cur, anomalies);
    case LINKTYPE_IEEE802_11_AVS: return decodeAvs(buf, cur, anomalies);
    case LINKTYPE_FDDI: return decodeFddi(buf, cur, anomalies);
    case LINKTYPE_IEEE802_5: return decodeTokenRing(buf, cur, anomalies);
    case LINKTYPE_ATM_RFC1483: return decodeAtmRfc1483(buf, cur);
    case LINKTYPE_SUNATM: return decodeSunAtm(buf, cur, anomalies);
    case LINKTYPE_FRELAY: return decodeFrameRelay(buf, cur, anomalies);
    case LINKTYPE_APPLE_IP_OVER_IEEE1394: return decodeIeee1394(buf, cur, anomalies);
    case LINKTYPE_IPOIB: return decodeIpoib(buf, cur, anomalies);
    case LINKTYPE_PKTAP: case LINKTYPE_USER2_PKTAP: return decodePktap(buf, cur, view, anomalies);
    case LINKTYPE_ARCNET_BSD: return decodeArcnet(buf, cur, anomalies, false);
    case LINKTYPE_ARCNET_LINUX: return decodeArcnet(buf, cur, anomalies, true);
    case LINKTYPE_DSA_TAG_BRCM: return decodeSwitchTagged(buf, cur, view, anomalies, BRCM_TAG_LENGTH, -1);
    case LINKTYPE_DSA_TAG_BRCM_PREPEND: return decodeBrcmPrepend(buf, cur, view, anomalies);
    case LINKTYPE_DSA_TAG_DSA: return decodeSwitchTagged(buf, cur, view, anomalies, DSA_TAG_LENGTH, 0);
    case LINKTYPE_DSA_TAG_EDSA: return decodeSwitchTagged(buf, cur, view, anomalies, EDSA_TAG_LENGTH, EDSA_DSA_TAG_OFFSET);
    case LINKTYPE_LINUX_ATM_CLIP: case LINKTYPE_ATM_CLIP: return decodeAtmClip(buf, cur, anomalies);
    case LINKTYPE_JUNIPER_ETHER: return decodeJuniperEther(buf, cur, view, anomalies);
    default:
      anomalies.add(LINK_UNSUPPORTED);
      return DecodeStatus.Unsupported;
  }
}

/** Ethernet II (IEEE 802.3 §3.2.6). Frames with a length field (<= 1500) instead of a type are 802.2 LLC, not IP. */
export function decodeEthernet(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < ETHERNET_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  view.macBuf = buf;
  view.dstMacOffset = off;
  view.srcMacOffset = off + 6;
  return skipVlanTags(buf, cur, view, anomalies, off + ETHERNET_HEADER_LENGTH, u16be(buf, off + 12));
}

/** Broadcom's switch tag (tcpdump's print-brcmtag.c): 4 bytes of opcode, class and port map. */
const BRCM_TAG_LENGTH = 4;
/** Marvell's DSA tag (tcpdump's print-dsa.c, Linux's net/dsa/tag_dsa.c): 4 bytes. */
const DSA_TAG_LENGTH = 4;
/** Marvell's EDSA tag: an ethertype (0xdada by default), 2 reserved bytes, then the DSA tag. */
const EDSA_TAG_LENGTH = 8;
const EDSA_DSA_TAG_OFFSET = 4;
/** DSA tag, first byte: the frame was (or is to be sent) 802.1Q-tagged; its VLAN is the tag's VID. */
const DSA_TAGGED = 0x20;

/**
 * An Ethernet frame with a switch's tag between the MAC addresses and the type field, as a
 * Linux DSA conduit interface captures it (LINKTYPE_DSA_TAG_BRCM, _DSA, _EDSA): tcpdump skips
 * the tag and reads the frame as Ethernet (tshark 4.0 has no dissector for these link types).
 * `dsaAt` is where a Marvell DSA tag sits inside the tag, or -1 for Broadcom's. A DSA tag with
 * its tagged bit set stands for the 802.1Q tag the switch took off the frame (the kernel puts
 * it back from the tag's VID), so that VID is the frame's VLAN; an untagged frame's VID is only
 * the port's VLAN inside the switch, and the frame has none.
 */
function decodeSwitchTagged(
  buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters, tagLength: number, dsaAt: number,
): number {
  const off = cur.off;
  if (cur.end - off < ETHERNET_HEADER_LENGTH + tagLength) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  view.macBuf = buf;
  view.dstMacOffset = off;
  view.srcMacOffset = off + 6;
  if (dsaAt >= 0) {
    const dsa = off + 12 + dsaAt;
    if ((buf[dsa] & DSA_TAGGED) !== 0) view.vlanId = u16be(buf, dsa + 2) & 0x0fff;
  }
  const typeAt = off + 12 + tagLength;
  return skipVlanTags(buf, cur, view, anomalies, typeAt + 2, u16be(buf, typeAt));
}

/** LINKTYPE_DSA_TAG_BRCM_PREPEND: Broadcom's 4-byte tag before the whole Ethernet frame. */
function decodeBrcmPrepend(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  if (cur.end - cur.off < BRCM_TAG_LENGTH + ETHERNET_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  cur.off += BRCM_TAG_LENGTH;
  return decodeEthernet(buf, cur, view, anomalies);
}

/** Juniper's capture header (tshark's packet-juniper.c, tcpdump's print-juniper.c): "MGC", then flags. */
const JUNIPER_MAGIC = 0x4d4743;
const JUNIPER_HEADER_LENGTH = 4;
/** Flags: the link header was stripped (a 4-byte protocol number follows); extension TLVs follow (JUNOS 7.5 and later). */
const JUNIPER_FLAG_NO_L2 = 0x02;
const JUNIPER_FLAG_EXT = 0x80;
/** The extensions' total length (2 bytes) after the flags. */
const JUNIPER_EXT_LENGTH_FIELD = 2;
/** The protocol number of a packet without link header, in the router's (little-endian) byte order; tshark's juniper.proto. */
const JUNIPER_PROTO_LENGTH = 4;
const JUNIPER_PROTO_IP = 2;
const JUNIPER_PROTO_MPLS_IP = 3;
const JUNIPER_PROTO_IP6 = 6;
const JUNIPER_PROTO_MPLS_IP6 = 7;
const JUNIPER_PROTO_ETHER = 204;

/**
 * LINKTYPE_JUNIPER_ETHER as tshark's juniper dissector reads it: the magic "MGC" and a flags
 * byte; with the extension flag, a 2-byte total length and that many bytes of TLVs (interface
 * index, name, media type: none of them needed here, so skipped whole, as tshark bounds them);
 * then the Ethernet frame, or, with the no-L2 flag, a protocol number and the packet (IPv4,
 * IPv6 or Ethernet; anything else is not IP, as tshark 4.0 shows it: also its special case 0xa248,
 * which it leaves as data). A header without the magic (older JUNOS wrote
 * none) is read by tshark as an Ethernet frame from its first byte, and so here; tcpdump stops
 * there. This DLT has no cookie (tcpdump's cookie table has none for it).
 */
function decodeJuniperEther(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < JUNIPER_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  if ((buf[off] << 16 | buf[off + 1] << 8 | buf[off + 2]) !== JUNIPER_MAGIC) return decodeEthernet(buf, cur, view, anomalies);
  const flags = buf[off + 3];
  let p = off + JUNIPER_HEADER_LENGTH;
  if ((flags & JUNIPER_FLAG_EXT) !== 0) {
    if (cur.end - p < JUNIPER_EXT_LENGTH_FIELD) {
      anomalies.add(LINK_TRUNCATED);
      return DecodeStatus.Truncated;
    }
    p += JUNIPER_EXT_LENGTH_FIELD + u16be(buf, p);
  }
  if ((flags & JUNIPER_FLAG_NO_L2) === 0) {
    if (p > cur.end) {
      anomalies.add(LINK_TRUNCATED);
      return DecodeStatus.Truncated;
    }
    cur.off = p;
    return decodeEthernet(buf, cur, view, anomalies);
  }
  if (cur.end - p < JUNIPER_PROTO_LENGTH + 1) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const proto = u32le(buf, p);
  cur.off = p + JUNIPER_PROTO_LENGTH;
  switch (proto) {
    case JUNIPER_PROTO_IP: case JUNIPER_PROTO_MPLS_IP: cur.etherType = ETHERTYPE_IPV4; return NEXT_LAYER;
    case JUNIPER_PROTO_IP6: case JUNIPER_PROTO_MPLS_IP6: cur.etherType = ETHERTYPE_IPV6; return NEXT_LAYER;
    case JUNIPER_PROTO_ETHER: return decodeEthernet(buf, cur, view, anomalies);
    default:
      cur.etherType = ETHERTYPE_NONE;
      return NEXT_LAYER;
  }
}

/**
 * Skips 802.1Q (0x8100), 802.1ad (0x88a8) and pre-standard QinQ (0x9100) tags starting at `off`,
 * whose type field said `etherType`. Sets view.vlanId to the innermost VLAN id (IEEE 802.1Q §9.6).
 */
function skipVlanTags(
  buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters, off: number, etherType: number,
): number {
  let type = etherType;
  let tags = 0;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (++tags > MAX_VLAN_TAGS) {
      anomalies.add(LINK_VLAN_TOO_DEEP);
      return DecodeStatus.Malformed;
    }
    if (cur.end - off < 4) {
      anomalies.add(LINK_TRUNCATED);
      return DecodeStatus.Truncated;
    }
    view.vlanId = u16be(buf, off) & 0x0fff;
    type = u16be(buf, off + 2);
    off += 4;
  }
  cur.off = off;
  cur.etherType = type;
  return NEXT_LAYER;
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL): 16 bytes, protocol type at offset 14. */
function decodeSll(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < SLL_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  if (u16be(buf, off + 2) === ARPHRD_IEEE80211_RADIOTAP) return radiotapAfter(buf, cur, anomalies, off + SLL_HEADER_LENGTH);
  // The sender's link-layer address (an outgoing packet's is the capturing host's own).
  if (u16be(buf, off + 2) === ARPHRD_ETHER && u16be(buf, off + 4) === 6) {
    view.macBuf = buf;
    view.srcMacOffset = off + 6;
    view.sllPacketType = u16be(buf, off);
  }
  return skipVlanTags(buf, cur, view, anomalies, off + SLL_HEADER_LENGTH, u16be(buf, off + 14));
}

/**
 * A monitor-mode interface in a Linux cooked capture (`tcpdump -i any` with one in monitor
 * mode): its ARPHRD type says a radiotap header and an 802.11 frame follow, whatever the
 * protocol field says (tshark reads it so too).
 */
function radiotapAfter(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters, payload: number): number {
  cur.off = payload;
  return decodeRadiotap(buf, cur, anomalies);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): 20 bytes, protocol type first. */
function decodeSll2(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < SLL2_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  if (u16be(buf, off + 8) === ARPHRD_IEEE80211_RADIOTAP) return radiotapAfter(buf, cur, anomalies, off + SLL2_HEADER_LENGTH);
  if (u16be(buf, off + 8) === ARPHRD_ETHER && buf[off + 11] === 6) {
    view.macBuf = buf;
    view.srcMacOffset = off + 12;
    view.sllPacketType = buf[off + 10];
  }
  return skipVlanTags(buf, cur, view, anomalies, off + SLL2_HEADER_LENGTH, u16be(buf, off));
}

/** Raw IP (no link header): the IP version nibble decides between IPv4 and IPv6. */
function decodeRawIp(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  if (cur.end - cur.off < 1) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  return setEtherTypeFromVersion(buf, cur, anomalies);
}

/** Sets cur.etherType from the IP version nibble at cur.off (one byte is known to be present). */
export function setEtherTypeFromVersion(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const version = buf[cur.off] >> 4;
  if (version === 4) cur.etherType = ETHERTYPE_IPV4;
  else if (version === 6) cur.etherType = ETHERTYPE_IPV6;
  else {
    anomalies.add(IP_UNKNOWN_VERSION);
    return DecodeStatus.Malformed;
  }
  return NEXT_LAYER;
}

/**
 * BSD loopback: a 4-byte address family. LINKTYPE_LOOP is always network order. LINKTYPE_NULL
 * stores it in the capturing host's byte order, and old writers put other things there, all of
 * which tshark's packet-null.c (and libpcap's) reads and so do we:
 * - `ff 03`: a PPP frame in HDLC framing (old BSD PPP captures);
 * - IRIX and UNICOS/mp snoop: the family in the first 16 bits, in either byte order;
 * - a value above 1500: an Ethertype (old Linux loopback captures wrote `00 00 08 00`).
 * Otherwise a value with a non-zero upper half was written big-endian.
 */
function decodeBsdLoopback(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters, networkOrder: boolean): number {
  const off = cur.off;
  if (cur.end - off < 4) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  if (networkOrder) {
    cur.off = off + 4;
    cur.etherType = bsdFamilyEtherType(u32be(buf, off));
    return NEXT_LAYER;
  }
  if (buf[off] === 0xff && buf[off + 1] === 0x03) return decodePpp(buf, cur, anomalies);
  let h = u32le(buf, off);
  if ((h & 0xffff0000) !== 0) {
    // IRIX's 16-bit family in the host's order, else a big-endian writer's 32-bit one.
    h = (h & 0xff000000) === 0 && (h & 0x00ff0000) < 0x00060000 ? h >>> 16 : u32be(buf, off);
  } else if ((h & 0xff) === 0 && (h & 0xff00) < 0x0600) {
    h = h >>> 8; // IRIX's 16-bit family, byte-swapped: the second byte
  }
  cur.off = off + 4;
  cur.etherType = h > IEEE_802_3_MAX_LENGTH ? h & 0xffff : bsdFamilyEtherType(h);
  return NEXT_LAYER;
}
/** Values up to this are 802.3 lengths, above it Ethertypes (IEEE 802.3 §3.2.6). */
const IEEE_802_3_MAX_LENGTH = 1500;

/** A BSD address family (NULL/LOOP, enc, pflog headers) as an ethertype: IPv4, IPv6 (each BSD numbers it its own way) or none. */
function bsdFamilyEtherType(family: number): number {
  if (family === BSD_AF_INET) return ETHERTYPE_IPV4;
  if (family === BSD_AF_INET6_NETBSD_OPENBSD || family === BSD_AF_INET6_FREEBSD || family === BSD_AF_INET6_DARWIN) return ETHERTYPE_IPV6;
  return ETHERTYPE_NONE;
}

/**
 * PPP (RFC 1661 §2): optional HDLC address/control bytes 0xff 0x03 (RFC 1662 §3.1), then a
 * 2-byte protocol, or 1 byte when Protocol-Field-Compression made it odd (RFC 1661 §6.5).
 */
export function decodePpp(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  let off = cur.off;
  if (cur.end - off >= 2 && buf[off] === 0xff && buf[off + 1] === 0x03) off += 2;
  return readPppProtocol(buf, cur, off, anomalies);
}

/** The PPP protocol field at `off` (2 bytes, or 1 when compressed), mapped to an ethertype on the cursor. */
function readPppProtocol(buf: Uint8Array, cur: LayerCursor, off: number, anomalies: AnomalyCounters): number {
  const end = cur.end;
  if (end - off < 1) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  let protocol: number;
  if ((buf[off] & 1) === 1) {
    protocol = buf[off];
    off += 1;
  } else {
    if (end - off < 2) {
      anomalies.add(LINK_TRUNCATED);
      return DecodeStatus.Truncated;
    }
    protocol = u16be(buf, off);
    off += 2;
  }
  cur.off = off;
  cur.etherType = protocol === PPP_IPV4 ? ETHERTYPE_IPV4 : protocol === PPP_IPV6 ? ETHERTYPE_IPV6 : protocol === PPP_MPLS ? ETHERTYPE_MPLS : ETHERTYPE_NONE;
  return NEXT_LAYER;
}

/**
 * Cisco HDLC (LINKTYPE_C_HDLC): an address byte (0x0f unicast, 0x8f broadcast), a control byte,
 * then an ethertype. SLARP keepalives (0x8035) and the like are not IP.
 */
function decodeCiscoHdlc(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  return skipThenEtherType(buf, cur, anomalies, CHDLC_ADDRESS_AND_CONTROL);
}

/**
 * OpenBSD enc(4) (LINKTYPE_ENC): the address family, SPI and flags of the IPsec SA, 4 bytes each,
 * the family in the capturing host's byte order; then the decrypted IP packet.
 */
function decodeEnc(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  if (cur.end - cur.off < ENC_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const status = decodeBsdLoopback(buf, cur, anomalies, false);
  cur.off += ENC_HEADER_LENGTH - 4;
  return status;
}

/**
 * pflog (LINKTYPE_PFLOG): a pfloghdr whose first byte is its length (rounded up to 4 bytes, as
 * tcpdump does; OpenBSD's and FreeBSD's headers differ in size, the length says which) and whose
 * second byte is the address family; then the logged IP packet.
 */
function decodePflog(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < 2) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const length = (buf[off] + 3) & ~3;
  if (length < PFLOG_MIN_HEADER_LENGTH) {
    anomalies.add(LINK_PFLOG_MALFORMED);
    return DecodeStatus.Malformed;
  }
  if (cur.end - off < length) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  cur.etherType = bsdFamilyEtherType(buf[off + 1]);
  cur.off = off + length;
  return NEXT_LAYER;
}

/**
 * Apple PKTAP (LINKTYPE_PKTAP, and LINKTYPE_USER2 as macOS writes it): skips the header, then
 * decodes the packet by the DLT the header names (Ethernet, raw IP as DLT 12, NULL, PPP, ...).
 * A record that is not a packet (pth_type_next 0) carries nothing: it counts as non-IP, as
 * tshark shows it. A PKTAP header inside another is refused, so this never recurses twice.
 */
function decodePktap(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < PKTAP_MIN_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const length = u32le(buf, off);
  const dlt = u32le(buf, off + 8);
  if (length < PKTAP_MIN_HEADER_LENGTH || dlt === LINKTYPE_PKTAP || dlt === LINKTYPE_USER2_PKTAP) {
    anomalies.add(LINK_PKTAP_MALFORMED);
    return DecodeStatus.Malformed;
  }
  if (cur.end - off < length) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  cur.off = off + length;
  // Only the header's place is noted: the pipeline reads the process name once per flow.
  view.pktapOffset = off;
  if (u32le(buf, off + 4) !== PKTAP_REC_PACKET) {
    cur.etherType = ETHERTYPE_NONE;
    return NEXT_LAYER;
  }
  return decodeLink(dlt, buf, cur, view, anomalies);
}

/**
 * The process a PKTAP header at `header` names (decodePktap checked its length): the effective
 * process when named (nsurlsessiond works for an app, which is named there), else the one that
 * owns the socket; null when neither is. Bytes outside printable ASCII, and `\`, as \DDD.
 * Once per flow, never per packet: it makes a string.
 */
export function pktapProcessName(buf: Uint8Array, header: number): string | null {
  return processNameText(buf, header + PKTAP_ECOMM_OFFSET, PKTAP_COMM_LENGTH) ?? processNameText(buf, header + PKTAP_COMM_OFFSET, PKTAP_COMM_LENGTH);
}

/** Solaris ipnet (LINKTYPE_IPNET): a version, the family (2 IPv4, 26 IPv6), then 22 bytes of metadata; then IP. */
function decodeIpnet(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < IPNET_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const family = buf[off + 1];
  cur.off = off + IPNET_HEADER_LENGTH;
  cur.etherType = family === IPNET_AF_INET ? ETHERTYPE_IPV4 : family === IPNET_AF_INET6 ? ETHERTYPE_IPV6 : ETHERTYPE_NONE;
  return NEXT_LAYER;
}

/**
 * True for the ethertypes decodeShim peels (checked only for frames that are not plain IP):
 * MPLS, PPPoE sessions, IEEE 802.3 length fields (1..1500), behind which an 802.2 LLC header
 * may hold a SNAP ethertype, VLAN tags that follow another shim (SNAP or a PBB frame may name
 * 802.1Q), and the bridge-fabric tags of bridge-tags.ts.
 */
export function isShimEtherType(etherType: number): boolean {
  return etherType === ETHERTYPE_MPLS || etherType === ETHERTYPE_MPLS_MULTICAST || etherType === ETHERTYPE_PPPOE_SESSION || etherType === ETHERTYPE_TEB ||
    (etherType > ETHERTYPE_NONE && etherType <= IEEE8023_MAX_LENGTH) || isVlanTag(etherType) || isBridgeTag(etherType);
}

function isVlanTag(etherType: number): boolean {
  return etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD;
}

/**
 * Peels the shim named by cur.etherType (isShimEtherType) and names what it carries: IPv4,
 * IPv6, another shim (PPP may carry MPLS, a PBB frame a VLAN tag), or ETHERTYPE_NONE. The
 * caller loops, bounded, until the ethertype is no shim. No shim is a tunnel: the packet inside
 * keeps depth 0, as in tshark's conversations.
 */
export function decodeShim(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  const t = cur.etherType;
  if (t === ETHERTYPE_PPPOE_SESSION) return decodePppoeSession(buf, cur, anomalies);
  if (t <= IEEE8023_MAX_LENGTH) return decodeLlcSnap(buf, cur);
  if (isVlanTag(t)) return skipVlanTags(buf, cur, view, anomalies, cur.off, t);
  if (isBridgeTag(t)) return decodeBridgeTag(buf, cur, anomalies);
  if (t === ETHERTYPE_TEB) return decodeEthernet(buf, cur, view, anomalies); // the frame an Ethernet pseudowire carries
  return decodeMpls(buf, cur, anomalies);
}

/**
 * MPLS label stack (RFC 3032 §2.1): 4-byte entries up to the one with the bottom-of-stack bit.
 * The stack does not say what it carries; as tcpdump and tshark do, the first nibble after it
 * decides (4: IPv4, 6: IPv6). Otherwise it may be an Ethernet pseudowire (RFC 4448), as tshark's
 * "pw-eth heuristic" guesses: a whole Ethernet frame, or — after a first nibble of 0 — the
 * 4-byte control word (RFC 4385 §3) and then the frame. tshark judges "looks like Ethernet" by
 * both MAC addresses having a known vendor prefix; this decoder, which carries no vendor table,
 * by the frame's type field naming IP, ARP, a VLAN tag or MPLS. Real frames agree; frames with
 * locally administered addresses only, tshark leaves undecoded. Anything else is not IP.
 */
function decodeMpls(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  let off = cur.off;
  for (let labels = 1; ; labels++) {
    if (labels > MAX_MPLS_LABELS) {
      anomalies.add(MPLS_TOO_DEEP);
      return DecodeStatus.Malformed;
    }
    if (cur.end - off < MPLS_LABEL_LENGTH) {
      anomalies.add(LINK_TRUNCATED);
      return DecodeStatus.Truncated;
    }
    const bottom = (buf[off + 2] & 0x01) !== 0;
    off += MPLS_LABEL_LENGTH;
    if (bottom) break;
  }
  cur.off = off;
  if (cur.end - off < 1) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const version = buf[off] >> 4;
  if (version === 4 || version === 6) cur.etherType = version === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
  else if (looksLikeEthernet(buf, off, cur.end)) cur.etherType = ETHERTYPE_TEB;
  else if (version === 0 && looksLikeEthernet(buf, off + PW_CONTROL_WORD_LENGTH, cur.end)) {
    cur.off = off + PW_CONTROL_WORD_LENGTH;
    cur.etherType = ETHERTYPE_TEB;
  } else cur.etherType = ETHERTYPE_NONE;
  return NEXT_LAYER;
}

/** RFC 4385 §3: the generic pseudowire control word (first nibble 0). */
const PW_CONTROL_WORD_LENGTH = 4;

/** An Ethernet header at `off` whose type field names what a pseudowire's frame plausibly carries. */
function looksLikeEthernet(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < ETHERNET_HEADER_LENGTH) return false;
  const t = u16be(buf, off + 12);
  return t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6 || t === ETHERTYPE_ARP || isVlanTag(t) || t === ETHERTYPE_MPLS;
}

/**
 * PPPoE session header (RFC 2516 §4), then the PPP protocol field (§7). The LENGTH field is not
 * trusted to bound the packet: the IP header's own length does that, and the Ethernet padding
 * of short frames lies past both.
 */
function decodePppoeSession(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const off = cur.off;
  if (cur.end - off < PPPOE_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  if (buf[off] !== PPPOE_VER_TYPE || buf[off + 1] !== 0) {
    anomalies.add(PPPOE_MALFORMED);
    return DecodeStatus.Malformed;
  }
  return readPppProtocol(buf, cur, off + PPPOE_HEADER_LENGTH, anomalies);
}

/**
 * NFLOG (tcpdump.org/linktypes/LINKTYPE_NFLOG.html): a 4-byte nflog_hdr, then 4-byte-aligned
 * TLVs whose length (header included) and type are in the capturing host's byte order. The
 * order is guessed from the first TLV: little-endian unless that reading is impossible.
 * NFULA_PAYLOAD holds the IP packet. No payload TLV → not IP.
 */
function decodeNflog(buf: Uint8Array, cur: LayerCursor, anomalies: AnomalyCounters): number {
  const end = cur.end;
  let off = cur.off;
  if (end - off < NFLOG_HEADER_LENGTH) {
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  off += NFLOG_HEADER_LENGTH;
  let littleEndian = true;
  if (end - off >= NFLOG_TLV_HEADER_LENGTH) {
    const lenLe = u16le(buf, off);
    littleEndian = lenLe >= NFLOG_TLV_HEADER_LENGTH && off + lenLe <= cur.wireEnd && (u16le(buf, off + 2) & NLA_TYPE_MASK) < 0x100;
  }
  for (let tlvs = 0; end - off >= NFLOG_TLV_HEADER_LENGTH; tlvs++) {
    if (tlvs >= MAX_NFLOG_TLVS) {
      anomalies.add(LINK_NFLOG_MALFORMED);
      return DecodeStatus.Malformed;
    }
    const length = littleEndian ? u16le(buf, off) : u16be(buf, off);
    const type = (littleEndian ? u16le(buf, off + 2) : u16be(buf, off + 2)) & NLA_TYPE_MASK;
    if (length < NFLOG_TLV_HEADER_LENGTH || off + length > cur.wireEnd) {
      anomalies.add(LINK_NFLOG_MALFORMED);
      return DecodeStatus.Malformed;
    }
    if (type === NFULA_PAYLOAD) {
      const valueEnd = off + length;
      cur.off = off + NFLOG_TLV_HEADER_LENGTH;
      cur.wireEnd = valueEnd;
      if (cur.end > valueEnd) cur.end = valueEnd;
      if (cur.end - cur.off < 1) {
        anomalies.add(LINK_TRUNCATED);
        return DecodeStatus.Truncated;
      }
      return setEtherTypeFromVersion(buf, cur, anomalies);
    }
    off += (length + 3) & ~3;
  }
  if (cur.wireEnd - off >= NFLOG_TLV_HEADER_LENGTH) {
    // The snaplen cut the TLV list before any NFULA_PAYLOAD was seen.
    anomalies.add(LINK_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  cur.off = off;
  cur.etherType = ETHERTYPE_NONE;
  return NEXT_LAYER;
}
