/**
 * `--user NAME` (src/capture/privileges.ts): the capture handle opened as root keeps working
 * after the process drops to an unprivileged user, and the drop cannot be undone. Runs in child
 * processes (jest itself must stay root). Needs root and a working addon; skips itself, with the
 * reason in the title, otherwise. lookupUser's error runs everywhere.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { loadNative, nativeUnavailableReason } from '../../../src/capture/live';
import { lookupUser } from '../../../src/capture/privileges';
import { netnsSkipReason, sendUdp, tsChildArgs, useVethPair } from '../native/netns';

const CHILD = path.join(__dirname, 'live-privileges-child.ts');
const skipReason = netnsSkipReason() ?? (loadNative() === null ? `needs the native addon (${nativeUnavailableReason()})` : null);
const describeLive = skipReason === null ? describe : (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${skipReason}]`, fn);

/** Runs the child; calls `onLine` per JSON line; resolves with every line once it exits (or is killed after 10 s). */
function runChild(args: string[], opts: { uid?: number; gid?: number }, onLine: (msg: Record<string, unknown>) => void = () => undefined): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, tsChildArgs(CHILD, ...args), { ...opts, cwd: '/', stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        lines.push(msg);
        onLine(msg);
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(killer);
      resolve(lines);
    });
  });
}

test('lookupUser: an unknown user is EA_USER_UNKNOWN with a hint', () => {
  expect(() => lookupUser('ea-no-such-user')).toThrow(expect.objectContaining({ code: 'EA_USER_UNKNOWN', message: 'no such user: ea-no-such-user', hint: expect.stringContaining('--user') }) as unknown as Error);
  expect(lookupUser('0')).toMatchObject({ name: 'root', uid: 0, gid: 0 });
});

describeLive('dropPrivileges (--user)', () => {
  const vethPair = useVethPair();

  test('capture keeps working after dropping to nobody; groups, gid and uid all change', async () => {
    const nobody = lookupUser('nobody');
    let sending: Promise<void> | undefined;
    const lines = await runChild(['capture', vethPair().rootIf, 'nobody', '5'], {}, (msg) => {
      if (msg.step === 'dropped') sending = sendUdp(vethPair(), [{ count: 5, size: 20, port: 5555 }]);
    });
    await sending;
    expect(lines[0]).toMatchObject({ step: 'dropped', uid: nobody.uid, euid: nobody.uid, gid: nobody.gid, groups: [nobody.gid] });
    expect(lines[1]).toMatchObject({ step: 'done', frames: 5, err: null });
    expect((lines[1].stats as { received: number }).received).toBeGreaterThanOrEqual(5);
  });

  test('a non-root process cannot drop: EA_PRIVILEGE_DROP', async () => {
    const nobody = lookupUser('nobody');
    const lines = await runChild(['drop', 'daemon', String(nobody.uid), String(nobody.gid)], {});
    expect(lines).toEqual([expect.objectContaining({ step: 'error', code: 'EA_PRIVILEGE_DROP' })]);
  });
});
