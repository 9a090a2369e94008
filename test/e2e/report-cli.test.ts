/**
 * The report commands end to end through `run(argv)`: `replay --bundle` (every file, atomic,
 * refusing to overwrite), determinism (two runs → byte-identical files with --reproducible),
 * `report audit.json --format F` re-rendering, `learn` (the proposal loads with the project's
 * loader and declares the traffic it came from; drift against a pack), and `rules doc`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describePack, loadPackText, PolicyEngine } from '../../src/policy';
import { escapeMarkdown } from '../../src/report/markdown';
import { collapseNames, learnRules, renderLearnedYaml } from '../../src/policy/learn';
import { BUNDLE_FILES } from '../../src/report/bundle';
import { tempDir } from '../helpers/packets';
import { replay } from '../helpers/run-pipeline';
import { REPO_ROOT } from '../helpers/shared';
import { runCli } from '../helpers/run-cli';
import type { FlowRecord } from '../../src/report/records';

const SAMPLE = path.join(REPO_ROOT, 'captures/sample-device.pcapng');
const DEV = ['--device', '192.0.2.10', '--device', '2001:db8::10'];

/** Runs with `-o` into a temporary file (OutputFile writes standard output with fs.writeSync, past any spy). */
async function cliOut(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const out = path.join(tmp.dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await cli([...argv, '-o', out]);
  return { ...r, stdout: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '' };
}

const cli = runCli;

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir('report-cli'); });
afterAll(() => tmp.cleanup());

describe('replay --bundle', () => {
  test('writes every file; two --reproducible runs are byte-identical', async () => {
    const a = path.join(tmp.dir, 'a'), b = path.join(tmp.dir, 'b');
    const r1 = await cli(['replay', SAMPLE, '--rules', 'nebra-hotspot', ...DEV, '--bundle', a, '--reproducible', '-o', path.join(tmp.dir, 'a.txt')]);
    const r2 = await cli(['replay', SAMPLE, '--rules', 'nebra-hotspot', ...DEV, '--bundle', b, '--reproducible', '-o', path.join(tmp.dir, 'b.txt')]);
    expect([r1.code, r2.code, r1.stderr]).toEqual([1, 1, '']);
    expect(fs.readdirSync(a).sort()).toEqual([...BUNDLE_FILES].sort());
    for (const f of BUNDLE_FILES) expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f)))).toBe(true);
    const model = JSON.parse(fs.readFileSync(path.join(a, 'audit.json'), 'utf8')) as { generated_at: string; findings: unknown[] };
    expect(model.generated_at).toBe('2024-06-01T12:00:58.000Z');
    expect(model.findings).toHaveLength(5);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('refuses a non-empty directory before reading the capture; --force replaces it', async () => {
    const d = path.join(tmp.dir, 'full');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'keep.txt'), 'x');
    const r = await cli(['replay', SAMPLE, '--bundle', d, '-o', '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/EA_OUTPUT: bundle directory .* already exists/);
    expect(fs.readdirSync(d)).toEqual(['keep.txt']);
    const f = await cli(['replay', SAMPLE, '--bundle', d, '--force', '-o', '/dev/null']);
    expect(f.code).toBe(0);
    expect(fs.readdirSync(d).sort()).toEqual([...BUNDLE_FILES].sort());
  });

  test('report re-renders each format from audit.json exactly as the bundle holds it', async () => {
    const d = path.join(tmp.dir, 'a');
    const formats: [string, string][] = [['html', 'report.html'], ['md', 'report.md'], ['csv', 'findings.csv'], ['flows-csv', 'flows.csv'], ['sarif', 'audit.sarif'], ['junit', 'junit.xml']];
    for (const [format, file] of formats) {
      const out = path.join(tmp.dir, `re.${format}`);
      const r = await cli(['report', path.join(d, 'audit.json'), '--format', format, '-o', out]);
      expect(r.code).toBe(0);
      expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(path.join(d, file), 'utf8'));
    }
    const bad = await cli(['report', path.join(tmp.dir, 'a.txt')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/EA_REPORT_INVALID/);
  });
});

