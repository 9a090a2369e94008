/**
 * The terminal table: terminalSafe (network strings made harmless for a terminal), formatBytes,
 * the destination aggregator and the rendered table (no colour codes, nothing raw from the wire).
 */
import {
  DestinationAggregator, formatBytes, MAX_RULE_ROWS, PolicyAggregator, renderDestinationTable, renderPolicyTables, renderSummaryText, terminalSafe,
} from '../../../src/report/table';
import type { FlowRecord, SummaryRecord } from '../../../src/report/records';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../../../src/main';
import { Scenario } from '../pipeline/scenario';
import { DNS_A, dnsMessage, pcapBytes, tempDir } from '../../helpers/packets';

/** Characters a terminal acts on rather than prints: C0, DEL, C1, and the bidi controls. */
const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

function flow(over: Partial<FlowRecord>): FlowRecord {
  return {
    type: 'flow', id: 1, proto: 'tcp', direction: 'egress', device_ip: '192.168.1.10', device_port: 50000,
    remote_ip: '93.184.216.34', remote_port: 443, first_ts: 1000, last_ts: 1001, packets_out: 1, packets_in: 1,
    bytes_out: 100, bytes_in: 200, app: 'tls', sni: null, alpn: null, http_host: null, dns_names: null,
    name: 'example.com', name_source: 'sni', names: [], anomalies: [], ...over,
  };
}

describe('terminalSafe', () => {
  test.each([
    ['ESC: a colour / cursor sequence is shown, not executed', 'evil\u001b[31mred\u001b[0m', 'evil\\x1b[31mred\\x1b[0m'],
    ['ESC ] OSC title-setting sequence with BEL', 'a\u001b]0;pwned\u0007b', 'a\\x1b]0;pwned\\x07b'],
    ['CR could overwrite the line with a fake name', 'evil.com\rgood.com', 'evil.com\\x0dgood.com'],
    ['LF would break the table row', 'a\nb', 'a\\x0ab'],
    ['NUL', 'a\u0000b', 'a\\x00b'],
    ['DEL', 'a\u007fb', 'a\\x7fb'],
    ['C1 CSI (0x9b) acts like ESC [ on some terminals', 'a\u009b31mb', 'a\\x9b31mb'],
    ['C1 NEL 0x85', 'a\u0085b', 'a\\x85b'],
    ['RLO bidi override reverses the displayed name', 'moc.\u202eevil', 'moc.\\u202eevil'],
    ['bidi isolates (Trojan Source)', '\u2066x\u2069', '\\u2066x\\u2069'],
    ['LRM / RLM / ALM marks', '\u200ea\u200fb\u061c', '\\u200ea\\u200fb\\u061c'],
  ])('%s', (_why, input, expected) => {
    const out = terminalSafe(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(DANGEROUS);
  });

  test('ordinary names, IDNs and non-Latin text pass unchanged', () => {
    for (const s of ['example.com', 'bücher.example', 'xn--bcher-kva.example', '例え.テスト', 'a_b-c.d']) {
      expect(terminalSafe(s)).toBe(s);
    }
  });

  test('long strings are cut to the limit with an ellipsis', () => {
    const out = terminalSafe('a'.repeat(500), 20);
    expect(out).toHaveLength(20);
    expect(out.endsWith('…')).toBe(true);
  });

  test('cutting never lets a raw control character through, whatever the limit', () => {
    // Adversarial: escapes grow the string; the cut must happen on the escaped text.
    const hostile = 'x\u001b[2J\u202e\r\n\u009b'.repeat(40);
    for (let max = 2; max < 60; max++) {
      const out = terminalSafe(hostile, max);
      expect(out).not.toMatch(DANGEROUS);
      expect(out.length).toBeLessThanOrEqual(max);
    }
  });
});

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [1024 * 1024, '1.0 MiB'],
    [5.5 * 1024 ** 3, '5.5 GiB'],
    [3 * 1024 ** 4, '3.0 TiB'],
    [2048 * 1024 ** 4, '2048 TiB'], // no unit above TiB
  ])('%d → %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  test('a value just below a unit boundary never prints as 1024 of the smaller unit', () => {
    // 1048575 B is 1023.999 KiB: toFixed(0) would print "1024 KiB"; it should be "1.0 MiB".
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB');
    expect(formatBytes(1024 ** 3 - 1)).toBe('1.0 GiB');
  });

  test('a value just below 10 does not print as "10.0"', () => {
    // 9.99 KiB rounds to 10.0 with one decimal; the format switches to no decimals at 10.
    expect(formatBytes(Math.round(9.99 * 1024))).toBe('10 KiB');
  });
});

