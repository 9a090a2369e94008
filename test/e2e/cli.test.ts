/**
 * The CLI: `run(argv, io)` in-process for exit codes and messages, and the real binary (built
 * by tsc into a private directory) for what only a process shows: standard input, a broken
 * pipe, and the absence of stack traces on stderr.
 *
 * Exit codes: 0 clean, 2 error (usage, unreadable capture, output). A broken pipe is success.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { spawn, spawnSync } from 'child_process';
import { once } from 'events';
import { VERSION } from '../../src/main';
import {
  T0, TCP_ACK, TCP_PSH, TCP_SYN, DNS_A, clientHello, dnsMessage, pcapBytes, tcpPacket, tempDir, udpPacket, TimedPacket,
} from '../helpers/packets';
import { REPO_ROOT } from '../helpers/shared';
import { runCli } from '../helpers/run-cli';
import { makeFlood } from '../bench/make-flood';

const DEV = '192.168.1.10';
const WEB = '93.184.216.34';

/** A small capture: one TLS connection named by SNI (3 packets). */
function tlsCapture(): TimedPacket[] {
  const hello = clientHello('cli.vendor.example');
  return [
    { ts: T0, data: tcpPacket({ src: DEV, dst: WEB, sport: 50000, dport: 443, flags: TCP_SYN, seq: 99 }) },
    { ts: T0 + 1000, data: tcpPacket({ src: WEB, dst: DEV, sport: 443, dport: 50000, flags: TCP_SYN | TCP_ACK, seq: 7, ack: 100 }) },
    { ts: T0 + 2000, data: tcpPacket({ src: DEV, dst: WEB, sport: 50000, dport: 443, flags: TCP_ACK | TCP_PSH, seq: 100, ack: 8, payload: hello }) },
  ];
}

/** `n` one-packet UDP flows (enough NDJSON to fill a pipe many times over). */
function manyFlows(n: number): TimedPacket[] {
  const out: TimedPacket[] = [];
  for (let i = 0; i < n; i++) out.push({ ts: T0 + i, data: udpPacket(DEV, WEB, 10000 + (i % 50000), 9999, new Uint8Array(4)) });
  return out;
}

/** Runs the CLI in-process; stdout (help, version) and stderr are captured. */
const cli = runCli;

const PKG_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const STACK = /^\s+at .+:\d+/m;
const ndjson = (text: string): Array<Record<string, unknown>> => text.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>);

let tmp: ReturnType<typeof tempDir>;
let capture: string;
beforeAll(() => {
  tmp = tempDir('cli');
  capture = tmp.write('tls.pcap', pcapBytes(tlsCapture()));
});
afterAll(() => tmp.cleanup());