describe('learn', () => {
  test('collapses only where the names justify it, never over a public suffix', () => {
    expect(collapseNames(['a.vendor.example', 'b.vendor.example', 'api.other.example']).hosts).toEqual(['*.vendor.example', 'api.other.example']);
    expect(collapseNames(['one.com', 'two.com']).hosts).toEqual(['one.com', 'two.com']);
    expect(collapseNames(['a.user.github.io', 'b.github.io', 'c.github.io']).hosts).toEqual(['a.user.github.io', 'b.github.io', 'c.github.io']);
    expect(collapseNames(['x.a.vendor.example', 'y.b.vendor.example']).hosts).toEqual(['x.a.vendor.example', 'y.b.vendor.example']);
  });

  test('round trip: the proposed YAML loads with the project loader and declares the traffic it came from', async () => {
    const out = path.join(tmp.dir, 'learned.yaml');
    const r = await cli(['learn', SAMPLE, ...DEV, '-o', out]);
    expect(r.code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    const pack = loadPackText(text, 'learned.yaml');
    expect(pack.rules.some((x) => x.kind === 'inbound' && x.ports.has(80))).toBe(true);
    const rec = replay([SAMPLE], ['192.0.2.10', '2001:db8::10']);
    const judged = new PolicyEngine([pack]).judgeRun(rec.flows, rec.dns, { deviceIps: ['192.0.2.10', '2001:db8::10'] });
    expect(judged.flows.filter((f) => f.verdict === 'undeclared').map((f) => f.explanation)).toEqual([]);
    expect(judged.dns.filter((d) => d.verdict === 'undeclared').map((d) => d.explanation)).toEqual([]);
    expect(text).toContain('203.0.113.158');
    expect(learnRules(rec.flows, rec.dns).rules.every((x) => x.hosts === 'any' || x.hosts.every((h) => !h.startsWith('*.com')))).toBe(true);
  });

  // Captures whose flows carry several apps on one port (plain HTTP beside TLS on 443) or
  // several hosts on one connection (keep-alive requests, h2c): the learned pack must declare them all.
  test.each(['h2c-requests.pcap', 'prefixes-and-continuations.pcap', 'reuse-and-text-names.pcap', 'roles-and-request-shapes.pcap'])(
    'round trip on captures/%s: every flow and query declared by the pack learned from it',
    (name) => {
      const file = path.join(REPO_ROOT, 'captures', name);
      const rec = replay([file], []);
      const pack = loadPackText(renderLearnedYaml(learnRules(rec.flows, rec.dns), { device: 'd', captures: [name], retrieved: '2024-06-01' }), 'learned.yaml');
      const judged = new PolicyEngine([pack]).judgeRun(rec.flows, rec.dns);
      expect(judged.flows.filter((f) => f.verdict === 'undeclared').map((f) => `${f.remote_port} ${f.app} ${f.name}: ${f.explanation}`)).toEqual([]);
      expect(judged.dns.filter((d) => d.verdict === 'undeclared').map((d) => d.explanation)).toEqual([]);
    },
  );

  test('a file that is not a capture: exit 2, the error with its hint, and no proposal at all', async () => {
    const bad = path.join(tmp.dir, 'not-a-capture.txt');
    fs.writeFileSync(bad, 'hello, this is text\n');
    const out = path.join(tmp.dir, 'never-proposed.yaml');
    const r = await cli(['learn', bad, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^egress-audit: EA_CAPTURE_NOT_A_CAPTURE: .*\n\n  hint: /);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('plain HTTP and TLS to one host on 443 become two rules, each with its app', () => {
    const f = (over: Partial<FlowRecord>): FlowRecord => ({
      type: 'flow', id: 1, proto: 'tcp', direction: 'egress', device_ip: '192.0.2.10', device_port: 40000, remote_ip: '198.51.100.7',
      remote_port: 443, first_ts: 1, last_ts: 2, packets_out: 1, packets_in: 1, bytes_out: 10, bytes_in: 10, app: 'tls', sni: 'api.vendor.example',
      alpn: null, http_host: null, dns_names: null, name: 'api.vendor.example', name_source: 'sni', names: [{ name: 'api.vendor.example', source: 'sni' }], anomalies: [], ...over,
    });
    const learned = learnRules([
      f({}),
      f({ id: 2, app: 'http', sni: null, http_host: 'api.vendor.example', name_source: 'http-host', names: [{ name: 'api.vendor.example', source: 'http-host' }] }),
      f({ id: 3, app: null, sni: null, name: 'api.vendor.example', name_source: 'dns-answer', names: [{ name: 'api.vendor.example', source: 'dns-answer' }] }),
    ]);
    expect(learned.rules.map((r) => [r.app, r.ports, r.hosts, r.flows])).toEqual([
      ['http', [443], ['api.vendor.example'], 1],
      ['tls', [443], ['api.vendor.example'], 2], // the connection without payload folded into the TLS use
    ]);
  });

  test('an address reached without a name whose server presented a certificate: listed for review in a comment, never a host', () => {
    const f = (over: Partial<FlowRecord>): FlowRecord => ({
      type: 'flow', id: 1, proto: 'tcp', direction: 'egress', device_ip: '192.0.2.10', device_port: 40000, remote_ip: '203.0.113.7',
      remote_port: 8883, first_ts: 1, last_ts: 2, packets_out: 1, packets_in: 1, bytes_out: 10, bytes_in: 10, app: 'tls', sni: null,
      alpn: null, http_host: null, dns_names: null, name: null, name_source: null, names: [], anomalies: [], ...over,
    });
    const learned = learnRules([
      f({ server_cert_names: ['device-api.example.com'] }),
      f({ id: 2, server_cert_names: ['device-api.example.com', '*.fw.example.com'] }),
      f({ id: 3, remote_ip: '198.51.100.9', name: 'named.example.com', sni: 'named.example.com', server_cert_names: ['ignored.example.com'] }),
    ]);
    expect(learned.certificates).toEqual([{ address: '203.0.113.7', names: ['device-api.example.com', '*.fw.example.com'] }]);
    const yaml = renderLearnedYaml(learned, { device: 'd', captures: ['c.pcap'], retrieved: '2024-06-01' });
    expect(yaml).toContain('# 203.0.113.7 was reached without a name; its TLS server presented a certificate for device-api.example.com, *.fw.example.com (ask the vendor which name its documentation gives)');
    expect(() => loadPackText(yaml, 'learned.yaml')).not.toThrow();
    const hosts = learned.rules.flatMap((r) => (r.hosts === 'any' ? [] : r.hosts));
    expect(hosts).toContain('203.0.113.7');
    expect(hosts).not.toContain('device-api.example.com');
  });

  test('drift against a pack: used but undeclared, declared but unused, port drift', async () => {
    const r = await cliOut(['learn', SAMPLE, ...DEV, '--rules', 'nebra-hotspot', '--format', 'drift']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/used but undeclared \(5\)/);
    expect(r.stdout).toContain('203.0.113.158 tcp/44158 port-not-documented');
    expect(r.stdout).toMatch(/declared but unused \(0\)/);
    const y = await cliOut(['learn', SAMPLE, ...DEV, '--rules', 'nebra-hotspot']);
    expect(() => loadPackText(y.stdout, 'with-drift.yaml')).not.toThrow();
    expect(y.stdout).toMatch(/^# used but undeclared/m);
  });

  test('--exit-code: 1 when the traffic drifted from the pack, 0 against the pack learned from it, a usage error without --rules', async () => {
    const drifted = await cliOut(['learn', SAMPLE, ...DEV, '--rules', 'nebra-hotspot', '--format', 'drift', '--exit-code']);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(/used but undeclared \(5\)/);
    const learned = path.join(tmp.dir, 'learned-for-exit-code.yaml');
    expect((await cli(['learn', SAMPLE, ...DEV, '-o', learned])).code).toBe(0);
    const clean = await cliOut(['learn', SAMPLE, ...DEV, '--rules', learned, '--format', 'drift', '--exit-code']);
    expect(clean.stdout).toMatch(/used but undeclared \(0\)/);
    expect(clean.code).toBe(0);
    const usage = await cli(['learn', SAMPLE, '--exit-code']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^egress-audit: EA_USAGE: --exit-code needs --rules/);
  });
});

describe('rules show', () => {
  test('every rule id is printed whole (an auditor tells bitbox-ssh-out, -ssh-in and -ssh-disabled apart), whatever the terminal', async () => {
    const r = await cli(['rules', 'show', 'bitbox-base']);
    expect(r.code).toBe(0);
    const d = describePack('bitbox-base');
    expect(d.rules.length).toBeGreaterThan(5);
    for (const rule of d.rules) expect(r.stdout).toMatch(new RegExp(`│ ${rule.id.replace(/[-]/g, '\\-')} +│ ${rule.kind} +│ ${rule.direction} +│ ${rule.proto} +│`));
  });
});

describe('rules doc', () => {
  test('markdown and HTML name each rule with its ports, domains, purpose and source line', async () => {
    const md = await cliOut(['rules', 'doc', 'nebra-hotspot']);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('# Network access requirements: Nebra Helium hotspot');
    expect(md.stdout).toMatch(/\| 443 \| TCP \| tls \| \\\*\\\.nebra\\\.com/);
    const d = describePack('nebra-hotspot');
    for (const r of d.rules) expect(md.stdout).toContain(escapeMarkdown(r.location));
    const html = await cliOut(['rules', 'doc', 'nebra-hotspot', '--format', 'html']);
    for (const r of d.rules) expect(html.stdout).toContain(`<code>${r.location}</code>`);
    expect(html.stdout).not.toMatch(/<script/);
  });
});
