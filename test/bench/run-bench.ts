/**
 * `npm run bench`: the end-to-end replay benchmark. Generates the deterministic ~1 GB capture
 * with ../shared/bench/make-bench-pcap.py once (cached outside the repository), replays it
 * several times with NDJSON to /dev/null, and prints median MB/s, packets/s and peak RSS next
 * to `tcpdump -r FILE -w /dev/null` and tshark (on a slice) measured in the same run. It also
 * checks the tool's flow, DNS, SNI and Host counts against the generator's ground truth.
 *
 * Usage: node dist/test/bench/run-bench.js [--profile egress|flowheavy] [--runs N] [--no-tshark]
 * Never part of `npm test`: timing belongs here, not in tests.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, SHARED_DIR } from '../helpers/shared';

interface Measure { wall: number; rssMb: number; user: number; sys: number }

const args = process.argv.slice(2);
const profile = argValue('--profile') ?? 'egress';
const runs = Number(argValue('--runs') ?? 5);
const withTshark = !args.includes('--no-tshark');
const cacheDir = process.env.EGRESS_AUDIT_BENCH_DIR ?? path.join(os.homedir(), '.cache', 'egress-audit-bench');

function argValue(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Runs a command under /usr/bin/time and returns wall seconds and peak RSS. */
function timed(cmd: string, argv: string[]): Measure {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-500)}`);
  const last = r.stderr.trim().split('\n').pop()!.split(' ');
  return { wall: Number(last[0]), rssMb: Number(last[1]) / 1024, user: Number(last[2]), sys: Number(last[3]) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function ensureCapture(): { file: string; truth: string } {
  fs.mkdirSync(cacheDir, { recursive: true });
  const packets = profile === 'flowheavy' ? 3_200_000 : 1_200_000;
  const file = path.join(cacheDir, `bench-${profile}-${packets}.pcap`);
  const truth = `${file}.truth.json`;
  if (!fs.existsSync(file) || !fs.existsSync(truth)) {
    const gen = path.join(SHARED_DIR, 'bench', 'make-bench-pcap.py');
    if (!fs.existsSync(gen)) throw new Error(`generator not found at ${gen} (needs ../shared)`);
    console.log(`generating ${file} (${packets} packets, profile ${profile}) ...`);
    const tmp = `${file}.partial`;
    const r = spawnSync('python3', [gen, '--packets', String(packets), '--seed', '1', '--profile', profile, '--out', tmp, '--truth', truth], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('generator failed');
    fs.renameSync(tmp, file);
  }
  return { file, truth };
}

/** Lines of an NDJSON file, read in chunks (the flow-heavy output is larger than a string may be). */
function* ndjsonLines(file: string): Generator<string> {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 << 20);
  let rest = '';
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      // Cut at the last newline so no UTF-8 sequence or line is split between chunks.
      const cut = buf.lastIndexOf(0x0a, n - 1);
      if (cut < 0) { rest += buf.toString('utf8', 0, n); continue; }
      const lines = (rest + buf.toString('utf8', 0, cut)).split('\n');
      rest = buf.toString('utf8', cut + 1, n);
      for (const l of lines) if (l) yield l;
    }
    if (rest) yield rest;
  } finally {
    fs.closeSync(fd);
  }
}

/** Checks the tool's NDJSON against the generator's sidecar. */
function checkTruth(ndjson: string, truthFile: string): string[] {
  const t = JSON.parse(fs.readFileSync(truthFile, 'utf8'));
  const problems: string[] = [];
  let flows = 0, dnsQueries = 0, tlsSni = 0, noSni = 0, httpHosts = 0;
  const sni = new Map<string, number>();
  for (const line of ndjsonLines(ndjson)) {
    const r = JSON.parse(line);
    if (r.type === 'flow') {
      flows++;
      if (r.app === 'tls') {
        if (r.sni) { tlsSni++; sni.set(r.sni, (sni.get(r.sni) ?? 0) + 1); } else noSni++;
      }
      if (r.app === 'http' && r.remote_port === 80 && r.http_host) httpHosts++;
    } else if (r.type === 'dns' && !r.response_only) dnsQueries++;
  }
  const expect = (what: string, got: number, want: number): void => { if (got !== want) problems.push(`${what}: ${got}, truth ${want}`); };
  expect('flows', flows, t.flows.total);
  expect('dns queries', dnsQueries, t.dns.queries_total);
  expect('tls hellos with SNI', tlsSni, t.tls.client_hellos - t.tls.no_sni);
  expect('tls hellos without SNI', noSni, t.tls.no_sni);
  expect('http first-request hosts', httpHosts, Object.values(t.http.hosts as Record<string, number>).reduce((a, b) => a + b, 0));
  for (const [name, n] of Object.entries(t.tls.sni as Record<string, number>)) if ((sni.get(name) ?? 0) !== n) problems.push(`sni ${name}: ${sni.get(name) ?? 0}, truth ${n}`);
  return problems;
}

function main(): void {
  const { file, truth } = ensureCapture();
  const size = fs.statSync(file).size;
  const packets = JSON.parse(fs.readFileSync(truth, 'utf8')).packets.total as number;
  const bin = path.join(REPO_ROOT, 'bin', 'egress-audit.js');
  console.log(`capture ${file}: ${(size / 1e6).toFixed(0)} MB, ${packets} packets; ${runs} runs each, medians`);

  // Correctness first: one run kept to a file and checked against the sidecar.
  const out = path.join(cacheDir, `out-${profile}.ndjson`);
  timed(bin, ['replay', file, '--format', 'ndjson', '-o', out, '--force']);
  const problems = checkTruth(out, truth);
  console.log(problems.length === 0 ? 'counts: flows, DNS queries, SNI and Host all equal the ground truth' : `COUNT MISMATCH:\n  ${problems.join('\n  ')}`);

  const rows: [string, Measure[], number][] = [];
  const ours: Measure[] = [];
  const tcpdump: Measure[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate the tools so drift on a shared machine hits both alike.
    // Started as an executable, as `egress-audit` and npx start it.
    ours.push(timed(bin, ['replay', file, '--format', 'ndjson', '-o', '/dev/null']));
    tcpdump.push(timed('tcpdump', ['-r', file, '-w', '/dev/null']));
  }
  rows.push(['egress-audit replay (ndjson → /dev/null)', ours, size]);
  rows.push(['tcpdump -r FILE -w /dev/null', tcpdump, size]);
  if (withTshark) {
    // tshark is ~50x slower: measure it on a slice so the benchmark stays short.
    const sliceCount = Math.min(100_000, packets);
    const slice = path.join(cacheDir, `slice-${profile}-${sliceCount}.pcap`);
    if (!fs.existsSync(slice)) spawnSync('editcap', ['-r', file, slice, `1-${sliceCount}`]);
    const ts: Measure[] = [];
    // The comparable work: TCP reassembly plus the names egress-audit extracts (SNI, DNS, Host).
    const fields = ['-n', '-T', 'fields', '-e', 'tls.handshake.extensions_server_name', '-e', 'dns.qry.name', '-e', 'http.host'];
    for (let i = 0; i < Math.min(runs, 3); i++) ts.push(timed('tshark', ['-r', slice, ...fields]));
    rows.push([`tshark -r SLICE -T fields (SNI, DNS, Host; first ${sliceCount} packets)`, ts, fs.statSync(slice).size]);
  }
  console.log('');
  console.log('| tool | wall s (median) | MB/s | packets/s | peak RSS MB |');
  console.log('|---|---|---|---|---|');
  for (const [name, ms, bytes] of rows) {
    const wall = median(ms.map((m) => m.wall));
    const pk = name.startsWith('tshark') ? Math.min(100_000, packets) : packets;
    console.log(`| ${name} | ${wall.toFixed(2)} | ${(bytes / 1e6 / wall).toFixed(0)} | ${(pk / wall / 1e6).toFixed(2)} M | ${median(ms.map((m) => m.rssMb)).toFixed(0)} |`);
  }
  const oursMbs = size / 1e6 / median(ours.map((m) => m.wall));
  const tdMbs = size / 1e6 / median(tcpdump.map((m) => m.wall));
  console.log(`\nratio egress-audit / tcpdump: ${(oursMbs / tdMbs).toFixed(2)}x`);
  if (withTshark) {
    const t = rows[2];
    const tsMbs = t[2] / 1e6 / median(t[1].map((m) => m.wall));
    console.log(`ratio egress-audit / tshark: ${(oursMbs / tsMbs).toFixed(0)}x`);
  }
  if (problems.length > 0) process.exitCode = 1;
}

main();