describe('DestinationAggregator', () => {
  test('flows to the same (direction, name, port, proto) make one row; bytes count both ways', () => {
    const agg = new DestinationAggregator();
    agg.add(flow({ id: 1, bytes_out: 100, bytes_in: 200, first_ts: 50 }));
    agg.add(flow({ id: 2, bytes_out: 1, bytes_in: 2, first_ts: 10, name_source: 'dns-answer' }));
    agg.add(flow({ id: 3, remote_port: 80 })); // another port: another row
    agg.add(flow({ id: 4, proto: 'udp' })); // another transport: another row
    expect(agg.rows.size).toBe(3);
    const row = agg.top(10).find((r) => r.port === 443 && r.proto === 'tcp')!;
    expect(row.flows).toBe(2);
    expect(row.bytes).toBe(303);
    expect(row.firstTs).toBe(10);
    expect([...row.sources].sort()).toEqual(['dns-answer', 'sni']);
  });

  test('an inbound flow is listed under the device\'s port (the service reached), not the client\'s ephemeral one', () => {
    const agg = new DestinationAggregator();
    for (const [id, eph] of [[1, 45546], [2, 41714]]) agg.add(flow({ id, direction: 'inbound', device_port: 22, remote_ip: '192.0.2.20', remote_port: eph, name: null, name_source: null, unnamed_reason: 'inbound' }));
    expect(agg.top(5).map((r) => [r.direction, r.destination, r.port, r.flows])).toEqual([['inbound', '192.0.2.20', 22, 2]]);
  });

  test('unnamed flows are listed by address, with why they have no name', () => {
    const agg = new DestinationAggregator();
    agg.add(flow({ name: null, name_source: null, unnamed_reason: 'ip-literal' }));
    agg.add(flow({ name: null, name_source: null, unnamed_reason: null }));
    const [row] = agg.top(1);
    expect(row.destination).toBe('93.184.216.34');
    expect(row.named).toBe(false);
    expect([...row.sources].sort()).toEqual(['none', 'none (ip-literal)']);
  });

  test('a named row and an unnamed row to the same address stay apart', () => {
    const agg = new DestinationAggregator();
    agg.add(flow({ name: 'example.com' }));
    agg.add(flow({ name: null, name_source: null }));
    expect(agg.rows.size).toBe(2);
  });

  test('names containing the key separator cannot collide with other rows', () => {
    // Adversarial: a DNS name with '|' in it, crafted to look like "name|port".
    const agg = new DestinationAggregator();
    agg.add(flow({ name: 'a|443', remote_port: 80 }));
    agg.add(flow({ name: 'a', remote_port: 443 }));
    expect(agg.rows.size).toBe(2);
  });

  test('the number of rows is bounded; flows beyond it are counted', () => {
    const agg = new DestinationAggregator(2);
    agg.add(flow({ name: 'a.example' }));
    agg.add(flow({ name: 'b.example' }));
    agg.add(flow({ name: 'c.example' }));
    agg.add(flow({ name: 'a.example' })); // existing rows still aggregate
    expect(agg.rows.size).toBe(2);
    expect(agg.overflowFlows).toBe(1);
    expect(agg.top(5).find((r) => r.destination === 'a.example')!.flows).toBe(2);
  });

  test('top() orders by bytes, largest first, ties by destination', () => {
    const agg = new DestinationAggregator();
    agg.add(flow({ name: 'small.example', bytes_out: 1, bytes_in: 0 }));
    agg.add(flow({ name: 'b.example', bytes_out: 500, bytes_in: 0 }));
    agg.add(flow({ name: 'a.example', bytes_out: 500, bytes_in: 0 }));
    agg.add(flow({ name: 'big.example', bytes_out: 10_000, bytes_in: 0 }));
    expect(agg.top(3).map((r) => r.destination)).toEqual(['big.example', 'a.example', 'b.example']);
  });

  test('one undeclared flow makes the row undeclared, with every reason', () => {
    const agg = new DestinationAggregator();
    agg.add(flow({ verdict: 'declared', reasons: [] }));
    agg.add(flow({ verdict: 'undeclared', reasons: ['name-not-declared'] }));
    agg.add(flow({ verdict: 'declared', reasons: [] }));
    const [row] = agg.top(1);
    expect(row.verdict).toBe('undeclared');
    expect([...row.reasons]).toEqual(['name-not-declared']);
  });
});