describe('run(argv): help, version, usage', () => {
  test('--help exits 0 and describes replay', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('replay');
  });

  test('replay --help exits 0 and lists its flags', async () => {
    const r = await cli(['replay', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--device/);
    expect(r.stdout).toMatch(/--format/);
  });

  test('--version exits 0 and prints one line', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  test('run() from the sources reports the package version, not 0.0.0', async () => {
    // Regression guard (was a bug in src/main.ts, now fixed): VERSION is require('../../package.json'), a path
    // relative to dist/src/main.js. Loaded from src/main.ts (tests, ts-node, library use) it
    // points one directory above the repository, the require fails and --version prints 0.0.0.
    // Resolving from the package root (e.g. walking up to the nearest package.json named
    // egress-audit) works from both places.
    const r = await cli(['--version']);
    expect(VERSION).toBe(PKG_VERSION);
    expect(r.stdout.trim()).toBe(PKG_VERSION);
  });

  test('a bad --device exits 2 with one EA_USAGE line, a hint, and no stack trace', async () => {
    const out = path.join(tmp.dir, 'never-written.ndjson');
    const r = await cli(['replay', capture, '--device', '300.1.2.3', '-o', out]);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    expect(lines[0]).toMatch(/^egress-audit: EA_USAGE: --device 300\.1\.2\.3: /);
    expect(lines.filter((l) => l.startsWith('egress-audit:'))).toHaveLength(1);
    expect(r.stderr).toMatch(/hint: /);
    expect(r.stderr).not.toMatch(STACK);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('--debug adds the stack trace to a usage error', async () => {
    const r = await cli(['replay', capture, '--device', 'nope', '-o', '/dev/null', '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^egress-audit: EA_USAGE: /);
    expect(r.stderr).toMatch(STACK);
  });

  test('an unknown option, format, command or a missing argument: exit 2, one EA_USAGE line and a hint, as every other error', async () => {
    for (const [argv, message] of [
      [['replay', capture, '--frobnicate'], "unknown option '--frobnicate'"],
      [['replay', capture, '--format', 'xml', '-o', '/dev/null'], "option '--format <format>' argument 'xml' is invalid"],
      [['replay'], "missing required argument 'captures'"],
      [['frobnicate'], "unknown command 'frobnicate'"],
    ] as const) {
      const r = await cli([...argv]);
      expect(r.code).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l.trim());
      expect(lines[0].startsWith(`egress-audit: EA_USAGE: ${message}`)).toBe(true);
      expect(lines.slice(1)).toEqual(['  hint: egress-audit --help lists the commands; egress-audit <command> --help their options']);
    }
  });

  test('an empty --fail-on (an unset variable in CI) exits 2 with EA_USAGE instead of turning the gate off', async () => {
    const r = await cli(['replay', capture, '--rules', 'nebra-hotspot', '--fail-on', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^egress-audit: EA_USAGE: --fail-on '': expected any \(default\)[^\n]*\n\n  hint: /);
    expect(r.stderr).not.toMatch(STACK);
  });

  test('a bad --max-flows exits 2 with EA_USAGE and writes no output file', async () => {
    const out = path.join(tmp.dir, 'maxflows.ndjson');
    const r = await cli(['replay', capture, '--max-flows', '0', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^egress-audit: EA_USAGE: --max-flows 0/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('run(argv): bad input', () => {
  test.each([
    ['a missing file', (): string => path.join(tmp.dir, 'no-such.pcap'), 'EA_CAPTURE_NOT_FOUND'],
    ['a text file', (): string => tmp.write('notes.txt', 'these are notes, not packets\n'), 'EA_CAPTURE_NOT_A_CAPTURE'],
    ['an empty file', (): string => tmp.write('empty.pcap', ''), 'EA_CAPTURE_EMPTY'],
    ['a directory', (): string => tmp.dir, 'EA_CAPTURE_NOT_A_CAPTURE'],
  ])('%s exits 2 with one line naming the code and the file, no stack trace', async (_what, make, code) => {
    const file = make();
    const r = await cli(['replay', file, '--format', 'ndjson', '-o', '/dev/null']);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('egress-audit:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^egress-audit: ${code}: `));
    expect(lines[0]).toContain(path.basename(file));
    expect(r.stderr).not.toMatch(STACK);
  });

  test.each([
    ['a missing file', (): string => path.join(tmp.dir, 'no-such.pcap')],
    ['a text file', (): string => tmp.write('notes2.txt', 'these are notes\n')],
    ['an empty file', (): string => tmp.write('empty2.pcap', '')],
  ])('%s: the error line is followed by its hint', async (_what, make) => {
    // Regression guard (was a bug in src/audit.ts + src/main.ts, now fixed): runAudit catches the CaptureError from
    // openCapture and keeps only {code, message} as a CaptureIssue; main.ts then prints
    // "egress-audit: CODE: message" for each issue, so the error's hint ("check the path; use -
    // to read a capture from standard input", "convert other formats with editcap", ...) is never
    // shown. STYLE.md: "Each message is one line, followed by a blank line and the hint."
    const r = await cli(['replay', make(), '-o', '/dev/null']);
    expect(r.stderr).toMatch(/\n\n {2}hint: /);
  });

  test('a truncated capture gives the whole records as output, then exit 2 with one error line', async () => {
    const full = pcapBytes(tlsCapture());
    const cut = tmp.write('cut.pcap', full.subarray(0, full.length - 30)); // inside the third record
    const out = path.join(tmp.dir, 'cut.ndjson');
    const r = await cli(['replay', cut, '--format', 'ndjson', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^egress-audit: EA_CAPTURE_TRUNCATED: .*record 3/m);
    expect(r.stderr).not.toMatch(STACK);
    // Partial results are kept: the two whole packets made a flow, and the summary says what failed.
    const recs = ndjson(fs.readFileSync(out, 'utf8'));
    const flows = recs.filter((x) => x.type === 'flow');
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ device_ip: DEV, remote_ip: WEB, packets_out: 1, packets_in: 1 });
    const summary = recs.find((x) => x.type === 'summary') as { packets: number; errors: { code: string; offset: number }[] };
    expect(summary.packets).toBe(2);
    expect(summary.errors.map((e) => e.code)).toEqual(['EA_CAPTURE_TRUNCATED']);
    // The offset is where the cut record starts: 24-byte header + two whole records.
    const rec1 = 16 + tlsCapture()[0].data.length;
    const rec2 = 16 + tlsCapture()[1].data.length;
    expect(summary.errors[0].offset).toBe(24 + rec1 + rec2);
  });

  test('the truncation error line names the file and the byte offset', async () => {
    // Regression guard (was a bug in src/main.ts, now fixed): issue 2 item 13 asks for "one clear line naming the
    // file and the byte offset"; main.ts prints `${e.code}: ${e.message}` and the reader's
    // message ("the file ends inside record 3: 70 of 100 bytes present") carries neither, while
    // the issue has both (e.file, e.offset).
    const full = pcapBytes(tlsCapture());
    const cut = tmp.write('cut-named.pcap', full.subarray(0, full.length - 30));
    const r = await cli(['replay', cut, '-o', '/dev/null']);
    const line = r.stderr.split('\n').find((l) => l.includes('EA_CAPTURE_TRUNCATED'))!;
    expect(line).toContain('cut-named.pcap');
    expect(line).toMatch(/offset \d+|byte \d+/);
    // Followed by its hint, as every error line is.
    expect(r.stderr).toMatch(/EA_CAPTURE_TRUNCATED: .*\n\n  hint: the file was cut short/);
  });

  test('a good file and a missing file: the good one is still reported, exit 2', async () => {
    const out = path.join(tmp.dir, 'mixed.ndjson');
    const r = await cli(['replay', capture, path.join(tmp.dir, 'missing.pcap'), '--format', 'ndjson', '-o', out]);
    expect(r.code).toBe(2);
    const recs = ndjson(fs.readFileSync(out, 'utf8'));
    expect(recs.filter((x) => x.type === 'flow').map((x) => x.name)).toEqual(['cli.vendor.example']);
  });
});

describe('run(argv): rules lint', () => {
  test('takes built-in pack names as --rules does, and the error summary names only the files with errors', async () => {
    expect(await cli(['rules', 'lint', 'nebra-hotspot', 'radar-pod'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-lint-'));
    try {
      const bad = path.join(tmp, 'typo.yaml');
      fs.writeFileSync(bad, fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/sim-rules/radar.yaml'), 'utf8').replace('ports: [443]', 'port: [443]'));
      const r = await cli(['rules', 'lint', 'radar-pod', bad]);
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/unknown key 'port' in egress\[0\] \(did you mean 'ports'\?\)/);
      expect(r.stderr).toBe(`egress-audit: EA_RULES_INVALID: 1 error in ${bad}\n`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('run(argv): --dns-grace', () => {
  const RESOLVER = '192.168.1.1';
  /**
   * A lookup answered with TTL 60 s, then connection attempts (bare SYNs) to the answered
   * address 50 s, 200 s and 1,000 s later: only a DNS answer can name them.
   */
  function lateUses(): string {
    const pkts: TimedPacket[] = [
      { ts: T0, data: udpPacket(DEV, RESOLVER, 40000, 53, dnsMessage(9, false, 'api.vendor.example', DNS_A)) },
      { ts: T0 + 5000, data: udpPacket(RESOLVER, DEV, 53, 40000, dnsMessage(9, true, 'api.vendor.example', DNS_A, [{ name: 'api.vendor.example', type: DNS_A, ttl: 60, data: WEB }])) },
    ];
    [50, 200, 1000].forEach((s, i) => {
      pkts.push({ ts: T0 + s * 1e6, data: tcpPacket({ src: DEV, dst: WEB, sport: 51000 + i, dport: 8883, flags: TCP_SYN, seq: 1 }) });
    });
    return tmp.write('late-uses.pcap', pcapBytes(pkts));
  }
  const names = (stdout: string): unknown[] => ndjson(stdout).filter((r) => r.type === 'flow' && r.remote_port === 8883).map((r) => r.name);

  test.each<[string[], unknown[]]>([
    [[], ['api.vendor.example', 'api.vendor.example', null]], // the default: TTL + 5 min
    [['--dns-grace', '0'], ['api.vendor.example', null, null]], // the TTL alone
    [['--dns-grace', '20m'], ['api.vendor.example', 'api.vendor.example', 'api.vendor.example']],
  ])('replay %j: flows to the address are named while TTL + grace lasts', async (flags, want) => {
    const out = path.join(fs.mkdtempSync(path.join(tmp.dir, 'grace-')), 'out.ndjson');
    const r = await cli(['replay', lateUses(), '--format', 'ndjson', '-o', out, ...flags]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(names(fs.readFileSync(out, 'utf8'))).toEqual(want);
  });

  test.each(['-1m', '5 minutes', '30d', 'soon'])('a bad --dns-grace %s exits 2 with one EA_USAGE line', async (bad) => {
    const r = await cli(['replay', capture, '--dns-grace', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^egress-audit: EA_USAGE: --dns-grace ${bad.replace(/[-]/g, '\\$&')}: expected a time such as 30s`));
    expect(r.stderr).not.toMatch(STACK);
  });
});

describe('run(argv): live --user', () => {
  test('an unknown --user fails before the capture starts, and no temporary -o file is left behind', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'user-'));
    const r = await cli(['live', 'lo', '-o', path.join(dir, 'out.ndjson'), '--user', 'no-such-user-egress-audit', '--duration', '1s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^egress-audit: EA_USER_UNKNOWN: no such user: no-such-user-egress-audit\n\n  hint: /);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('run(argv): -o FILE', () => {
  test('-o writes NDJSON atomically: the file holds the whole report and nothing else is left', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'o-'));
    const out = path.join(dir, 'report.ndjson');
    const r = await cli(['replay', capture, '--format', 'ndjson', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(fs.readdirSync(dir)).toEqual(['report.ndjson']);
    const recs = ndjson(fs.readFileSync(out, 'utf8'));
    expect(recs.map((x) => x.type)).toEqual(['flow', 'summary']);
    expect(recs[0]).toMatchObject({ name: 'cli.vendor.example', name_source: 'sni', direction: 'egress' });
  });

  test('an existing -o FILE without --force: EA_OUTPUT, exit 2, the file is untouched', async () => {
    const out = tmp.write('existing.ndjson', 'keep me\n');
    const r = await cli(['replay', capture, '--format', 'ndjson', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^egress-audit: EA_OUTPUT: .*existing\.ndjson/);
    expect(r.stderr).toMatch(/hint: .*--force/);
    expect(fs.readFileSync(out, 'utf8')).toBe('keep me\n');
  });

  test('with --force the existing file is replaced', async () => {
    const out = tmp.write('replace.ndjson', 'old\n');
    const r = await cli(['replay', capture, '--format', 'ndjson', '-o', out, '--force']);
    expect(r.code).toBe(0);
    expect(ndjson(fs.readFileSync(out, 'utf8')).at(-1)).toMatchObject({ type: 'summary', flows: 1 });
  });

  test('--format json writes one JSON document with flows, dns and summary', async () => {
    const out = path.join(tmp.dir, 'report.json');
    expect((await cli(['replay', capture, '--format', 'json', '-o', out])).code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { flows: unknown[]; dns: unknown[]; summary: { type: string } };
    expect(doc.flows).toHaveLength(1);
    expect(doc.dns).toEqual([]);
    expect(doc.summary.type).toBe('summary');
  });

  test('--format table (the default) shows the destination and how its name was learned', async () => {
    const out = path.join(tmp.dir, 'report.txt');
    expect((await cli(['replay', capture, '-o', out])).code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain('cli.vendor.example');
    expect(text).toContain('sni');
    expect(text).not.toContain('\u001b'); // no colour codes in a file
  });
});

describe('the binary', () => {
  let buildDir = '';
  let launcher = '';
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') });

  beforeAll(() => {
    // A private build (the shared dist/ may be mid-rebuild by someone else). tsc emits even when
    // an unrelated file has a type error; only a missing main.js fails the suite.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-cli-build-'));
    buildDir = path.join(root, 'dist');
    spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', REPO_ROOT, '--outDir', buildDir], { encoding: 'utf8' });
    if (!fs.existsSync(path.join(buildDir, 'src/main.js'))) throw new Error('tsc did not emit src/main.js');
    fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json')); // for --version
    launcher = path.join(buildDir, 'egress-audit.js');
    fs.writeFileSync(launcher, fs.readFileSync(path.join(REPO_ROOT, 'bin/egress-audit.js'), 'utf8').replaceAll('../dist/src/', './src/'), { mode: 0o755 });
  }, 120_000);
  afterAll(() => { if (buildDir) fs.rmSync(path.dirname(buildDir), { recursive: true, force: true }); });

  const sh = (script: string, input?: Buffer): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: env(), input, maxBuffer: 64 << 20, timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

  test('replay FILE --format ndjson prints the records and exits 0', () => {
    const r = sh(`node ${q(launcher)} replay ${q(capture)} --format ndjson`);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(ndjson(r.stdout).map((x) => x.type)).toEqual(['flow', 'summary']);
  });

  test('started as dist/src/main.js (without the launcher), the CLI still runs: the same records, the same exit status', () => {
    const viaLauncher = sh(`node ${q(launcher)} replay ${q(capture)} --format ndjson`);
    const direct = sh(`node ${q(path.join(buildDir, 'src/main.js'))} replay ${q(capture)} --format ndjson`);
    expect(direct.status).toBe(0);
    expect(direct.stdout).toBe(viaLauncher.stdout);
    expect(sh(`node ${q(path.join(buildDir, 'src/main.js'))} replay /nonexistent.pcap`).status).toBe(2);
  });

  describe('heap cap: a capped worker thread only where the cap can matter', () => {
    /** Runs `cmd` with a preload that reports each Node thread it starts (processes and workers): flags and heap limit. */
    const processes = (cmd: string): { status: number | null; procs: { main: boolean; child: boolean; argv: string[]; limitMb: number }[] } => {
      const probe = tmp.write('probe.js', "require('fs').appendFileSync(process.env.PROBE_OUT, JSON.stringify({ main: require('worker_threads').isMainThread, child: process.env.EGRESS_AUDIT_CHILD === '1', argv: process.execArgv, limitMb: require('v8').getHeapStatistics().heap_size_limit / 2 ** 20 }) + '\\n');\n");
      const outFile = path.join(path.dirname(probe), `probe-${Math.random().toString(36).slice(2)}.ndjson`);
      const r = sh(`PROBE_OUT=${q(outFile)} NODE_OPTIONS=${q(`--require=${probe}`)} ${cmd} > /dev/null 2>&1`);
      const procs = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
      return { status: r.status, procs };
    };
    test('a small capture file: one process (too few packets for the cap to matter, and no second start-up)', () => {
      const r = processes(`${q(launcher)} replay ${q(capture)} --format ndjson`);
      expect(r.status).toBe(0);
      expect(r.procs).toHaveLength(1);
      expect(r.procs[0].argv.some((a) => a.startsWith('--max-old-space-size'))).toBe(false);
    });
    test('standard input (size unknown): one process, the replay in a worker thread with a capped heap', () => {
      const r = processes(`node ${q(launcher)} replay - --format ndjson < ${q(capture)}`);
      expect(r.status).toBe(0);
      expect(r.procs).toHaveLength(2);
      expect(r.procs.filter((p) => p.child)).toHaveLength(0);
      const worker = r.procs.find((p) => !p.main)!;
      expect(worker.limitMb).toBeLessThan(400);
      expect(r.procs.find((p) => p.main)!.limitMb).toBeGreaterThan(400);
    });
    test('a small gzip- or zstd-compressed capture: capped, since it may decompress to any size; same records as the plain file', () => {
      const records = (file: string): unknown[] => ndjson(sh(`node ${q(launcher)} replay ${q(file)} --format ndjson`).stdout).filter((x) => x.type !== 'summary');
      const gz = path.join(path.dirname(capture), 'small.pcap.gz');
      fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(capture)));
      const zstdPlain = path.resolve(__dirname, '../../captures/nanosecond-tls.pcap');
      const zst = path.resolve(__dirname, '../fixtures/zstd/nanosecond-tls.pcap.zst');
      for (const [compressed, plain] of [[gz, capture], [zst, zstdPlain]]) {
        const r = processes(`node ${q(launcher)} replay ${q(compressed)} --format ndjson`);
        expect(r.status).toBe(0);
        expect(r.procs).toHaveLength(2);
        expect(r.procs.find((p) => !p.main)!.limitMb).toBeLessThan(400);
        expect(records(compressed)).toEqual(records(plain));
      }
    });
    test('live capture (signals, terminal display) is re-executed as a capped child process instead', () => {
      const r = processes(`node ${q(launcher)} live --list`);
      // --list needs no cap: one process.
      expect(r.procs).toHaveLength(1);
      const l = processes(`timeout 5 node ${q(launcher)} live ea-no-such-interface --duration 1`);
      expect(l.status).toBe(2); // no such interface
      const child = l.procs.find((p) => p.child)!;
      expect(child.argv).toContain('--max-old-space-size=320');
      expect(child.limitMb).toBeLessThan(400);
    });
    test('a capture file of 32 MiB or more: capped; the value of -o is not taken for an input', () => {
      const big = path.join(path.dirname(capture), 'big.pcap');
      fs.writeFileSync(big, 'not a capture');
      fs.truncateSync(big, 40 * 1024 * 1024); // sparse: large on paper, nothing to read
      const r = processes(`node ${q(launcher)} replay -o ${q(path.join(path.dirname(capture), 'never-written.ndjson'))} ${q(big)}`);
      expect(r.status).toBe(2); // not a capture; the launcher decided on its size alone
      expect(r.procs).toHaveLength(2);
      expect(r.procs.find((p) => !p.main)!.limitMb).toBeLessThan(400);
      expect(processes(`node ${q(launcher)} replay ${q(capture)} -o ${q(path.join(path.dirname(capture), 'out.txt'))} --force`).procs).toHaveLength(1);
    });
    /**
     * Replays a ~39 MB SYN flood (large enough for a worker) to `-o out.<ext>` with `extra`
     * flags, sends SIGINT once the temporary output exists, and checks that the run died of
     * SIGINT leaving neither the output nor its temporary file.
     */
    const interruptLeavesNothing = async (ext: string, extra: string[]): Promise<void> => {
      const dir = fs.mkdtempSync(path.join(tmp.dir, 'sigint-'));
      const { file } = makeFlood('syn', 700_000, path.join(dir, 'syn.pcap'));
      const out = path.join(dir, `out.${ext}`);
      const child = spawn(process.execPath, [launcher, 'replay', file, ...extra, '-o', out], { env: env(), stdio: 'ignore' });
      const exited = once(child, 'exit');
      const tempFile = (): string | undefined => fs.readdirSync(dir).find((f) => f.startsWith(`.out.${ext}.`) && f.endsWith('.tmp'));
      // The worker opens its temporary output before it reads a packet; wait for it (bounded).
      for (let i = 0; i < 1000 && tempFile() === undefined; i++) await new Promise((r) => setTimeout(r, 20));
      expect(tempFile()).toBeDefined();
      child.kill('SIGINT');
      const [code, signal] = await exited;
      expect([code, signal]).toEqual([null, 'SIGINT']);
      expect(fs.readdirSync(dir)).toEqual(['syn.pcap']);
      fs.rmSync(dir, { recursive: true, force: true });
    };
    test('Ctrl-C during a capped replay to -o FILE leaves neither FILE nor its temporary file, and the run dies of SIGINT', async () => {
      await interruptLeavesNothing('ndjson', []);
    }, 60_000);
    test('Ctrl-C during an uncapped replay (--format json) of a large file to -o FILE also leaves nothing behind', async () => {
      await interruptLeavesNothing('json', ['--format', 'json']);
    }, 60_000);
    test('an uncapped replay of a large file to -o FILE runs in a worker without the cap; to stdout, in the main thread', () => {
      const big = path.join(path.dirname(capture), 'big-json.pcap');
      fs.writeFileSync(big, 'not a capture');
      fs.truncateSync(big, 40 * 1024 * 1024);
      const toFile = processes(`node ${q(launcher)} replay ${q(big)} --format json -o ${q(path.join(path.dirname(capture), 'never.json'))}`);
      expect(toFile.status).toBe(2);
      expect(toFile.procs).toHaveLength(2);
      expect(toFile.procs.find((p) => !p.main)!.limitMb).toBeGreaterThan(400);
      const toStdout = processes(`node ${q(launcher)} replay ${q(big)} --format json`);
      expect(toStdout.procs).toHaveLength(1);
    });
    test('--format json (every record kept) is never capped, whatever the input', () => {
      const r = processes(`node ${q(launcher)} replay - --format json < ${q(capture)}`);
      expect(r.status).toBe(0);
      expect(r.procs).toHaveLength(1);
      expect(r.procs[0].limitMb).toBeGreaterThan(400);
    });
    test('a replay that outgrows the cap ends with one EA_MEMORY line and status 2, not a V8 crash dump', () => {
      // A preload that, inside the worker only, keeps allocating until the heap cap is reached.
      const hog = tmp.write('hog.js', "if (!require('worker_threads').isMainThread) { const keep = []; for (;;) keep.push(new Array(1e5).fill(Math.random())); }\n");
      const r = sh(`NODE_OPTIONS=${q(`--require=${hog}`)} node ${q(launcher)} replay - --format ndjson < ${q(capture)}`);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^egress-audit: EA_MEMORY: .*heap cap\n  hint: /);
      expect(r.stderr).not.toMatch(/FATAL|JavaScript heap|at /);
    }, 60_000);
    test('a heap size the user chose is kept: no re-execution', () => {
      const r = processes(`node --max-old-space-size=1000 ${q(launcher)} replay - --format ndjson < ${q(capture)}`);
      expect(r.status).toBe(0);
      expect(r.procs).toHaveLength(1);
      expect(r.procs[0].limitMb).toBeGreaterThan(900);
    });
  });

  test('"-" reads the capture from standard input and gives the same records as the file', () => {
    const fromFile = sh(`node ${q(launcher)} replay ${q(capture)} --format ndjson`);
    const fromStdin = sh(`node ${q(launcher)} replay - --format ndjson < ${q(capture)}`);
    const piped = sh(`cat ${q(capture)} | node ${q(launcher)} replay - --format ndjson`);
    expect(fromStdin.status).toBe(0);
    expect(piped.status).toBe(0);
    const strip = (t: string): unknown[] => ndjson(t).map((x) => (x.type === 'summary' ? { ...x, inputs: undefined } : x));
    expect(strip(fromStdin.stdout)).toEqual(strip(fromFile.stdout));
    expect(strip(piped.stdout)).toEqual(strip(fromFile.stdout));
  });

  test('a broken pipe (| head -1) exits 0 quietly, even with megabytes of output pending', () => {
    // 20 000 one-packet flows ≈ 10 MB of NDJSON: far more than a pipe holds, so the writes after
    // head exits fail with EPIPE.
    const big = tmp.write('many.pcap', pcapBytes(manyFlows(20_000)));
    const r = sh(`node ${q(launcher)} replay ${q(big)} --format ndjson | head -1; echo "status=\${PIPESTATUS[0]}" >&2`);
    expect(r.stderr.trim()).toBe('status=0');
    expect(ndjson(r.stdout)).toHaveLength(1);
  });

  test('a missing capture: exit 2, the error line on stderr, no stack trace, nothing on stdout', () => {
    const r = sh(`node ${q(launcher)} replay ${q(path.join(tmp.dir, 'nope.pcap'))} --format ndjson -o /dev/null`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^egress-audit: EA_CAPTURE_NOT_FOUND: /);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe('');
  });

  test('a missing capture in the table format: only the error, no empty table; with a readable input the table stays', () => {
    const missing = path.join(tmp.dir, 'nope2.pcap');
    const r = sh(`node ${q(launcher)} replay ${q(missing)}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^egress-audit: EA_CAPTURE_NOT_FOUND: /);
    expect(r.stdout).toBe('');
    // One readable input among the missing ones: its results are kept and shown, the exit is still 2.
    const both = sh(`node ${q(launcher)} replay ${q(path.join(REPO_ROOT, 'captures', 'sample-device.pcapng'))} ${q(missing)}`);
    expect(both.status).toBe(2);
    expect(both.stdout).toMatch(/^Top destinations by bytes/);
    expect(both.stdout).toMatch(/error: cannot open .*nope2\.pcap/);
  });

  test('--version exits 0 and prints the package version', () => {
    const r = sh(`node ${q(launcher)} --version`);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(PKG_VERSION);
  });
});
