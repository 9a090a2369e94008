/**
 * The resource-exhaustion benchmark: replays generated floods (make-flood.ts) through the real
 * binary under /usr/bin/time and reports peak RSS, wall time, flows and evictions from the
 * summary record. Checks the documented bound: peak RSS under 500 MB at the default caps.
 *
 *   node dist/test/bench/flood-bench.js [--flows N] [--kinds syn,tls-partial,far-seq,dns]
 *                                       [--max-flows N] [--cli path/to/egress-audit.js]
 *
 * Never part of `npm test` (a 2 M-flow replay takes tens of seconds). Floods are cached in
 * ~/.cache/egress-audit-bench/; NDJSON goes through a pipe to `tail -n 1`, so only the summary
 * is kept. Exit status 1 when a run exceeds the RSS bound.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../helpers/shared';
import { FloodKind, FLOOD_DIR, makeFlood } from './make-flood';

/** The documented peak-RSS bound at the default caps (README, SECURITY.md). */
export const RSS_BOUND_MB = 500;

/** One measured replay. */
interface FloodResult {
  kind: FloodKind;
  packets: number;
  fileMb: number;
  wallS: number;
  rssMb: number;
  flows: number;
  evictedFlows: number;
  evictedDns: number;
  anomalies: Record<string, number>;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Replays `file` under /usr/bin/time; NDJSON through `tail -n 1` so only the summary is kept. */
function measure(cli: string, file: string, extra: string[]): { wallS: number; rssMb: number; summary: Record<string, unknown> } {
  const timeOut = `${file}.time`;
  const cmd = `set -o pipefail; /usr/bin/time -o ${sh(timeOut)} -f '%e %M' ${sh(process.execPath)} ${sh(cli)} replay ${sh(file)} --format ndjson ${extra.map(sh).join(' ')} | tail -n 1`;
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`replay failed (${r.status}): ${r.stderr.slice(-800)}`);
  const [wall, rssKb] = fs.readFileSync(timeOut, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  fs.rmSync(timeOut, { force: true });
  return { wallS: wall, rssMb: rssKb / 1024, summary: JSON.parse(r.stdout.trim()) as Record<string, unknown> };
}

function main(): void {
  const argv = process.argv.slice(2);
  const flows = Number(arg(argv, '--flows') ?? 2_000_000);
  const kinds = (arg(argv, '--kinds') ?? 'syn,tls-partial,far-seq,dns').split(',') as FloodKind[];
  const cli = arg(argv, '--cli') ?? path.join(REPO_ROOT, 'bin', 'egress-audit.js');
  const extra = arg(argv, '--max-flows') ? ['--max-flows', arg(argv, '--max-flows')!] : [];
  const results: FloodResult[] = [];
  for (const kind of kinds) {
    const file = path.join(FLOOD_DIR, `flood-${kind}-${flows}.pcap`);
    if (!fs.existsSync(file)) makeFlood(kind, flows, file);
    const m = measure(cli, file, extra);
    const s = m.summary as { packets: number; flows: number; evicted: { flows: number; dns_cache: number }; anomalies: Record<string, number> };
    results.push({
      kind, packets: s.packets, fileMb: fs.statSync(file).size / 1e6, wallS: m.wallS, rssMb: m.rssMb,
      flows: s.flows, evictedFlows: s.evicted.flows, evictedDns: s.evicted.dns_cache, anomalies: s.anomalies,
    });
    const r = results[results.length - 1];
    process.stdout.write(`${kind.padEnd(12)} ${String(r.packets).padStart(9)} pkts ${r.fileMb.toFixed(0).padStart(5)} MB  ${r.wallS.toFixed(1).padStart(6)} s  peak RSS ${r.rssMb.toFixed(0).padStart(5)} MB  flows ${r.flows}  evicted flows ${r.evictedFlows}  evicted dns ${r.evictedDns}  anomalies ${JSON.stringify(r.anomalies)}\n`);
  }
  const over = results.filter((r) => r.rssMb > RSS_BOUND_MB);
  if (over.length > 0) {
    process.stdout.write(`OVER THE ${RSS_BOUND_MB} MB BOUND: ${over.map((r) => r.kind).join(', ')}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) main();