describe('renderDestinationTable / renderSummaryText', () => {
  test('the table carries no colour codes and no raw control characters from hostile names', () => {
    const agg = new DestinationAggregator();
    agg.add(flow({ name: 'evil\u001b[2J\u001b]0;x\u0007.example\u202e' }));
    const text = renderDestinationTable(agg, false);
    // Everything DANGEROUS except the table's own line feeds.
    expect(text.replace(/\n/g, '')).not.toMatch(DANGEROUS);
    expect(text).toContain('evil\\x1b[2J');
    expect(text).toContain('Top destinations by bytes');
  });

  test('more destinations than shown are announced', () => {
    const agg = new DestinationAggregator();
    for (let i = 0; i < 30; i++) agg.add(flow({ name: `n${i}.example`, bytes_out: i }));
    const text = renderDestinationTable(agg, false, 25);
    expect(text).toContain('5 more destinations');
    expect(text).toContain('n29.example');
    expect(text).not.toContain('n0.example');
  });

  test('with verdicts, undeclared rows say why', () => {
    const agg = new DestinationAggregator();
    agg.add(flow({ verdict: 'undeclared', reasons: ['name-not-declared'] }));
    expect(renderDestinationTable(agg, true)).toContain('UNDECLARED (name-not-declared)');
  });

  test('a name of wide characters (CJK, emoji) is shown whole, whatever the width: never cut with an ellipsis, never split inside a character', () => {
    const name = '例え.テスト.jp';
    const emoji = '\u{1F600}\u{1F600}\u{1F600}.example';
    const agg = new DestinationAggregator();
    agg.add(flow({ name, bytes_out: 2000 }));
    agg.add(flow({ name: emoji, bytes_out: 1000 }));
    for (const width of [Infinity, 100, 60, 20, 1]) {
      const text = renderDestinationTable(agg, false, 25, width);
      expect(text).not.toContain('…');
      // The cells of the destination column, joined line by line, give the names back.
      const cells = text.split('\n').filter((l) => l.startsWith('│')).map((l) => l.split('│')[2].trim()).filter((c) => c !== '' && !/^destinati|^on$/.test(c));
      const joined = cells.join('');
      expect(joined).toContain(name);
      expect(joined).toContain(emoji);
      // No half of a surrogate pair on its own (an emoji cut in two).
      expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    }
    // Where it fits, a wide name keeps one line, as an ASCII name does.
    expect(renderDestinationTable(agg, false, 25, 100)).toMatch(new RegExp(`│ ${name} +│`));
  });

  test('the summary says where the device addresses came from and escapes them', () => {
    const s: SummaryRecord = {
      type: 'summary', packets: 10, bytes: 2048, flows: 2, dns_queries: 1, device_ips: ['192.168.1.10'],
      device_source: 'flag', anomalies: { 'tcp.bad_offset': 2 }, inputs: [],
    };
    const text = renderSummaryText(s);
    expect(text).toContain('from --device');
    expect(text).toContain('2.0 KiB');
    expect(text).toContain('tcp.bad_offset=2');
    expect(renderSummaryText({ ...s, device_source: 'inferred', device_ips: [] })).toContain('inferred');
  });

  test('an idle live run still names the addresses it took as the device, and says nothing was captured', () => {
    const idle: SummaryRecord = {
      type: 'summary', packets: 0, bytes: 0, flows: 0, dns_queries: 0, device_ips: [], device_source: 'interface',
      device_prefixes: ['192.0.2.10/32', '2001:db8::10/128'], anomalies: {}, inputs: [{ file: 'eth0', format: 'live', link_types: ['EN10MB'], packets: 0 }],
    };
    const text = renderSummaryText(idle);
    expect(text).toContain('device addresses (from the capture interface): 192.0.2.10, 2001:db8::10 (no traffic from them seen)\n');
    expect(text).toContain('no packets were captured: the link was idle, or --filter let nothing through');
    // An interface without an address: the device side is inferred, and the summary says none was taken.
    expect(renderSummaryText({ ...idle, device_source: 'inferred', device_prefixes: [] })).toContain('device addresses (inferred per flow; pass --device to fix them): none\n');
    // A --device prefix is shown as given.
    expect(renderSummaryText({ ...idle, device_source: 'flag', device_prefixes: ['192.0.2.0/24'] })).toContain('device addresses (from --device): 192.0.2.0/24 (no traffic from it seen)');
  });

  test('each outage of the capture link is a warning line with its times', () => {
    const s: SummaryRecord = {
      type: 'summary', packets: 5, bytes: 500, flows: 1, dns_queries: 0, device_ips: ['192.0.2.10'], anomalies: {}, inputs: [],
      capture: { received: 5, dropped: 0, if_dropped: 0, link_outages: [
        { start: 1_700_000_000, end: 1_700_000_002.5, seconds: 2.5 },
        { start: 1_700_000_010, end: 1_700_000_011, seconds: null },
        { start: 1_700_000_020, end: null, seconds: null },
      ] },
    };
    expect(renderSummaryText(s).split('\n').filter((l) => l.startsWith('WARNING'))).toEqual([
      'WARNING: the capture link was down from 2023-11-14T22:13:20Z for 2.5 s; this audit is incomplete',
      'WARNING: the capture link was down from 2023-11-14T22:13:30Z and up again by 2023-11-14T22:13:31Z; this audit is incomplete',
      'WARNING: the capture link was down from 2023-11-14T22:13:40Z and stayed down to the end; this audit is incomplete',
    ]);
  });
});

