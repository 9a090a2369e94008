/**
 * The live-capture speed bar (a benchmark, not a test): 64-byte UDP frames replayed by tcpreplay
 * into one end of a veth pair for 10 s per rate, captured on the other end by the real live
 * pipeline (`runLive`, NDJSON to /dev/null) and, for comparison, by `tcpdump -w /dev/null` with
 * the same kernel buffer. Prints, per rate: packets sent, received, kernel drops, and the main
 * thread's busy time per packet (event-loop utilisation: JavaScript plus the batch callbacks),
 * beside whole-process CPU per packet (includes libpcap's reader thread).
 *
 * Usage (root, tcpreplay installed):
 *   npx tsc -p . && node dist/test/bench/live-rate.js [--seconds 10] [--rates 250000,350000,500000,max]
 * Never part of `npm test`; it only creates and removes its own namespace and veth pair.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { PcapWriter } from '../../src/capture/pcap-writer';
import { LINKTYPE_ETHERNET } from '../../src/capture/source';
import { runLive } from '../../src/live';
import { OutputFile } from '../../src/report/output';
import { createVethPair, destroyVethPair, type VethPair } from '../unit/native/netns';

const args = process.argv.slice(2);
const seconds = Number(argValue('--seconds') ?? 10);
const rates = (argValue('--rates') ?? '250000,350000,500000,max').split(',');
const BUFFER_BYTES = 32 * 1024 * 1024;
const FRAME_BYTES = 64;
const FRAMES_IN_FILE = 50_000;

function argValue(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** One measured run. */
interface Row { tool: string; rate: string; sent: number; sentPps: number; received: number; dropped: number; mainUsPerPkt?: number; cpuUsPerPkt?: number }

/** Writes FRAMES_IN_FILE 64-byte Ethernet/IPv4/UDP frames (1024 source ports) from the namespace end to its static neighbour. */
function craftPcap(file: string, pair: VethPair): void {
  const w = new PcapWriter(file, { linkType: LINKTYPE_ETHERNET });
  const src = pair.nsAddr.split('.').map(Number);
  const dst = pair.peerAddr.split('.').map(Number);
  for (let i = 0; i < FRAMES_IN_FILE; i++) {
    const f = new Uint8Array(FRAME_BYTES);
    f.set([0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x10, 0x08, 0x00], 0);
    const ipLen = FRAME_BYTES - 14;
    f.set([0x45, 0, ipLen >> 8, ipLen & 0xff, (i >> 8) & 0xff, i & 0xff, 0x40, 0, 64, 17, 0, 0, ...src, ...dst], 14);
    let sum = 0;
    for (let j = 14; j < 34; j += 2) sum += (f[j] << 8) | f[j + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const ck = ~sum & 0xffff;
    f[24] = ck >> 8; f[25] = ck & 0xff;
    const sport = 10000 + (i % 1024);
    const udpLen = ipLen - 20;
    f.set([sport >> 8, sport & 0xff, 0, 9, udpLen >> 8, udpLen & 0xff, 0, 0], 34);
    w.writePacket(1_700_000_000_000_000 + i, f);
  }
  w.close();
}

/** Runs tcpreplay in the namespace for `seconds` at `rate` pps ('max' = --topspeed); returns packets sent and the achieved rate. */
function replayArgs(pair: VethPair, file: string, rate: string): string[] {
  const speed = rate === 'max' ? ['--topspeed'] : ['--pps', rate];
  return ['netns', 'exec', pair.ns, 'tcpreplay', '-q', '-i', pair.nsIf, ...speed, '--loop', '0', '--duration', String(seconds), file];
}

function parseReplay(out: string): { sent: number; pps: number } {
  const actual = /Actual:\s*(\d+) packets/.exec(out);
  const rated = /Rated:.*?([\d.]+) pps/.exec(out);
  return { sent: actual ? Number(actual[1]) : NaN, pps: rated ? Number(rated[1]) : NaN };
}

function runTcpreplay(pair: VethPair, file: string, rate: string): Promise<{ sent: number; pps: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', replayArgs(pair, file, rate), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(parseReplay(out)));
  });
}

