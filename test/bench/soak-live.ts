/**
 * Soak benchmark for `live` (not a test): replays the benchmark capture with tcpreplay into one
 * end of a veth pair, over and over for several minutes, while the real live pipeline (`runLive`
 * with the nebra-hotspot rules, NDJSON to /dev/null) captures on the other end; prints RSS, heap,
 * open flows, evictions and drops every interval. Memory must level off once the flow table,
 * DNS cache and held records reach their bounds, however long the run.
 *
 * Usage (root, tcpreplay installed):
 *   npx tsc -p . && node dist/test/bench/soak-live.js [--minutes 5] [--pps 100000] [--every 10] [--file X.pcap]
 * The capture defaults to ~/.cache/egress-audit-bench/bench-egress-1200000.pcap (made by
 * `npm run bench`, or: python3 ../shared/bench/make-bench-pcap.py --packets 1200000 --seed 1
 * --profile egress --out FILE). It only creates and removes its own namespace and veth pair.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runLive } from '../../src/live';
import { policyStageFromFlags } from '../../src/cli/policy-flags';
import { OutputFile } from '../../src/report/output';
import { createVethPair, destroyVethPair } from '../unit/native/netns';

const args = process.argv.slice(2);
const minutes = Number(argValue('--minutes') ?? 5);
const pps = argValue('--pps') ?? '100000';
const everySeconds = Number(argValue('--every') ?? 10);
const file = argValue('--file') ?? path.join(os.homedir(), '.cache', 'egress-audit-bench', 'bench-egress-1200000.pcap');

function argValue(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const mb = (n: number): string => (n / 1048576).toFixed(1);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (veth pair, packet capture)');
  if (spawnSync('tcpreplay', ['--version']).status !== 0) throw new Error('needs tcpreplay (apt-get install tcpreplay)');
  if (!fs.existsSync(file)) throw new Error(`no capture at ${file}: run npm run bench once, or pass --file`);
  const pair = createVethPair();
  let replayer: ChildProcess | null = null;
  const cleanup = (): void => {
    replayer?.kill('SIGKILL');
    destroyVethPair(pair);
  };
  process.on('SIGINT', () => { cleanup(); process.exit(130); });
  try {
    // The benchmark capture's frames are up to 1514 bytes; lift the MTU so none is refused.
    spawnSync('ip', ['-n', pair.ns, 'link', 'set', pair.nsIf, 'mtu', '9000']);
    spawnSync('ip', ['link', 'set', pair.rootIf, 'mtu', '9000']);
    const abort = new AbortController();
    const out = OutputFile.open('/dev/null');
    let started!: () => void;
    const ready = new Promise<void>((r) => (started = r));
    const stage = policyStageFromFlags({ rules: ['nebra-hotspot'] }, []);
    const run = runLive({
      iface: pair.rootIf,
      format: 'ndjson',
      pipeline: { devices: [] },
      stage,
      capture: { bufferBytes: 64 << 20, backend: 'native' },
      signal: abort.signal,
      onStarted: () => started(),
    }, out);
    await ready;
    replayer = spawn('ip', ['netns', 'exec', pair.ns, 'tcpreplay', '-q', '-i', pair.nsIf, '--pps', pps, '--loop', '0', '--duration', String(minutes * 60), file], { stdio: 'ignore' });
    const t0 = Date.now();
    console.log(`soak: ${file} at ${pps} pps for ${minutes} min on ${pair.rootIf}; samples every ${everySeconds} s`);
    console.log('elapsed_s  rss_mb  heap_used_mb  external_mb');
    const samples: number[] = [];
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      samples.push(m.rss);
      console.log(`${String(Math.round((Date.now() - t0) / 1000)).padStart(9)}  ${mb(m.rss).padStart(6)}  ${mb(m.heapUsed).padStart(12)}  ${mb(m.external).padStart(11)}`);
    }, everySeconds * 1000);
    await new Promise((r) => replayer!.on('close', r));
    clearInterval(timer);
    abort.abort();
    const res = await run;
    out.commit();
    const s = res.summary;
    console.log(`\npackets ${s.packets}  flows written ${s.flows}  evicted ${JSON.stringify(s.evicted)}  capture ${JSON.stringify(s.capture)}  verdicts ${JSON.stringify(s.verdicts)}`);
    if (samples.length >= 4) {
      const half = samples.slice(Math.floor(samples.length / 2));
      console.log(`RSS over the second half: min ${mb(Math.min(...half))} MB, max ${mb(Math.max(...half))} MB; peak overall ${mb(Math.max(...samples))} MB`);
    }
  } finally {
    cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