describe('the findings table names the rule and document line each finding was judged against, and fits the terminal', () => {
  const DEV = '192.0.2.10';
  const RESOLVER = '198.51.100.53';
  // The device looks up an undocumented name (nebra-dns covers port 53 for other names), goes to
  // it on 443 (nebra-updates), and to a port no rule has; a neighbour opens SSH to it.
  const scenario = (): Scenario => new Scenario()
    .udp(0, DEV, 40001, RESOLVER, 53, dnsMessage(1, false, 'telemetry.tracker-cdn.example', DNS_A))
    .udp(1, RESOLVER, 53, DEV, 40001, dnsMessage(1, true, 'telemetry.tracker-cdn.example', DNS_A, [{ name: 'telemetry.tracker-cdn.example', type: DNS_A, ttl: 60, data: '203.0.113.9' }]))
    .tcp(10, DEV, 50001, '203.0.113.9', 443, new Uint8Array(0))
    .tcp(20, DEV, 50002, '203.0.113.207', 44158, new Uint8Array(0))
    .tcp(30, '192.0.2.20', 50022, DEV, 22, new TextEncoder().encode('SSH-2.0-OpenSSH_9.2\r\n'));

  /** Runs `replay --format table` in-process on the scenario with COLUMNS set; returns the text. */
  async function table(columns: string | undefined, packs: string[] = ['--rules', 'nebra-hotspot']): Promise<string> {
    const tmp = tempDir('table');
    const saved = process.env.COLUMNS;
    try {
      const file = tmp.write('scenario.pcap', pcapBytes([...scenario().packets].sort((a, b) => a.ts - b.ts)));
      const out = path.join(tmp.dir, 'table.txt');
      if (columns === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = columns;
      await run(['replay', file, '--device', DEV, ...packs, '--format', 'table', '-o', out], { stderr: () => undefined });
      return fs.readFileSync(out, 'utf8');
    } finally {
      if (saved === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = saved;
      tmp.cleanup();
    }
  }

  /** The text of the table's last column ("judged against"), its wrapped lines joined, whitespace dropped. */
  const lastColumn = (tableText: string): string => tableText.split('\n').map((l) => l.split('│')).filter((c) => c.length > 2)
    .map((c) => c[c.length - 2]).join('').replace(/\s+/g, '');

  test.each([['100'], ['80'], ['160']])('COLUMNS=%s', async (columns) => {
    const text = await table(columns);
    const findings = text.slice(text.indexOf('Undeclared destinations'));
    // Each finding names its rule, the rules file line and the document line the rule quotes.
    const against = lastColumn(findings);
    expect(against).toMatch(/^judgedagainst/);
    expect(against).toContain('nebra-dnsrules/nebra-hotspot.yaml:41doc:000_57c78ce9f9e6f1a8.txt:41');
    expect(against).toContain('nebra-updatesrules/nebra-hotspot.yaml:55doc:000_57c78ce9f9e6f1a8.txt:43');
    expect(against).toContain('norulefortheportrules/nebra-hotspot.yaml:1');
    // The findings fit the terminal; so does all of the report from 100 columns on.
    for (const line of findings.split('\n')) expect(line.length).toBeLessThanOrEqual(Number(columns));
    if (columns !== '80') for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(Number(columns));
  });

  test('the explicitly-disabled finding names the deny rule and the document line it quotes', async () => {
    const text = await table('100', ['--rules', 'bitbox-base']);
    expect(lastColumn(text.slice(text.indexOf('Undeclared destinations')))).toContain('bitbox-ssh-disabledrules/bitbox-base.yaml:185doc:001_c7ed800effe16bce.txt:26');
  });
});

describe('renderPolicyTables', () => {
  test(`a pack set of 200,000 rules: the per-rule table stops at ${MAX_RULE_ROWS} rows and says how many it left out (it overflowed the call stack)`, () => {
    const agg = new PolicyAggregator();
    agg.addFlow(flow({ verdict: 'declared', rule: 'r7', pack: 'big' }));
    const ruleIds = Array.from({ length: 200_000 }, (_, i) => ({ pack: 'big', id: `r${i}` }));
    const text = renderPolicyTables(agg, ruleIds, 120);
    const rows = text.split('\n').filter((l) => l.startsWith('│ big'));
    expect(rows.length).toBe(MAX_RULE_ROWS);
    // The rule that saw traffic is listed first, before the unused ones fill the rest.
    expect(rows[0]).toMatch(/^│ big +│ r7 +│ 1 /);
    expect(text).toContain(`(${200_000 - MAX_RULE_ROWS} more rules not shown; use --format ndjson, whose records name their rule)`);
    expect(text).toContain('(199999 rules never observed: the documentation is wider than the traffic)');
  });
});
