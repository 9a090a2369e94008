/**
 * `--user NAME`: drops root once every capture handle is open, the only place egress-audit changes
 * its identity. It must never be called before the capture is open (it would lose the right to
 * open it), and never leaves the process half-dropped: supplementary groups, gid, then uid, and
 * finally a check that root cannot be regained. Per run, never per packet.
 */
import { execFileSync } from 'child_process';
import { statSync, type Stats } from 'fs';
import { dirname } from 'path';
import { LiveCaptureError } from '../errors';

/** A user resolved through the system's user database (NSS, via id(1)). */
export interface UserIds {
  name: string;
  uid: number;
  gid: number;
}

/** Resolves a user name (or numeric uid) to name, uid and primary gid; throws EA_USER_UNKNOWN. */
export function lookupUser(user: string): UserIds {
  const id = (flag: string): string => execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  try {
    return { name: id('-un'), uid: Number(id('-u')), gid: Number(id('-g')) };
  } catch (e) {
    throw new LiveCaptureError('EA_USER_UNKNOWN', `no such user: ${user}`, {
      hint: 'give an existing unprivileged account to --user, e.g. --user nobody',
      cause: e,
    });
  }
}

/**
 * Switches the process to `user` (groups reduced to its primary group, then gid, then uid) and verifies the switch cannot
 * be undone. Call it after LiveSource.start(): open sockets keep working. A no-op when already
 * running as that user; throws EA_PRIVILEGE_DROP when not root or when root could be regained.
 */
export function dropPrivileges(user: string): UserIds {
  if (typeof process.getuid !== 'function' || typeof process.setuid !== 'function') {
    throw new LiveCaptureError('EA_PRIVILEGE_DROP', '--user is not supported on this platform');
  }
  const ids = lookupUser(user);
  if (process.geteuid!() === ids.uid && process.getuid() === ids.uid) return ids;
  if (process.geteuid!() !== 0) {
    throw new LiveCaptureError('EA_PRIVILEGE_DROP', `cannot switch to user ${ids.name}: not running as root`, {
      hint: 'start as root to use --user, or leave --user out when node has the capture capabilities',
    });
  }
  try {
    process.setgroups!([ids.gid]); // only the primary group: supplementary groups would be extra privilege
    process.setgid!(ids.gid);
    process.setuid(ids.uid);
  } catch (e) {
    throw new LiveCaptureError('EA_PRIVILEGE_DROP', `cannot switch to user ${ids.name}: ${(e as Error).message}`, { cause: e });
  }
  let regained = false;
  try {
    process.setuid(0);
    regained = true;
  } catch {
    // expected: the drop is permanent
  }
  if (regained) throw new LiveCaptureError('EA_PRIVILEGE_DROP', `switched to user ${ids.name} but root could be regained; refusing to continue`);
  return ids;
}

/**
 * Whether the account `uid` (with `gid`, the only group left after the switch) may write to the
 * file or directory whose stat is `st`, by its mode bits: owner, then group, then others, as the
 * kernel decides (root always may). Used before `--user` gives root up, so a path the account
 * cannot write fails at once instead of hours into the run. ACLs are not read.
 */
export function writableBy(st: Stats, uid: number, gid: number): boolean {
  return permits(st, uid, gid, 0o2);
}

/**
 * Whether that account can create files in directory `dir`: it may write there, and search
 * (x) every directory on the way to it — a directory it owns inside root's 0700 one is out of
 * its reach. By mode bits, as writableBy; a path that cannot be read counts as reachable (the
 * create will say what is wrong).
 */
export function canCreateIn(dir: string, uid: number, gid: number): boolean {
  if (uid === 0) return true;
  let st: Stats;
  try {
    st = statSync(dir);
  } catch {
    return true;
  }
  if (!permits(st, uid, gid, 0o2)) return false;
  for (let d = dir; ; d = dirname(d)) {
    try {
      if (!permits(statSync(d), uid, gid, 0o1)) return false;
    } catch {
      return true;
    }
    if (dirname(d) === d) return true;
  }
}

/** The permission bits `bits` (0o4 read, 0o2 write, 0o1 search) of the class that applies to the account. */
function permits(st: Stats, uid: number, gid: number, bits: number): boolean {
  if (uid === 0) return true;
  if (st.uid === uid) return (st.mode & (bits << 6)) !== 0;
  if (st.gid === gid) return (st.mode & (bits << 3)) !== 0;
  return (st.mode & bits) !== 0;
}
