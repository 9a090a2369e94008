/**
 * Every capture in the shared third-party corpus: packet count and per-interface link types must
 * match tshark's ground truth (../shared/corpus/expected/<stem>.json). Files tshark calls damaged
 * (tshark_rc != 0) must give us a dataLost issue too; clean files must give none.
 */
import * as fs from 'fs';
import { describeShared, sharedPath } from '../../helpers/shared';
import { readAll } from './capture-test-helpers';

/**
 * Captures where our count may legitimately differ from tshark's, with the reason.
 * Empty today: the one damaged file (suricata__bug-1450-04__tls_DER-incomplete-header.pcap, a
 * 4325376-byte caplen in record 7) stops both tshark and us after 6 packets.
 */
const COUNT_EXCEPTIONS: Record<string, { count: number; why: string }> = {};

interface Expected {
  packet_count: number;
  tshark_rc: number;
  capture: { format: string; byte_order: string; ts_resolution: string | string[]; link_types: { dlt: number; name: string }[] };
}

describeShared('capture corpus vs tshark', () => {
  const dir = sharedPath('corpus');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort() : [];

  test('the corpus is there', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  test.each(files)('%s', (name) => {
    const stem = name.replace(/\.pcap(ng)?$/, '');
    const expected = JSON.parse(fs.readFileSync(sharedPath('corpus', 'expected', `${stem}.json`), 'utf8')) as Expected;
    const r = readAll(sharedPath('corpus', name));
    const exception = COUNT_EXCEPTIONS[name];
    expect(r.packets.length).toBe(exception ? exception.count : expected.packet_count);
    expect(r.info.linkTypes).toEqual(expected.capture.link_types.map((l) => l.name));
    // The extension lies at least once (ndpi__tls_missing_ch_frag.pcap is pcapng): trust the ground truth.
    expect(r.info.format).toBe(expected.capture.format);
    expect(r.info.byteOrder).toBe(expected.capture.byte_order);
    const res = expected.capture.ts_resolution;
    expect(r.info.tsResolution).toBe(Array.isArray(res) ? res.join(',') : res);
    const lost = r.issues.filter((i) => i.dataLost);
    if (expected.tshark_rc === 0) expect(lost).toEqual([]);
    else expect(lost).toHaveLength(1);
  });
});
