// Whether a process on this host is alive (for lock files: a claim whose pid is gone is stale).
import * as fs from 'fs';

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A killed process whose parent never reaps it (an orphan under a PID 1 that does not wait(),
 * as in many containers) stays a zombie: signal 0 still reaches it, yet it is dead. Linux only;
 * elsewhere (no /proc) a process that answers is taken as alive.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state follows the last ')' (comm may itself contain parentheses).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
