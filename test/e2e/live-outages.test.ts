/**
 * `egress-audit live` under conditions a device owner meets, each on a real link of the namespace
 * lab (test/e2e/live-lab.ts), with curl against nginx and dig against dnsmasq on the far side:
 * the capture link going down and up mid-run (libpcap and the tcpdump fallback), the capture
 * interface deleted mid-run, `-o` on a file system that fills (a small tmpfs in a private mount
 * namespace, `unshare -m`; replay too), `--write` with `--user` into a directory that account
 * cannot write, and a run that sees no packet at all.
 * Skips itself, with the reason in the title, when not root or a tool is missing. Every wait is
 * bounded; afterAll removes the namespaces, links, servers and directories, also on failure.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tsChildArgs } from '../unit/native/netns';
import {
  createLab, destroyLab, dev, DEVICE_IP, FAR, labExists, labSkipReason, parseNdjson, sleep, startLive, waitExit, waitUntil,
  type Lab, type LiveChild,
} from './live-lab';

const CLI_ENTRY = path.resolve(__dirname, '../helpers/cli-entry.ts');
const REPO = path.resolve(__dirname, '../..');

/** Why a private mount namespace with a tmpfs cannot be made here, or null. */
function mountSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (a tmpfs in a private mount namespace)';
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt'], { encoding: 'utf8' });
  return r.status === 0 ? null : `cannot mount a tmpfs in a private mount namespace: ${(r.stderr || String(r.error)).trim()}`;
}

const labSkip = labSkipReason() ?? (spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0 ? null : 'needs nginx (apt-get install nginx)');
const mountSkip = mountSkipReason();
const describeLab = labSkip === null ? describe : (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${labSkip}]`, fn);
const describeMount = mountSkip === null ? describe : (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${mountSkip}]`, fn);

type Rec = Record<string, unknown>;
type Summary = Rec & { capture: { link_outages: { start: number; end: number | null; seconds: number | null }[] }; errors: Rec[] };

/** nginx on the far side, at the tracker's address (the lab's own servers hold 80 and 443). */
const NGINX_PORT = 8080;
/** A second link of the lab (for the deletion test): the device's end, its address, the far end. */
const SECOND = { devIf: 'eadx0', farIf: 'eafx0', devIp: '203.0.113.10', farIp: '203.0.113.1' };

// Runs everywhere, so this file is never entirely skipped and jest shows the reasons above.
test('prerequisites are known', () => {
  expect(labSkip === null || labSkip.length > 0).toBe(true);
  expect(mountSkip === null || mountSkip.length > 0).toBe(true);
});

/** Waits until the child says it is capturing. */
async function listening(live: LiveChild): Promise<void> {
  const ok = await waitUntil(() => /listening on/.test(live.stderr()) || live.child.exitCode !== null, 30_000);
  if (!ok || live.child.exitCode !== null) throw new Error(`live did not start: ${live.stderr()}`);
}

function summaryOf(recs: Rec[]): Summary {
  const s = recs[recs.length - 1];
  expect(s.type).toBe('summary');
  return s as Summary;
}

/** The stderr lines of one error: `egress-audit: CODE: ...`, a blank line, `  hint: ...`. */
function errorLines(stderr: string, code: string): { message: string; hint: string } | null {
  const m = new RegExp(`^egress-audit: ${code}: (.*)\\n\\n  hint: (.*)$`, 'm').exec(stderr);
  return m ? { message: m[1], hint: m[2] } : null;
}

