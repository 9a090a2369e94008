/**
 * A capture whose link type egress-audit does not decode (issue 2, "bad input"): the packets are
 * counted, one line names the file, the byte offset of the link-type field and what is
 * supported, and the exit status is 2 because data could not be analysed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../../src/main';

/** Classic little-endian pcap, LINKTYPE_USER0 (147), two 40-byte packets. */
function user0Pcap(): Buffer {
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0); hdr.writeUInt16LE(2, 4); hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16); hdr.writeUInt32LE(147, 20);
  const rec = Buffer.alloc(16 + 40, 0xab);
  rec.writeUInt32LE(1, 0); rec.writeUInt32LE(0, 4); rec.writeUInt32LE(40, 8); rec.writeUInt32LE(40, 12);
  return Buffer.concat([hdr, rec, rec]);
}

test('an unsupported link type: counted, one line with file and offset and a hint, exit 2', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-linktype-'));
  try {
    const file = path.join(dir, 'user0.pcap');
    fs.writeFileSync(file, user0Pcap());
    const out = path.join(dir, 'out.ndjson');
    let stderr = '';
    const code = await run(['replay', file, '--format', 'ndjson', '-o', out], { stderr: (t) => { stderr += t; } });
    expect(code).toBe(2);
    const line = stderr.split('\n').find((l) => l.startsWith('egress-audit: EA_CAPTURE_LINKTYPE'));
    expect(line).toContain('user0.pcap at byte offset 20');
    expect(line).toContain('2 packets of link type LINKTYPE_147');
    expect(stderr).toMatch(/hint: supported link types: Ethernet/);
    // Partial results are still written: the summary counts the packets and the anomaly.
    const summary = JSON.parse(fs.readFileSync(out, 'utf8').trim().split('\n').pop()!);
    expect(summary).toMatchObject({ type: 'summary', packets: 2, flows: 0, anomalies: { 'link.unsupported_linktype': 2 } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Classic pcap, LINKTYPE_PKTAP (258): one packet whose PKTAP header names DLT 147, one naming Ethernet. */
function pktapPcap(): Buffer {
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0); hdr.writeUInt16LE(2, 4); hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16); hdr.writeUInt32LE(258, 20);
  const record = (dlt: number, frame: Buffer): Buffer => {
    const pktap = Buffer.alloc(108);
    pktap.writeUInt32LE(108, 0); pktap.writeUInt32LE(1, 4); pktap.writeUInt32LE(dlt, 8);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1, 0); rec.writeUInt32LE(108 + frame.length, 8); rec.writeUInt32LE(108 + frame.length, 12);
    return Buffer.concat([rec, pktap, frame]);
  };
  const ipTcp = Buffer.from('450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'hex');
  return Buffer.concat([hdr, record(147, ipTcp), record(1, Buffer.concat([Buffer.from('020000000002020000000001 0800'.replace(/ /g, ''), 'hex'), ipTcp]))]);
}

test('a link type inside PKTAP that is not decoded: the line names the outer link type, the decodable packet is a flow, exit 2', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-linktype-'));
  try {
    const file = path.join(dir, 'pktap.pcap');
    fs.writeFileSync(file, pktapPcap());
    const out = path.join(dir, 'out.ndjson');
    let stderr = '';
    const code = await run(['replay', file, '--format', 'ndjson', '-o', out], { stderr: (t) => { stderr += t; } });
    expect(code).toBe(2);
    const line = stderr.split('\n').find((l) => l.startsWith('egress-audit: EA_CAPTURE_LINKTYPE'));
    expect(line).toContain('1 packet of link type PKTAP carrying a link type egress-audit does not decode was skipped');
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((r) => r.type === 'flow').map((r) => r.remote_port)).toEqual([443]);
    expect(lines.pop()).toMatchObject({ type: 'summary', packets: 2, flows: 1, anomalies: { 'link.unsupported_linktype': 1 } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
