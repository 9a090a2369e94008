/**
 * Transport decoders: TCP (RFC 9293 §3.1), UDP (RFC 768) and the type byte of ICMP, ICMPv6 and
 * IGMP. They set ports, TCP flags and sequence numbers and the payload bounds on the view.
 *
 * Per packet: allocation-free, never throws on packet bytes. Checksums are NOT verified: captures
 * taken on the sending host carry offloaded (unfilled) checksums. "Truncated" (the snaplen cut the
 * header) stays apart from "Malformed" (the lengths contradict each other); a payload cut by
 * the snaplen is still delivered, with payloadTruncated set.
 */
import { A, AnomalyCounters } from '../anomalies';
import { u16be, u32be } from './bytes';
import { LayerCursor } from './layer-cursor';
import { DecodeStatus, PacketView } from './packet-view';

const TCP_TRUNCATED = A['tcp.truncated'];
const TCP_BAD_DATA_OFFSET = A['tcp.bad_data_offset'];
const UDP_TRUNCATED = A['udp.truncated'];
const UDP_BAD_LENGTH = A['udp.bad_length'];
const ICMP_TRUNCATED = A['icmp.truncated'];

/** RFC 9293 §3.1: Data Offset >= 5 words. */
export const TCP_MIN_HEADER_LENGTH = 20;
/** RFC 768: the UDP header is 8 bytes and Length counts it. */
export const UDP_HEADER_LENGTH = 8;
/** ICMP (RFC 792), ICMPv6 (RFC 4443 §2.1) and IGMP (RFC 3376 §4) all start with type, code and a 16-bit checksum. */
const ICMP_MIN_HEADER_LENGTH = 4;

/**
 * TCP header at `cur.off` (RFC 9293 §3.1). The segment is `[cur.off, cur.wireEnd)` on the wire
 * and `[cur.off, cur.end)` captured. Ports are set as soon as they are captured, even when the
 * rest of the header is not (status Truncated).
 */
export function decodeTcp(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): DecodeStatus {
  const off = cur.off;
  const captured = cur.end - off;
  const segmentLength = cur.wireEnd - off;
  if (segmentLength < TCP_MIN_HEADER_LENGTH) {
    // The IP length leaves no room for a TCP header: the lengths contradict each other.
    anomalies.add(TCP_TRUNCATED);
    return DecodeStatus.Malformed;
  }
  if (captured >= 4) {
    view.srcPort = u16be(buf, off);
    view.dstPort = u16be(buf, off + 2);
  }
  if (captured < TCP_MIN_HEADER_LENGTH) {
    anomalies.add(TCP_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const dataOffset = (buf[off + 12] >> 4) << 2;
  if (dataOffset < TCP_MIN_HEADER_LENGTH || dataOffset > segmentLength) {
    anomalies.add(TCP_BAD_DATA_OFFSET);
    return DecodeStatus.Malformed;
  }
  if (dataOffset > captured) {
    anomalies.add(TCP_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  view.tcpSeq = u32be(buf, off + 4);
  view.tcpAck = u32be(buf, off + 8);
  view.tcpFlags = buf[off + 13];
  view.tcpOptionsOffset = off + TCP_MIN_HEADER_LENGTH;
  view.payloadOffset = off + dataOffset;
  view.payloadLength = cur.end - view.payloadOffset;
  view.payloadTruncated = cur.end < cur.wireEnd;
  return DecodeStatus.Transport;
}

/**
 * UDP header at `cur.off` (RFC 768): 8 <= Length <= IP payload; the payload is bounded by
 * Length, not by the IP payload or the frame. Length 0 is accepted only in an IPv6 jumbogram
 * (RFC 2675 §4), where it means "the rest of the packet". On success the cursor is left on the
 * UDP payload (for VXLAN).
 */
export function decodeUdp(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): DecodeStatus {
  const off = cur.off;
  const captured = cur.end - off;
  const ipPayloadLength = cur.wireEnd - off;
  if (ipPayloadLength < UDP_HEADER_LENGTH) {
    anomalies.add(UDP_BAD_LENGTH);
    return DecodeStatus.Malformed;
  }
  if (captured >= 4) {
    view.srcPort = u16be(buf, off);
    view.dstPort = u16be(buf, off + 2);
  }
  if (captured < UDP_HEADER_LENGTH) {
    anomalies.add(UDP_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  const length = u16be(buf, off + 4);
  let udpEnd: number;
  if (length === 0 && cur.jumbo) udpEnd = cur.wireEnd;
  else if (length < UDP_HEADER_LENGTH || length > ipPayloadLength) {
    anomalies.add(UDP_BAD_LENGTH);
    return DecodeStatus.Malformed;
  } else udpEnd = off + length;
  const payloadOffset = off + UDP_HEADER_LENGTH;
  const capturedEnd = udpEnd < cur.end ? udpEnd : cur.end;
  view.payloadOffset = payloadOffset;
  view.payloadLength = capturedEnd - payloadOffset;
  view.payloadTruncated = udpEnd > cur.end;
  cur.off = payloadOffset;
  cur.end = capturedEnd;
  cur.wireEnd = udpEnd;
  return DecodeStatus.Transport;
}

/**
 * ICMP, ICMPv6 or IGMP at `cur.off`: sets view.icmpType from the first byte. Not a flow, so the
 * status is OtherIp; a header shorter than type+code+checksum is Truncated (icmp.truncated,
 * also for IGMP).
 */
export function decodeIcmpType(buf: Uint8Array, cur: LayerCursor, view: PacketView, anomalies: AnomalyCounters): DecodeStatus {
  if (cur.end - cur.off < ICMP_MIN_HEADER_LENGTH) {
    anomalies.add(ICMP_TRUNCATED);
    return DecodeStatus.Truncated;
  }
  view.icmpType = buf[cur.off];
  return DecodeStatus.OtherIp;
}
