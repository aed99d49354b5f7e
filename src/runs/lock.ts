// A run folder is claimed by at most one live process: the file `lock` (JSON: pid, host, start
// time) created exclusively, its mtime the heartbeat (touched every ~10 s and at each epoch).
// A claim is stale — and may be taken over — on the same host only when its pid is gone (a paused
// process, e.g. `kill -STOP`, keeps its claim however old its heartbeat), on another host when its
// heartbeat is older than two minutes (or implausibly far in the future). `ldr train` exits with
// LOCK_HELD_EXIT_CODE on a live claim, which `ldr sweep` reads as "running elsewhere".
// Fencing: a process that lost its claim (taken over from another host while it was paused) must
// not write into the folder again. Every run-folder write (checkpoint, metrics, summary) calls
// assertClaim(runDir) first, which re-reads `lock` and throws LostClaimError when it is not ours.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureDir, writeFileAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { pidAlive } from '../util/pid';

export const LOCK_FILE = 'lock';
/** EX_TEMPFAIL: try again later. */
export const LOCK_HELD_EXIT_CODE = 75;
export const HEARTBEAT_MS = 10_000;
export const STALE_MS = 120_000;

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

export type LockState = 'free' | 'live' | 'stale';

export interface LockStatus {
  state: LockState;
  info: LockInfo | null;
  /** Milliseconds since the last heartbeat (null when free). */
  ageMs: number | null;
}

export function lockPath(runDir: string): string {
  return path.join(runDir, LOCK_FILE);
}

/** Whether a run folder is claimed, and by whom. */
export function readLock(runDir: string, now = Date.now()): LockStatus {
  const file = lockPath(runDir);
  let text: string;
  let mtime: number;
  try {
    const st = fs.lstatSync(file);
    // A folder, a (dangling) symlink or anything else in place of the lock file names no process:
    // it is junk that would otherwise block the run forever.
    if (!st.isFile()) return { state: 'stale', info: null, ageMs: null };
    text = fs.readFileSync(file, 'utf8');
    mtime = st.mtimeMs;
  } catch {
    return { state: 'free', info: null, ageMs: null };
  }
  // A heartbeat in the future (clock skew, a touched file) counts by its distance from now, so a
  // claim cannot stay live for hours because of a wrong mtime.
  const ageMs = Math.abs(now - mtime);
  let info: LockInfo | null = null;
  try {
    info = JSON.parse(text) as LockInfo;
  } catch {
    // Unreadable content cannot name a process: only the heartbeat decides.
  }
  return { state: isStale(info, ageMs) ? 'stale' : 'live', info, ageMs };
}

export function lockState(runDir: string): LockState {
  return readLock(runDir).state;
}

function isStale(info: LockInfo | null, ageMs: number): boolean {
  // Same host: the pid decides, whatever the heartbeat says (a SIGSTOPped trainer is alive).
  if (info && info.host === os.hostname()) return !pidAlive(info.pid);
  return ageMs > STALE_MS;
}

/** Thrown by a write into a run folder whose claim this process has lost. */
export class LostClaimError extends UserError {
  constructor(runDir: string, now: LockInfo | null) {
    const who = now ? `pid ${now.pid} on ${now.host} (started ${now.startedAt})` : 'nobody (the lock is gone)';
    super(`lost the claim on ${runDir}: it is now held by ${who}; stopping without writing (exit ${LOCK_HELD_EXIT_CODE})`, LOCK_HELD_EXIT_CODE);
    this.name = 'LostClaimError';
  }
}

/** The claims this process holds, by resolved run folder (for assertClaim). */
const held = new Map<string, RunLock>();

/**
 * Fencing check before a write into `runDir`: throws LostClaimError when this process claimed the
 * folder and the claim is no longer its own. A folder this process never claimed is not checked.
 */
export function assertClaim(runDir: string): void {
  held.get(path.resolve(runDir))?.verify();
}

export class RunLock {
  private timer: NodeJS.Timeout | null = null;
  private lastTouch = Date.now();
  private released = false;
  private lost = false;

  constructor(
    readonly runDir: string,
    readonly info: LockInfo,
  ) {
    this.timer = setInterval(() => this.touch(), HEARTBEAT_MS);
    this.timer.unref();
    held.set(path.resolve(runDir), this);
  }

