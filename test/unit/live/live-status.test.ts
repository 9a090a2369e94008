/**
 * The live terminal display (src/live-status.ts) and the `live` flag parsers: each undeclared
 * destination announced once, nothing drawn off a terminal, capture-derived text made safe, and
 * --duration / size values parsed or refused with a usage error.
 */
import { LiveStatusDisplay, destinationOf } from '../../../src/live-status';
import { dnsGraceMicros, parseDuration, parsePositive, parseSnaplen } from '../../../src/cli/live-command';
import type { FlowRecord } from '../../../src/report/records';

function flow(over: Partial<FlowRecord>): FlowRecord {
  return {
    type: 'flow', id: 1, proto: 'tcp', direction: 'egress', device_ip: '192.0.2.10', device_port: 40000, remote_ip: '198.51.100.20', remote_port: 443,
    first_ts: 1, last_ts: 2, packets_out: 1, packets_in: 1, bytes_out: 60, bytes_in: 60, app: 'tls', sni: 'a.example', alpn: null, http_host: null,
    dns_names: null, name: 'a.example', name_source: 'sni', names: [], anomalies: [], verdict: 'undeclared', reasons: ['name-not-documented'], ...over,
  };
}

test('announces each undeclared destination once, at once, above the status block', () => {
  let text = '';
  const d = new LiveStatusDisplay({ write: (t) => (text += t), isTty: true });
  expect(d.announce(flow({ id: 1 }))).toBe(true);
  expect(d.announce(flow({ id: 2, device_port: 40001 }))).toBe(false); // same name, port, proto, direction
  expect(d.announce(flow({ id: 3, remote_port: 8443 }))).toBe(true);
  expect(text.match(/UNDECLARED/g)).toHaveLength(2);
  expect(text).toContain('UNDECLARED egress tcp a.example:443 (198.51.100.20, name from sni) — name-not-documented');
  d.refresh({ iface: 'eth0', backend: 'libpcap', elapsedMs: 61_000, packets: 5, bytes: 300, received: 5, dropped: 2, openFlows: 1, flowsWritten: 2, declared: 0, undeclared: 2, evictedFlows: 0 });
  expect(text).toContain('00:01:01');
  expect(text).toContain('DROPPED 2 (audit incomplete)');
  expect(text).toContain('latest undeclared: egress tcp a.example:8443');
});

test('block lines are cut to the terminal width, so a redraw clears exactly the rows it drew', () => {
  let text = '';
  const d = new LiveStatusDisplay({ write: (t) => (text += t), isTty: true, columns: () => 40 });
  for (let i = 0; i < 5; i++) d.announce(flow({ id: i, remote_port: 8000 + i }));
  text = '';
  const counts = { iface: 'eth0', backend: 'libpcap', elapsedMs: 0, packets: 0, bytes: 0, received: 0, dropped: 0, openFlows: 0, flowsWritten: 0, declared: 0, undeclared: 5, evictedFlows: 0 };
  d.refresh(counts);
  const drawn = text.split('\n');
  expect(drawn).toHaveLength(3);
  for (const line of drawn) expect(line.length).toBeLessThanOrEqual(39);
  expect(drawn[2]).toMatch(/^latest undeclared: .*…$/);
  text = '';
  d.refresh(counts);
  // The redraw moves up two rows (three lines drawn), clearing each, before drawing again.
  expect(text.startsWith('\r\x1b[2K' + '\x1b[1A\x1b[2K'.repeat(2) + 'live eth0')).toBe(true);
});

test('a capture link that is down gets its own line (never cut off the first), and the next redraw clears the extra row', () => {
  let text = '';
  const d = new LiveStatusDisplay({ write: (t) => (text += t), isTty: true, columns: () => 200 });
  const counts = { iface: 'eth0', backend: 'libpcap', elapsedMs: 0, packets: 0, bytes: 0, received: 0, dropped: 0, openFlows: 0, flowsWritten: 0, declared: 0, undeclared: 0, evictedFlows: 0 };
  d.refresh({ ...counts, linkDownSince: 1_700_000_000, linkOutages: 1 });
  expect(text.split('\n')).toHaveLength(4);
  expect(text.split('\n')[1]).toBe('LINK DOWN since 22:13:20 UTC: nothing is being captured (audit incomplete)');
  text = '';
  d.refresh({ ...counts, linkDownSince: null, linkOutages: 1 });
  expect(text.startsWith('\r\x1b[2K' + '\x1b[1A\x1b[2K'.repeat(3) + 'live eth0')).toBe(true);
  expect(text.split('\n')[1]).toBe('link was down 1 time (audit incomplete; see the notices above)');
});

test('draws nothing but notices when stderr is not a terminal', () => {
  let text = '';
  const d = new LiveStatusDisplay({ write: (t) => (text += t), isTty: false });
  d.announce(flow({}));
  d.refresh({ iface: 'eth0', backend: 'libpcap', elapsedMs: 0, packets: 0, bytes: 0, received: 0, dropped: 0, openFlows: 0, flowsWritten: 0, declared: 0, undeclared: 0, evictedFlows: 0 });
  d.notice('egress-audit: listening on eth0');
  expect(text).toBe('egress-audit: listening on eth0\n');
});

test('names from the network are made terminal-safe', () => {
  expect(destinationOf(flow({ name: 'evil\x1b[2Jname' })).text).toContain('evil\\x1b[2Jname');
});

test('--duration accepts ms, s, m, h, d and refuses the rest', () => {
  expect(parseDuration('10m')).toBe(600_000);
  expect(parseDuration('1.5h')).toBe(5_400_000);
  expect(parseDuration('30')).toBe(30_000);
  expect(parseDuration('250ms')).toBe(250);
  for (const bad of ['', '0s', '-1m', '10 minutes', '30d']) expect(() => parseDuration(bad)).toThrow(/--duration/);
  // --dns-grace takes zero (the TTL alone) and names itself in its error.
  expect(parseDuration('0', '--dns-grace', true)).toBe(0);
  expect(dnsGraceMicros('5m')).toBe(300e6);
  expect(dnsGraceMicros(undefined)).toBeUndefined();
  expect(() => dnsGraceMicros('-5m')).toThrow(/^--dns-grace -5m: expected a time/);
});

test('sizes take binary K/M/G suffixes; counts do not', () => {
  expect(parsePositive('--buffer-bytes', '32M', true)).toBe(32 << 20);
  expect(parsePositive('--write-max-bytes', '4K', true)).toBe(4096);
  expect(parsePositive('--count', '7')).toBe(7);
  expect(() => parsePositive('--count', '7K')).toThrow(/positive whole number/);
  expect(() => parsePositive('--count', '0')).toThrow(/positive whole number/);
});

test('--snaplen: at most libpcap\'s 262144 (refused, not allocated); below a full frame it warns that names past the cut are lost', () => {
  const warnings: string[] = [];
  const warn = (t: string): void => { warnings.push(t); };
  expect(parseSnaplen('262144', warn)).toBe(262144);
  expect(parseSnaplen('1518', warn)).toBe(1518);
  expect(warnings).toEqual([]);
  expect(() => parseSnaplen('262145', warn)).toThrow(/^--snaplen 262145: at most 262144/);
  expect(() => parseSnaplen('4000000000', warn)).toThrow(/at most 262144/);
  expect(() => parseSnaplen('0', warn)).toThrow(/positive whole number/);
  expect(parseSnaplen('96', warn)).toBe(96);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/^egress-audit: warning: --snaplen 96 cuts full-size packets short: names past byte 96 .* are lost/);
});
