/**
 * Child process for live-privileges.test.ts (run through tsChildArgs, never by jest itself):
 * `capture IFACE USER N` opens a live capture, drops to USER, then counts N packets and reports;
 * `drop USER UID GID` becomes UID/GID first (a non-root process), then only tries the drop. The
 * child starts as root and switches itself, after its modules are loaded, so the checkout need
 * not be readable by that user (a clone in a 0700 temporary directory is not). One JSON line per step.
 */
import { LiveSource } from '../../../src/capture/live';
import { dropPrivileges } from '../../../src/capture/privileges';

function say(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

async function capture(iface: string, user: string, want: number): Promise<void> {
  let frames = 0;
  const src: LiveSource = new LiveSource(iface, () => {
    if (++frames === want) void src.stop({ drainMs: 0 });
  }, { filter: 'udp', immediate: true });
  await src.start();
  const ids = dropPrivileges(user);
  say({ step: 'dropped', ids, uid: process.getuid!(), euid: process.geteuid!(), gid: process.getgid!(), groups: process.getgroups!() });
  const err = await src.ended;
  say({ step: 'done', frames, err: err?.message ?? null, stats: src.stats() });
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  try {
    if (mode === 'capture') await capture(args[0], args[1], Number(args[2]));
    else {
      if (args[1] !== undefined) {
        process.setgroups!([Number(args[2])]);
        process.setgid!(Number(args[2]));
        process.setuid!(Number(args[1]));
      }
      say({ step: 'dropped', ids: dropPrivileges(args[0]) });
    }
  } catch (e) {
    say({ step: 'error', code: (e as { code?: string }).code, message: (e as Error).message });
  }
}

void main();
