/**
 * IEEE 802.2 LLC with SNAP, the header that names the ethertype of an IEEE 802.3 frame (an
 * Ethernet frame whose type field is a length) and of every 802.11 data frame; and the older
 * IP SAP (0x06) without SNAP.
 *
 * Allocation-free, never throws on packet bytes; it must never look past the header it reads.
 */
import { u16be } from './bytes';
import { ETHERTYPE_IPV4, ETHERTYPE_NONE, LayerCursor, NEXT_LAYER } from './layer-cursor';

const LLC_SNAP_LENGTH = 8;
/** LLC's own SAP for IP (DSAP = SSAP = 0x06, UI), the pre-SNAP encapsulation RFC 1042 replaced; tshark still decodes it. */
const LLC_SAP_IP = 0x06;
const LLC_HEADER_LENGTH = 3;

/**
 * An IEEE 802.2 LLC header with SNAP (RFC 1042: DSAP 0xaa, SSAP 0xaa, UI, then an OUI and an
 * ethertype) at cur.off; the OUI must be 00-00-00 (RFC 1042) or 00-00-f8 (802.1H bridge
 * tunnel), whose ethertypes are Ethernet's; or IP behind LLC's own SAP 0x06. Other LLC frames
 * (spanning tree, NetBIOS) are not IP.
 */
export function decodeLlcSnap(buf: Uint8Array, cur: LayerCursor): number {
  const off = cur.off;
  if (cur.end - off >= LLC_SNAP_LENGTH && buf[off] === 0xaa && buf[off + 1] === 0xaa && buf[off + 2] === 0x03 &&
      buf[off + 3] === 0 && buf[off + 4] === 0 && (buf[off + 5] === 0 || buf[off + 5] === 0xf8)) {
    cur.etherType = u16be(buf, off + 6);
    cur.off = off + LLC_SNAP_LENGTH;
  } else if (cur.end - off > LLC_HEADER_LENGTH && buf[off] === LLC_SAP_IP && buf[off + 1] === LLC_SAP_IP && buf[off + 2] === 0x03) {
    cur.etherType = ETHERTYPE_IPV4;
    cur.off = off + LLC_HEADER_LENGTH;
  } else cur.etherType = ETHERTYPE_NONE;
  return NEXT_LAYER;
}
