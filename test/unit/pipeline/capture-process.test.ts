/**
 * The process a capture header names (Apple's PKTAP, what macOS's `tcpdump -i pktap` writes)
 * reaches the flow record as `process`: the effective process when the header names one (the
 * app a daemon such as nsurlsessiond works for), else the socket's own; odd bytes escaped; and
 * no other capture gains the field.
 */
import { LINKTYPE_PKTAP } from '../../../src/capture/source';
import { replay } from '../../helpers/run-pipeline';
import { T0, TimedPacket, ascii, pcapBytes, tempDir, udpPacket } from '../../helpers/packets';

const DEV = '192.0.2.10';
const CLOUD = '203.0.113.50';

/** A PKTAP header (108 bytes, little-endian) naming DLT_RAW (12), with the given command names (`null`: left all zero). */
function pktap(comm: Uint8Array | null, ecomm: Uint8Array | null): Uint8Array {
  const h = Buffer.alloc(108);
  h.writeUInt32LE(108, 0);
  h.writeUInt32LE(1, 4);
  h.writeUInt32LE(12, 8);
  h.write('en0', 12, 'latin1');
  if (comm) { h.writeUInt32LE(321, 52); h.set(comm, 56); }
  if (ecomm) { h.writeUInt32LE(1321, 84); h.set(ecomm, 88); }
  return h;
}

function replayPktap(packets: { comm: Uint8Array | null; ecomm: Uint8Array | null; ip: Uint8Array }[]): ReturnType<typeof replay> {
  const tmp = tempDir('pktap-process');
  try {
    const timed: TimedPacket[] = packets.map((p, i) => ({ ts: T0 + i * 1000, data: Buffer.concat([pktap(p.comm, p.ecomm), p.ip]) }));
    return replay([tmp.write('p.pcap', pcapBytes(timed, LINKTYPE_PKTAP))], [DEV]);
  } finally {
    tmp.cleanup();
  }
}

test('the effective process is reported when named, else the process itself; a header naming none leaves the field out', () => {
  const r = replayPktap([
    { comm: ascii('nsurlsessiond'), ecomm: ascii('RadarMonitor'), ip: udpPacket(DEV, CLOUD, 50001, 123, ascii('x')) },
    { comm: ascii('curl'), ecomm: null, ip: udpPacket(DEV, CLOUD, 50002, 123, ascii('x')) },
    { comm: null, ecomm: null, ip: udpPacket(DEV, CLOUD, 50003, 123, ascii('x')) },
  ]);
  const byPort = new Map(r.flows.map((f) => [f.device_port, f]));
  expect(byPort.get(50001)?.process).toBe('RadarMonitor');
  expect(byPort.get(50002)?.process).toBe('curl');
  expect(byPort.get(50003)).toBeDefined();
  expect(byPort.get(50003)).not.toHaveProperty('process');
});

test('the flow keeps the process of its first packet', () => {
  const r = replayPktap([
    { comm: ascii('ntpd'), ecomm: null, ip: udpPacket(DEV, CLOUD, 50010, 123, ascii('a')) },
    { comm: ascii('other'), ecomm: null, ip: udpPacket(DEV, CLOUD, 50010, 123, ascii('b')) },
  ]);
  expect(r.flows.map((f) => f.process)).toEqual(['ntpd']);
});

test('bytes outside printable ASCII, and the backslash, are written as \\DDD; a name of all 20 bytes is kept whole', () => {
  const odd = Uint8Array.from([0x62, 0x61, 0x64, 0x01, 0x5c, 0xe9]); // "bad", 0x01, "\", 0xe9
  const full = ascii('abcdefghijklmnopqrst');
  const r = replayPktap([
    { comm: odd, ecomm: null, ip: udpPacket(DEV, CLOUD, 50020, 123, ascii('x')) },
    { comm: full, ecomm: null, ip: udpPacket(DEV, CLOUD, 50021, 123, ascii('x')) },
  ]);
  const byPort = new Map(r.flows.map((f) => [f.device_port, f]));
  expect(byPort.get(50020)?.process).toBe('bad\\001\\092\\233');
  expect(byPort.get(50021)?.process).toBe('abcdefghijklmnopqrst');
});

test('a capture without PKTAP headers has no process on any flow', () => {
  const tmp = tempDir('no-pktap');
  try {
    const r = replay([tmp.write('raw.pcap', pcapBytes([{ ts: T0, data: udpPacket(DEV, CLOUD, 50030, 123, ascii('x')) }]))], [DEV]);
    expect(r.flows).toHaveLength(1);
    expect(r.flows[0]).not.toHaveProperty('process');
  } finally {
    tmp.cleanup();
  }
});
