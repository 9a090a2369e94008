/**
 * IPv4 header decoder (RFC 791 §3.1): version, IHL and Total Length checks, options walked for
 * well-formedness and skipped, fragment fields read for ip-reassembly.ts.
 *
 * Per packet: allocation-free, never throws on packet bytes. It leaves the cursor on the IP
 * payload with `end`/`wireEnd` bounded by Total Length, so Ethernet padding never reaches the
 * transport decoders. It must never reassemble or look at the payload itself.
 */
import { A, AnomalyCounters } from '../anomalies';
import { u16be, u32be } from './bytes';
import { LayerCursor, NEXT_LAYER } from './layer-cursor';
import { DecodeStatus, PacketView } from './packet-view';

const IP_UNKNOWN_VERSION = A['ip.unknown_version'];
const IP4_TRUNCATED = A['ip4.truncated'];
const IP4_BAD_IHL = A['ip4.bad_ihl'];
const IP4_BAD_TOTAL_LENGTH = A['ip4.bad_total_length'];
const IP4_ZERO_TOTAL_LENGTH = A['ip4.zero_total_length'];
/** A Total Length of 0 is read as segmentation offload only for packets longer than this (one Ethernet MTU). */
const TSO_MIN_PACKET = 1500;
const IP4_BAD_OPTIONS = A['ip4.bad_options'];

/** RFC 791 §3.1: the minimum header (IHL = 5). */
export const IPV4_MIN_HEADER_LENGTH = 20;
const IPV4_FLAG_MF = 0x2000;
const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;
const IPOPT_EOL = 0;
const IPOPT_NOP = 1;

/**
 * Decodes the IPv4 header at `cur.off`; sets addresses (sa3/da3) and ipProto on `view`.
 * Strict (RFC 791 §3.1): version 4, IHL >= 5, IHL·4 <= Total Length <= bytes on the wire; a
 * Total Length of 0 on a packet longer than an MTU (segmentation offload) stands for the rest
 * of the frame.
 * Returns NEXT_LAYER with the cursor on the payload, or a status after counting an anomaly.
 */
export function decodeIpv4(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): number {
  const off = cur.off;
  const captured = cur.end - off;
  if (captured < 1) {
    anomalies.add(IP4_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const versionIhl = buf[off];
  if (versionIhl >> 4 !== 4) {
    anomalies.add(IP_UNKNOWN_VERSION);
    return DecodeStatus.Malformed;
  }
  const ihl = (versionIhl & 0x0f) << 2;
  if (ihl < IPV4_MIN_HEADER_LENGTH) {
    anomalies.add(IP4_BAD_IHL);
    return DecodeStatus.Malformed;
  }
  if (captured < ihl) {
    anomalies.add(IP4_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  let totalLength = u16be(buf, off + 2);
  if (totalLength === 0 && cur.wireEnd - off > TSO_MIN_PACKET) {
    // A capture taken on the sending host sees the packet before the NIC segments it (Windows
    // large send offload, Linux BIG TCP over 64 KiB), with Total Length 0. tshark and Zeek then
    // take the rest of the frame as the packet; so does this decoder, counting it. Only for a
    // packet longer than one 1500-byte MTU: offload exists to send more than one segment, and a
    // frame of ordinary size with Total Length 0 is damage (tshark takes those too).
    anomalies.add(IP4_ZERO_TOTAL_LENGTH);
    totalLength = cur.wireEnd - off;
  }
  if (totalLength < ihl || totalLength > cur.wireEnd - off) {
    anomalies.add(IP4_BAD_TOTAL_LENGTH);
    return DecodeStatus.Malformed;
  }
  if (ihl > IPV4_MIN_HEADER_LENGTH && !checkIpv4Options(buf, off + IPV4_MIN_HEADER_LENGTH, off + ihl)) {
    anomalies.add(IP4_BAD_OPTIONS); // counted, not fatal: the options' extent is fixed by IHL
  }
  view.ipVersion = 4;
  view.sa0 = 0; view.sa1 = 0; view.sa2 = 0;
  view.sa3 = u32be(buf, off + 12);
  view.da0 = 0; view.da1 = 0; view.da2 = 0;
  view.da3 = u32be(buf, off + 16);
  const proto = buf[off + 9];
  view.ipProto = proto;
  cur.proto = proto;
  const flagsFragment = u16be(buf, off + 6);
  cur.fragOffset = (flagsFragment & IPV4_FRAGMENT_OFFSET_MASK) << 3;
  cur.moreFragments = (flagsFragment & IPV4_FLAG_MF) !== 0;
  cur.isFragment = cur.moreFragments || cur.fragOffset !== 0;
  cur.fragId = u16be(buf, off + 4);
  cur.jumbo = false;
  const ipEnd = off + totalLength;
  cur.off = off + ihl;
  cur.wireEnd = ipEnd;
  if (cur.end > ipEnd) cur.end = ipEnd;
  return NEXT_LAYER;
}

/**
 * RFC 791 §3.1 option format: EOL and NOP are one byte; every other option has a length byte
 * >= 2 that must stay inside the header. Returns false when the list is malformed.
 */
function checkIpv4Options(buf: Uint8Array, off: number, end: number): boolean {
  while (off < end) {
    const type = buf[off];
    if (type === IPOPT_EOL) return true;
    if (type === IPOPT_NOP) {
      off++;
      continue;
    }
    if (end - off < 2) return false;
    const length = buf[off + 1];
    if (length < 2 || off + length > end) return false;
    off += length;
  }
  return true;
}