  /** Whether `lock` still holds this claim (re-read from disk). */
  owned(): boolean {
    if (this.lost || this.released) return false;
    const current = readClaim(this.runDir);
    if (current && sameClaim(current, this.info)) return true;
    this.lost = true;
    return false;
  }

  /** Throws LostClaimError unless `lock` still holds this claim. */
  verify(): void {
    if (!this.owned()) throw new LostClaimError(this.runDir, readClaim(this.runDir));
  }

  /** Refresh the heartbeat (cheap: call it as often as you like; it writes at most every HEARTBEAT_MS / 2). */
  heartbeat(): void {
    if (Date.now() - this.lastTouch >= HEARTBEAT_MS / 2) {
      this.touch();
      // Called from the training loop: a lost claim stops the work now, not only at the next write.
      if (this.lost) this.verify();
    }
  }

  /** Refresh the heartbeat now. */
  touch(): void {
    if (this.released) return;
    // Never refresh someone else's claim (ours was taken over while we were paused).
    if (!this.owned()) return;
    const now = new Date();
    try {
      fs.utimesSync(lockPath(this.runDir), now, now);
      this.lastTouch = now.getTime();
    } catch {
      // The lock vanished (someone deleted the folder): nothing to refresh.
    }
  }

  /** Remove the lock if it is still ours. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (held.get(path.resolve(this.runDir)) === this) held.delete(path.resolve(this.runDir));
    const current = readClaim(this.runDir);
    if (current && sameClaim(current, this.info)) {
      try {
        fs.unlinkSync(lockPath(this.runDir));
      } catch {
        // already gone
      }
    }
  }
}

/** The claim written in `lock`, or null (absent, unreadable, not a file). */
function readClaim(runDir: string): LockInfo | null {
  try {
    return JSON.parse(fs.readFileSync(lockPath(runDir), 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

function sameClaim(a: LockInfo, b: LockInfo): boolean {
  return a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt;
}

export type ClaimResult = { ok: true; lock: RunLock; tookOver: LockInfo | null } | { ok: false; holder: LockStatus };

/**
 * Claim the run folder: exclusive create of `lock`, or take over a stale claim.
 * The lock is written complete to a temp file and hard-linked into place (link fails if
 * `lock` exists), so nobody ever reads a half-written claim.
 */
export function claimLock(runDir: string): ClaimResult {
  ensureDir(runDir);
  const info: LockInfo = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  let tookOver: LockInfo | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(runDir, info)) return { ok: true, lock: new RunLock(runDir, info), tookOver };
    const status = readLock(runDir);
    if (status.state === 'live') return { ok: false, holder: status };
    if (status.state === 'stale') {
      if (!removeIfStill(runDir, status)) return { ok: false, holder: readLock(runDir) };
      tookOver = status.info;
    }
    // 'free': the holder released between our attempts; try again.
  }
  return { ok: false, holder: readLock(runDir) };
}

function tryCreate(runDir: string, info: LockInfo): boolean {
  const tmp = path.join(runDir, `.lock.${process.pid}.${Date.now()}.claim`);
  writeFileAtomic(tmp, JSON.stringify(info) + '\n');
  try {
    fs.linkSync(tmp, lockPath(runDir));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Remove a stale lock, unless someone replaced it in the meantime: move it aside (atomic),
 * check that what we moved is the claim we judged stale, and put it back otherwise.
 */
function removeIfStill(runDir: string, stale: LockStatus): boolean {
  const aside = path.join(runDir, `.lock.stale.${process.pid}.${Date.now()}`);
  try {
    fs.renameSync(lockPath(runDir), aside);
  } catch {
    return true; // gone already: the next create attempt decides
  }
  let moved: LockInfo | null = null;
  try {
    if (fs.lstatSync(aside).isFile()) moved = JSON.parse(fs.readFileSync(aside, 'utf8')) as LockInfo;
  } catch {
    // unreadable: it was the stale one only if that one was unreadable too
  }
  const same = moved === null ? stale.info === null : stale.info !== null && sameClaim(moved, stale.info);
  if (!same) {
    try {
      fs.linkSync(aside, lockPath(runDir));
    } catch {
      // someone else claimed meanwhile; their claim stands
    }
  }
  fs.rmSync(aside, { force: true, recursive: true });
  return same;
}
