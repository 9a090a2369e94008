/**
 * LayerCursor: where the next header starts and where the current packet ends, handed from
 * one decoding layer to the next (link → IP → transport → tunnel) inside FrameDecoder.
 *
 * One instance per FrameDecoder, overwritten per layer; numbers and booleans only, so passing
 * it costs nothing. It must never outlive a decode() call or be exposed outside src/decode/.
 */

/** Returned by a layer function instead of a DecodeStatus when decoding goes on to the next layer. */
export const NEXT_LAYER = -1;

/** ETHERTYPE values the dispatcher acts on (IEEE 802 numbers; also used for GRE protocol types, RFC 2784 §2.4). */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
/** Transparent Ethernet bridging: the GRE payload is an Ethernet frame. */
export const ETHERTYPE_TEB = 0x6558;
/** MPLS label stacks (RFC 3032 §5: unicast and, originally, multicast). */
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
/** PPP as a GRE payload (PPTP, RFC 2637 §4.1): the PPP header follows. */
export const ETHERTYPE_PPP = 0x880b;
/** PPPoE session stage (RFC 2516 §4); 0x8863, the discovery stage, carries no IP. */
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** Set by link decoders when the payload is not a protocol we map to an ethertype (counted as otherL2). */
export const ETHERTYPE_NONE = 0;
/**
 * Not an ethertype (outside the 16-bit range, so no frame can carry it): an IEEE 802.11 frame
 * follows, as in Aruba's GRE tunnels between access points and their controller.
 */
export const ETHERTYPE_IEEE80211 = 0x10000;
/** Not an ethertype either: an IEEE 802.11 frame from a CAPWAP data channel (its Frame Control may be byte-swapped). */
export const ETHERTYPE_IEEE80211_CAPWAP = 0x10001;

/** Mutable position of the decoder inside the current buffer. */
export class LayerCursor {
  /** Start of the next header. */
  off = 0;
  /** End (exclusive) of the captured bytes of the current packet: never beyond the buffer. */
  end = 0;
  /** Where the current packet ends on the wire (>= end); lengths fields are checked against it. */
  wireEnd = 0;
  /** Network protocol of the next header, as an ethertype (link layers and GRE). */
  etherType = 0;
  /** IP protocol number of the next header (after IPv4 or the IPv6 extension-header walk). */
  proto = 0;
  /** The IP packet is a fragment (IPv4 MF/offset, or an IPv6 Fragment header that is not atomic). */
  isFragment = false;
  /** Fragment offset in bytes and the More Fragments flag. */
  fragOffset = 0;
  moreFragments = false;
  /** IPv4 Identification (16 bits) or IPv6 Fragment Identification (32 bits). */
  fragId = 0;
  /** IPv6 extension headers walked so far for this packet (bounded by MAX_IPV6_EXT_HEADERS). */
  extCount = 0;
  /** IPv6 jumbogram (RFC 2675): a UDP length of 0 means "the rest of the packet". */
  jumbo = false;
  /**
   * Inside an 802.11 A-MSDU (wifi.ts): where the subframe after the current one starts (-1: it
   * is the last), where the aggregate starts (subframes are padded to 4 bytes from there), and
   * its captured and wire ends. FrameDecoder turns these into the frame's next packets.
   */
  amsduNext = -1;
  amsduStart = 0;
  amsduEnd = 0;
  amsduWireEnd = 0;
}
