/**
 * TCP (RFC 9293 §3.1) and UDP (RFC 768): ports, flags, sequence numbers, payload bounds, the
 * snaplen (payloadTruncated) and every malformed header (one comment per adversarial case).
 */
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../src/capture/source';
import type { AnomalyName } from '../../../src/anomalies';
import { DecodeStatus, TCP_ACK, TCP_PSH } from '../../../src/decode/packet-view';
import { concat, decodeFrame, ethernet, hex, ipv4, ipv6, newDecoder, payloadText, tcp, text, udp } from './build';

describe('TCP', () => {
  test('flags, seq/ack, options skipped by Data Offset, payload', () => {
    // Data Offset 8: 12 bytes of options (NOP NOP timestamps) before "hello".
    const options = hex('0101080a 00000001 00000002');
    const packet = ipv4({ proto: 6 }, tcp({ seq: 0xfffffff0, ack: 0x80000001, flags: TCP_PSH | TCP_ACK, options }, text('hello')));
    const { dec } = newDecoder();
    expect(decodeFrame(dec, packet, LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    const v = dec.view;
    expect([v.tcpSeq, v.tcpAck, v.tcpFlags, v.payloadOffset, v.payloadTruncated]).toEqual([0xfffffff0, 0x80000001, 0x18, 20 + 32, false]);
    expect(payloadText(dec)).toBe('hello');
  });

  test('snaplen inside the payload: ports and the captured part delivered, payloadTruncated set', () => {
    const frame = ethernet(0x0800, ipv4({ proto: 6 }, tcp({ flags: 0x18 }, text('GET /index.html HTTP/1.1\r\n'))));
    const { dec, anomalies } = newDecoder();
    expect(dec.decode(frame, 0, 14 + 40 + 8, frame.length, LINKTYPE_ETHERNET, 0)).toBe(DecodeStatus.Transport);
    expect([dec.view.dstPort, dec.view.payloadTruncated]).toEqual([443, true]);
    expect(payloadText(dec)).toBe('GET /ind');
    expect(anomalies.toRecord()).toEqual({});
  });

  test('IPv6/TCP', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, ipv6({ nextHeader: 6 }, tcp({ sport: 1, dport: 2 }, text('x'))), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect(payloadText(dec)).toBe('x');
  });

  test.each<[string, Uint8Array, number, DecodeStatus, AnomalyName, boolean]>([
    // Data Offset 4 (16 bytes): below the 20-byte minimum.
    ['Data Offset 4', tcp({ dataOffset: 4 }), 0, DecodeStatus.Malformed, 'tcp.bad_data_offset', true],
    // Data Offset 0.
    ['Data Offset 0', tcp({ dataOffset: 0 }), 0, DecodeStatus.Malformed, 'tcp.bad_data_offset', true],
    // Data Offset 15 (60 bytes) in a 20-byte segment: the header runs past the IP packet.
    ['Data Offset past the segment', tcp({ dataOffset: 15 }), 0, DecodeStatus.Malformed, 'tcp.bad_data_offset', true],
    // IP Total Length leaves 12 bytes for TCP: no room for a header at all.
    ['segment shorter than a TCP header', tcp({}).subarray(0, 12), 0, DecodeStatus.Malformed, 'tcp.truncated', false],
    // Snaplen keeps 2 of 20 header bytes: not even the ports.
    ['header cut at 2 bytes', tcp({}), 18, DecodeStatus.Truncated, 'tcp.truncated', false],
    // Snaplen keeps 10 of 20 header bytes: ports known, the rest not.
    ['header cut at 10 bytes', tcp({}), 10, DecodeStatus.Truncated, 'tcp.truncated', true],
    // Data Offset 8 (32 bytes) with the snaplen at 24: options cut.
    ['options cut by the snaplen', tcp({ options: new Uint8Array(12) }), 8, DecodeStatus.Truncated, 'tcp.truncated', true],
  ])('%s', (_name, segment, cutBytes, status, anomaly, portsKnown) => {
    const frame = ethernet(0x0800, ipv4({ proto: 6 }, segment));
    const { dec, count, anomalies } = newDecoder();
    expect(dec.decode(frame, 0, frame.length - cutBytes, frame.length, LINKTYPE_ETHERNET, 0)).toBe(status);
    expect(count(anomaly)).toBe(1);
    expect(Object.keys(anomalies.toRecord())).toEqual([anomaly]);
    expect(dec.view.srcPort).toBe(portsKnown ? 49152 : 0);
  });
});

describe('UDP', () => {
  test('payload bounded by the UDP Length, not the IP payload (trailing bytes ignored)', () => {
    // UDP Length 10 (2 bytes of payload) in an IP payload of 14 bytes.
    const packet = ipv4({ proto: 17 }, concat(udp(1000, 2000, text('ok'), 10), text('junk')));
    const { dec } = newDecoder();
    expect(decodeFrame(dec, packet, LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect(payloadText(dec)).toBe('ok');
  });

  test('snaplen inside the payload: delivered with payloadTruncated', () => {
    const frame = ethernet(0x0800, ipv4({ proto: 17 }, udp(50000, 443, new Uint8Array(1200).fill(0xc3))));
    const { dec } = newDecoder();
    expect(dec.decode(frame, 0, 96, frame.length, LINKTYPE_ETHERNET, 0)).toBe(DecodeStatus.Transport);
    expect([dec.view.dstPort, dec.view.payloadLength, dec.view.payloadTruncated]).toEqual([443, 96 - 42, true]);
  });

  test('empty payload', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, ipv4({ proto: 17 }, udp(1, 2, new Uint8Array(0))), LINKTYPE_RAW)).toBe(DecodeStatus.Transport);
    expect(dec.view.payloadLength).toBe(0);
  });

  test.each<[string, Uint8Array, number, DecodeStatus, AnomalyName]>([
    // UDP Length 7: below the 8-byte header (RFC 768).
    ['Length 7', udp(1, 2, text('abc'), 7), 0, DecodeStatus.Malformed, 'udp.bad_length'],
    // UDP Length 0 outside an IPv6 jumbogram.
    ['Length 0 in IPv4', udp(1, 2, text('abc'), 0), 0, DecodeStatus.Malformed, 'udp.bad_length'],
    // UDP Length 100 with 11 bytes of IP payload.
    ['Length beyond the IP payload', udp(1, 2, text('abc'), 100), 0, DecodeStatus.Malformed, 'udp.bad_length'],
    // IP payload of 6 bytes: shorter than a UDP header.
    ['IP payload shorter than 8', udp(1, 2, new Uint8Array(0)).subarray(0, 6), 0, DecodeStatus.Malformed, 'udp.bad_length'],
    // Snaplen keeps 6 of the 8 header bytes.
    ['header cut by the snaplen', udp(1, 2, new Uint8Array(0)), 2, DecodeStatus.Truncated, 'udp.truncated'],
  ])('%s', (_name, datagram, cutBytes, status, anomaly) => {
    const frame = ethernet(0x0800, ipv4({ proto: 17 }, datagram));
    const { dec, count, anomalies } = newDecoder();
    expect(dec.decode(frame, 0, frame.length - cutBytes, frame.length, LINKTYPE_ETHERNET, 0)).toBe(status);
    expect(count(anomaly)).toBe(1);
    expect(Object.keys(anomalies.toRecord())).toEqual([anomaly]);
  });
});

test('ICMP header shorter than type + code + checksum is truncated', () => {
  const { dec, count } = newDecoder();
  expect(decodeFrame(dec, ipv4({ proto: 1 }, hex('0800')), LINKTYPE_RAW)).toBe(DecodeStatus.Truncated);
  expect([count('icmp.truncated'), dec.nonFlow.icmp]).toEqual([1, 0]);
});
