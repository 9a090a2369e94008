/**
 * Output safety (issue 6 §6) with a real process: a replay writing `-o FILE` that is killed
 * with SIGKILL mid-run leaves the previous report (with --force) or no report at all — never
 * half of one — and NDJSON read through a slow pipe arrives as whole lines only. (Refusing to
 * overwrite without --force is tested in cli.test.ts and test/unit/report/output.test.ts.)
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tsChildArgs } from '../unit/native/netns';
import { REPO_ROOT } from '../helpers/shared';
import { T0, pcapBytes, tempDir, udpPacket, TimedPacket } from '../helpers/packets';

const ENTRY = path.join(REPO_ROOT, 'test', 'fuzz', 'cli-child.ts');
const tmp = tempDir('outsafe');
afterAll(() => tmp.cleanup());

/** `n` one-packet UDP flows: a replay long enough to be killed in the middle. */
function bigCapture(n: number): string {
  const pkts: TimedPacket[] = [];
  for (let i = 0; i < n; i++) pkts.push({ ts: T0 + i, data: udpPacket(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, '198.51.100.1', 10000 + (i % 50000), 9999, new Uint8Array(4)) });
  return tmp.write(`big-${n}.pcap`, pcapBytes(pkts));
}

function child(args: string[]): ChildProcess {
  return spawn(process.execPath, tsChildArgs(ENTRY, ...args), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') } });
}

/** Waits until a temporary report beside `out` holds bytes (the run is mid-way), then SIGKILLs. */
async function killMidRun(args: string[], out: string): Promise<void> {
  const c = child(args);
  const dir = path.dirname(out);
  const prefix = `.${path.basename(out)}.`;
  const exited = new Promise<void>((resolve) => c.on('exit', () => resolve()));
  const t0 = Date.now();
  for (;;) {
    const tmpFile = fs.readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.tmp'));
    if (tmpFile && fs.statSync(path.join(dir, tmpFile)).size > 0) break;
    if (Date.now() - t0 > 60_000) throw new Error('the replay never started writing');
    if (c.exitCode !== null) throw new Error(`the replay ended before it could be killed (exit ${c.exitCode})`);
    await new Promise((r) => setTimeout(r, 20));
  }
  c.kill('SIGKILL');
  await exited;
}

describe('a replay killed with SIGKILL mid-run', () => {
  let capture: string;
  beforeAll(() => { capture = bigCapture(150_000); });

  test('with --force over an existing report: the previous report is left whole', async () => {
    const out = path.join(tmp.dir, 'previous.ndjson');
    fs.writeFileSync(out, '{"type":"summary","previous":true}\n');
    await killMidRun(['replay', capture, '--format', 'ndjson', '-o', out, '--force'], out);
    expect(fs.readFileSync(out, 'utf8')).toBe('{"type":"summary","previous":true}\n');
  });

  test('with no previous report: there is none afterwards (only a hidden temporary)', async () => {
    const out = path.join(tmp.dir, 'fresh.ndjson');
    await killMidRun(['replay', capture, '--format', 'ndjson', '-o', out], out);
    expect(fs.existsSync(out)).toBe(false);
  });
});

test('NDJSON through a slow pipe reader: whole lines only, the summary last', async () => {
  const capture = bigCapture(20_000);
  const c = child(['replay', capture, '--format', 'ndjson']);
  const stdout = c.stdout!;
  let buf = '';
  let lines = 0;
  let bad: string | null = null;
  let last = '';
  stdout.setEncoding('utf8');
  stdout.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines++;
      try { last = (JSON.parse(line) as { type: string }).type; } catch { bad ??= line.slice(0, 200); }
    }
    // A slow consumer: the writer meets a full pipe (EAGAIN) again and again.
    stdout.pause();
    setTimeout(() => stdout.resume(), 1);
  });
  const code = await new Promise<number | null>((resolve) => c.on('close', (status) => resolve(status)));
  expect(code).toBe(0);
  expect(bad).toBeNull();
  expect(buf).toBe(''); // nothing after the last newline
  expect(lines).toBe(20_001);
  expect(last).toBe('summary');
});