async function measureEgressAudit(pair: VethPair, file: string, rate: string): Promise<Row> {
  const abort = new AbortController();
  const out = OutputFile.open('/dev/null');
  let started!: () => void;
  const ready = new Promise<void>((r) => (started = r));
  const run = runLive({
    iface: pair.rootIf,
    format: 'ndjson',
    pipeline: { devices: [] },
    capture: { bufferBytes: BUFFER_BYTES, backend: 'native' },
    signal: abort.signal,
    onStarted: () => started(),
  }, out);
  await ready;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const sent = await runTcpreplay(pair, file, rate);
  await new Promise((r) => setTimeout(r, 300));
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  abort.abort();
  const res = await run;
  out.commit();
  const cap = res.summary.capture!;
  const packets = res.summary.packets;
  return {
    tool: 'egress-audit live', rate, sent: sent.sent, sentPps: sent.pps, received: packets, dropped: cap.dropped + cap.if_dropped,
    mainUsPerPkt: (elu.active * 1000) / Math.max(1, packets),
    cpuUsPerPkt: (cpu.user + cpu.system) / Math.max(1, packets),
  };
}

async function measureTcpdump(pair: VethPair, file: string, rate: string): Promise<Row> {
  const td = spawn('tcpdump', ['-i', pair.rootIf, '-p', '-n', '-B', String(BUFFER_BYTES / 1024), '-w', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  td.stderr.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 100 && !/listening on/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
  const sent = await runTcpreplay(pair, file, rate);
  await new Promise((r) => setTimeout(r, 300));
  const closed = new Promise((r) => td.on('close', r));
  td.kill('SIGINT');
  await closed;
  const num = (re: RegExp): number => Number(re.exec(err)?.[1] ?? NaN);
  return { tool: 'tcpdump -w /dev/null', rate, sent: sent.sent, sentPps: sent.pps, received: num(/(\d+) packets? captured/), dropped: num(/(\d+) packets? dropped by kernel/) };
}

function print(rows: Row[]): void {
  console.log(`\n64-byte UDP over veth, ${seconds} s per rate, kernel buffer ${BUFFER_BYTES >> 20} MiB, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
  console.log('tool                  target     sent        achieved pps  captured    drops     main-thread µs/pkt  process CPU µs/pkt');
  for (const r of rows) {
    console.log([
      r.tool.padEnd(21), r.rate.padEnd(10), String(r.sent).padEnd(11), r.sentPps.toFixed(0).padEnd(13), String(r.received).padEnd(11), String(r.dropped).padEnd(9),
      (r.mainUsPerPkt?.toFixed(3) ?? '-').padEnd(19), r.cpuUsPerPkt?.toFixed(3) ?? '-',
    ].join(' '));
  }
  const best = (tool: string): string => {
    const ok = rows.filter((r) => r.tool.startsWith(tool) && r.dropped === 0 && r.sent > 0).sort((a, b) => b.sentPps - a.sentPps)[0];
    return ok ? `${ok.sentPps.toFixed(0)} pps` : 'none without drops';
  };
  console.log(`\nhighest rate with zero drops: egress-audit live ${best('egress-audit')}, tcpdump ${best('tcpdump')}`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (veth pair, packet capture)');
  if (spawnSync('tcpreplay', ['--version']).status !== 0) throw new Error('needs tcpreplay (apt-get install tcpreplay)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-live-rate-'));
  const pair = createVethPair();
  const onSignal = (): void => { destroyVethPair(pair); process.exit(130); };
  process.on('SIGINT', onSignal);
  try {
    const file = path.join(dir, 'udp64.pcap');
    craftPcap(file, pair);
    const rows: Row[] = [];
    for (const rate of rates) {
      rows.push(await measureEgressAudit(pair, file, rate));
      rows.push(await measureTcpdump(pair, file, rate));
      const last = rows.slice(-2);
      for (const r of last) console.error(`${r.tool} @ ${r.rate}: sent ${r.sent} (${r.sentPps.toFixed(0)} pps), captured ${r.received}, dropped ${r.dropped}${r.mainUsPerPkt !== undefined ? `, ${r.mainUsPerPkt.toFixed(3)} µs/pkt main thread` : ''}`);
    }
    print(rows);
  } finally {
    destroyVethPair(pair);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