/** A shell in a private mount namespace with a full tmpfs at `dir` (only a filler file in it); prints `exit=N` and the directory's names after `cmd`. */
function onFullDisk(dir: string, cmd: string[]): ChildProcess & { out: () => string; err: () => string } {
  fs.mkdirSync(dir, { recursive: true });
  const script = [
    `mount -t tmpfs -o size=64k tmpfs "$1" || exit 99`,
    `dd if=/dev/zero of="$1/fill" bs=1k 2>/dev/null`, // until ENOSPC: the disk is full
    'shift',
    '"$@"',
    'echo "exit=$?"',
    `ls -A "$OLDDIR"`,
  ].join('\n');
  const child = spawn('unshare', ['-m', 'sh', '-c', script, 'sh', dir, ...cmd], {
    stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, OLDDIR: dir },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return Object.assign(child, { out: () => out, err: () => err });
}

/** Resolves when `child` exits, or kills its whole process group after `ms` and resolves 'timeout'. */
function exitOrKill(child: ChildProcess, ms: number): Promise<number | string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      resolve('timeout');
    }, ms);
    child.on('exit', (code, sig) => { clearTimeout(timer); resolve(code ?? sig ?? -1); });
  });
}

describeLab('live when the link or the disk fails under it', () => {
  let lab: Lab | undefined;
  let userDir: string | undefined;
  const children: LiveChild[] = [];
  const groups: ChildProcess[] = [];

  beforeAll(async () => {
    lab = await createLab();
    const l = lab;
    const conf = path.join(l.dir, 'nginx.conf');
    fs.writeFileSync(conf, [
      'daemon off;', 'master_process off;', `pid ${path.join(l.dir, 'nginx.pid')};`, `error_log ${path.join(l.dir, 'nginx-error.log')};`, 'events {}',
      'http {', '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${l.dir};`),
      `  server { listen ${FAR.tracker}:${NGINX_PORT}; location / { return 200 "ok\\n"; } }`, '}', '',
    ].join('\n'));
    l.servers.push(spawn('ip', ['netns', 'exec', l.farNs, 'nginx', '-c', conf], { stdio: 'ignore' }));
    if (!(await waitUntil(() => curlNginx(), 15_000))) throw new Error('nginx did not answer');
  }, 60_000);

  afterAll(() => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    for (const g of groups) if (g.exitCode === null) try { process.kill(-g.pid!, 'SIGKILL'); } catch { /* gone */ }
    const l = lab;
    destroyLab(l); // the second link, if a test left it, goes with the device namespace
    if (l !== undefined) expect(labExists(l)).toBe(false);
    if (userDir !== undefined) fs.rmSync(userDir, { recursive: true, force: true });
  });

  function live(args: string[], env: Record<string, string> = {}, iface?: string): LiveChild {
    const c = startLive(lab!, args, env, iface);
    children.push(c);
    return c;
  }

  /** One request to nginx from the device (true when it answered). */
  function curlNginx(): boolean {
    return dev(lab!, 'curl', '-s', '-m', '2', `http://${FAR.tracker}:${NGINX_PORT}/`).stdout === 'ok\n';
  }

  /** One lookup at dnsmasq from the device (true when answered). */
  function digApi(): boolean {
    return dev(lab!, 'dig', `@${FAR.dns}`, '+time=1', '+tries=1', '+short', 'api.nebra.com').stdout.trim() === FAR.nebra;
  }

  /** `ip link set down`, then up; the route a down link loses is put back. */
  function setLink(state: 'down' | 'up'): void {
    execFileSync('ip', ['-n', lab!.devNs, 'link', 'set', lab!.devIf, state]);
    if (state === 'up') execFileSync('ip', ['-n', lab!.devNs, 'route', 'replace', '198.51.100.0/24', 'dev', lab!.devIf]);
  }

  test.each([
    ['libpcap', {}],
    ['tcpdump', { EGRESS_AUDIT_NATIVE: '0' }],
  ])('the capture link down for 2.5 s, then a flap shorter than a reading (%s): capturing goes on, both outages are in the summary and on stderr, exit 2', async (_name, env) => {
    const run = live(['--format', 'ndjson'], env);
    await listening(run);
    expect([curlNginx(), digApi()]).toEqual([true, true]);
    await sleep(300);
    const downAt = Date.now() / 1000;
    setLink('down');
    await sleep(2500);
    setLink('up');
    await sleep(1200);
    expect([curlNginx(), digApi()]).toEqual([true, true]); // traffic after the outage is captured too
    execFileSync('sh', ['-c', `ip -n ${lab!.devNs} link set ${lab!.devIf} down && ip -n ${lab!.devNs} link set ${lab!.devIf} up`]);
    setLink('up');
    await sleep(1500);
    expect([curlNginx(), digApi()]).toEqual([true, true]);
    await sleep(300);
    run.child.kill('SIGINT');
    expect(await waitExit(run, 20_000)).toBe(2);

    const recs = parseNdjson(run.stdout());
    const s = summaryOf(recs);
    const [first, flap] = s.capture.link_outages;
    expect(s.capture.link_outages).toHaveLength(2);
    expect(first.start).toBeGreaterThanOrEqual(downAt - 0.1);
    expect(first.start).toBeLessThan(downAt + 1.5); // read once a second
    expect(first.seconds).toBeGreaterThanOrEqual(1.5);
    expect(first.seconds).toBeLessThanOrEqual(4);
    expect(first.end).toBeCloseTo(first.start + first.seconds!, 2);
    // The flap lasts milliseconds: the carrier counter shows it between two readings (length
    // unknown), unless a reading fell inside it.
    expect(flap.end).not.toBeNull();
    expect(flap.seconds === null || flap.seconds <= 1.5).toBe(true);
    expect(s.errors).toEqual([expect.objectContaining({ code: 'EA_CAPTURE_LINK_DOWN', file: lab!.devIf, message: expect.stringMatching(/was down 2 times, .*first at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) })]);
    // Nothing the link carried was lost: the three requests and the three lookups are all there.
    const flows = recs.filter((r) => r.type === 'flow');
    expect(flows.filter((f) => f.remote_ip === FAR.tracker && f.remote_port === NGINX_PORT && f.proto === 'tcp')).toHaveLength(3);
    expect(recs.filter((r) => r.type === 'dns' && r.qname === 'api.nebra.com')).toHaveLength(3);

    const err = run.stderr();
    expect(err).toMatch(new RegExp(`WARNING: ${lab!.devIf} went down at \\S+Z; nothing is captured until it is back`));
    expect(err).toMatch(new RegExp(`${lab!.devIf} is up again at \\S+Z after [\\d.]+ s down; capturing again`));
    const line = errorLines(err, 'EA_CAPTURE_LINK_DOWN');
    expect(line?.hint).toMatch(/capture went on once the link was back/);
  }, 60_000);

  test('the capture interface deleted mid-run: the run ends by itself with exit 2, one error line with a hint, and the report of what was captured', async () => {
    const l = lab!;
    const ipn = (...a: string[]): void => { execFileSync('ip', a); };
    ipn('link', 'add', SECOND.devIf, 'type', 'veth', 'peer', 'name', SECOND.farIf);
    ipn('link', 'set', SECOND.devIf, 'netns', l.devNs);
    ipn('link', 'set', SECOND.farIf, 'netns', l.farNs);
    ipn('-n', l.devNs, 'addr', 'add', `${SECOND.devIp}/24`, 'dev', SECOND.devIf);
    ipn('-n', l.farNs, 'addr', 'add', `${SECOND.farIp}/24`, 'dev', SECOND.farIf);
    ipn('-n', l.devNs, 'link', 'set', SECOND.devIf, 'up');
    ipn('-n', l.farNs, 'link', 'set', SECOND.farIf, 'up');
    // nginx and dnsmasq reached over the second link.
    ipn('-n', l.devNs, 'route', 'add', `${FAR.tracker}/32`, 'dev', SECOND.devIf, 'src', SECOND.devIp);
    ipn('-n', l.devNs, 'route', 'add', `${FAR.dns}/32`, 'dev', SECOND.devIf, 'src', SECOND.devIp);
    const report = path.join(l.dir, 'deleted.ndjson');
    const run = live(['--format', 'ndjson', '-o', report], {}, SECOND.devIf);
    await listening(run);
    expect(await waitUntil(() => curlNginx(), 5_000)).toBe(true);
    expect(digApi()).toBe(true);
    await sleep(300);
    ipn('-n', l.devNs, 'link', 'del', SECOND.devIf);
    const t0 = Date.now();
    expect(await waitExit(run, 10_000)).toBe(2);
    expect(Date.now() - t0).toBeLessThan(5_000);

    const err = run.stderr();
    expect(err.match(/^egress-audit: EA_/gm)).toEqual(['egress-audit: EA_']); // one error, not two for one event
    const line = errorLines(err, 'EA_CAPTURE_FAILED');
    expect(line?.message).toMatch(new RegExp(`^capture on ${SECOND.devIf} stopped: the interface disappeared .*; at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    expect(line?.hint).toMatch(/report covers the traffic up to this point/);
    const recs = parseNdjson(fs.readFileSync(report, 'utf8'));
    const s = summaryOf(recs);
    expect(s.device_prefixes).toEqual([`${SECOND.devIp}/32`]);
    expect(s.errors).toEqual([expect.objectContaining({ code: 'EA_CAPTURE_FAILED' })]);
    expect(s.capture.link_outages).toEqual([{ start: expect.any(Number), end: null, seconds: null }]);
    expect(recs.some((r) => r.type === 'flow' && r.remote_port === NGINX_PORT && r.device_ip === SECOND.devIp)).toBe(true);
  }, 60_000);

  test('-o on a file system that fills: the run stops by itself, one EA_OUTPUT line naming the file with a hint (the --write evidence named), exit 2, no report or temporary left', async () => {
    const l = lab!;
    const full = path.join(l.dir, 'full-live');
    const evidence = path.join(l.dir, 'full-live.pcapng');
    const run = onFullDisk(full, ['ip', 'netns', 'exec', l.devNs, process.execPath, ...tsChildArgs(CLI_ENTRY, 'live', l.devIf, '--format', 'ndjson', '-o', path.join(full, 'live.ndjson'), '--write', evidence)]);
    groups.push(run);
    expect(await waitUntil(() => /listening on/.test(run.err()) || run.exitCode !== null, 30_000)).toBe(true);
    // Traffic until the first records are flushed and the write fails (closed connections are written 5 s after their close).
    for (let i = 0; i < 40 && run.exitCode === null && !/^exit=/m.test(run.out()); i++) {
      curlNginx();
      await sleep(250);
    }
    expect(await exitOrKill(run, 15_000)).toBe(0);
    expect(run.out()).toBe('exit=2\nfill\n'); // no report, no temporary: only the filler
    const line = errorLines(run.err(), 'EA_OUTPUT');
    expect(line?.message).toBe(`cannot write ${path.join(full, 'live.ndjson')}: no space left on device (ENOSPC)`);
    expect(line?.hint).toMatch(/^the unfinished report was removed; free space where live\.ndjson goes \(df .*\) or write it elsewhere with -o; the --write evidence \(/);
    expect(line?.hint).toContain(evidence);
    expect(fs.statSync(evidence).size).toBeGreaterThan(100); // the evidence, on another disk, is kept
  }, 90_000);

  test('--write with --user into a directory the account cannot write: refused before capturing (exit 2, a hint, no file); one it can write rotates as that account', async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-live-user-'));
    fs.chmodSync(userDir, 0o755);
    const closed = path.join(userDir, 'root-only');
    fs.mkdirSync(closed, { mode: 0o755 });
    const refused = live(['--format', 'ndjson', '--write', path.join(closed, 'cap.pcapng'), '--write-max-bytes', '4K', '--user', 'nobody']);
    expect(await waitExit(refused, 15_000)).toBe(2); // by itself: no signal
    expect(refused.stderr()).not.toMatch(/listening on/);
    const line = errorLines(refused.stderr(), 'EA_CAPTURE_WRITE');
    expect(line?.message).toContain(`${closed} is not writable (or not reachable) by nobody, which the run switches to (--user)`);
    expect(line?.hint).toBe(`give nobody a directory it can write (e.g. chown nobody ${closed}), or choose another --write path`);
    expect(fs.readdirSync(closed)).toEqual([]);

    const owned = path.join(userDir, 'nobody-owns');
    fs.mkdirSync(owned);
    execFileSync('chown', ['nobody', owned]);
    const run = live(['--format', 'ndjson', '--write', path.join(owned, 'cap.pcapng'), '--write-max-bytes', '4K', '--user', 'nobody']);
    await listening(run);
    for (let i = 0; i < 4; i++) expect(curlNginx()).toBe(true);
    await sleep(300);
    run.child.kill('SIGINT');
    expect(await waitExit(run, 20_000)).toBe(0);
    const files = fs.readdirSync(owned).sort();
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(fs.statSync(path.join(owned, 'cap.1.pcapng')).uid).toBe(Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })));
    expect(parseNdjson(run.stdout()).pop()?.errors).toEqual([]);
  }, 60_000);

  test('a run that sees no packet (SIGINT after 2 s): exit 0, and the report names the device addresses taken from the interface', async () => {
    const l = lab!;
    const report = path.join(l.dir, 'idle.ndjson');
    const nd = live(['--format', 'ndjson', '--filter', 'udp port 9', '-o', report]);
    const table = live(['--format', 'table', '--filter', 'udp port 9']);
    await listening(nd);
    await listening(table);
    await sleep(2000);
    nd.child.kill('SIGINT');
    table.child.kill('SIGINT');
    expect(await waitExit(nd, 10_000)).toBe(0);
    expect(await waitExit(table, 10_000)).toBe(0);
    const [s] = parseNdjson(fs.readFileSync(report, 'utf8'));
    expect(s).toMatchObject({ type: 'summary', packets: 0, flows: 0, device_ips: [], device_source: 'interface', device_prefixes: [`${DEVICE_IP}/32`], errors: [], capture: { received: 0, dropped: 0, if_dropped: 0, link_outages: [] } });
    expect(table.stdout()).toContain(`device addresses (from the capture interface): ${DEVICE_IP} (no traffic from it seen)\n`);
    expect(table.stdout()).toContain('no packets were captured: the link was idle, or --filter let nothing through');
  }, 60_000);
});

describeMount('replay -o on a file system that fills', () => {
  let dir = '';
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-full-replay-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(['ndjson', 'table', 'json'])('--format %s: one EA_OUTPUT line naming the file, with a hint; exit 2; no report or temporary left', async (format) => {
    const target = path.join(dir, `report.${format}`);
    const capture = path.join(REPO, 'captures', 'h2c-requests.pcap');
    const run = onFullDisk(dir, [process.execPath, ...tsChildArgs(CLI_ENTRY, 'replay', capture, '--format', format, '-o', target)]);
    expect(await exitOrKill(run, 30_000)).toBe(0);
    expect(run.out()).toBe('exit=2\nfill\n');
    expect(run.err()).toBe(`egress-audit: EA_OUTPUT: cannot write ${target}: no space left on device (ENOSPC)\n\n  hint: the unfinished report was removed; free space where report.${format} goes (df ${dir}) or write it elsewhere with -o\n`);
  }, 60_000);

  test('--bundle: one EA_OUTPUT line that says the disk is full and nothing was replaced; exit 2; no bundle or temporary left', async () => {
    const target = path.join(dir, 'bundle');
    const capture = path.join(REPO, 'captures', 'sample-device.pcapng');
    const run = onFullDisk(dir, [process.execPath, ...tsChildArgs(CLI_ENTRY, 'replay', capture, '--rules', 'nebra-hotspot', '--format', 'ndjson', '-o', '/dev/null', '--bundle', target)]);
    expect(await exitOrKill(run, 30_000)).toBe(0);
    expect(run.out()).toBe('exit=2\nfill\n');
    expect(errorLines(run.err(), 'EA_OUTPUT')).toEqual({
      message: `cannot write bundle ${target}: no space left on device (ENOSPC)`,
      hint: `nothing was replaced; free space where bundle goes (df ${dir}) or choose another --bundle path`,
    });
  }, 60_000);
});
