// One `ldr data fetch` per dataset at a time: `<root>/.downloads/<name>.lock` (JSON: pid, host,
// start time), created exclusively. Two fetches of one dataset would share a `.part` and delete
// each other's extraction folder. A lock whose pid is gone (same host) or that is older than a
// day (another host) is stale and taken over.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diskError, ensureDir } from '../../util/atomic';
import { UserError } from '../../util/errors';
import { pidAlive } from '../../util/pid';

/** Exit code when another fetch holds the dataset (EX_TEMPFAIL, as for a held run). */
export const FETCH_LOCK_EXIT_CODE = 75;
const OTHER_HOST_STALE_MS = 24 * 3600 * 1000;

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

export function fetchLockPath(root: string, name: string): string {
  return path.join(root, '.downloads', `${name}.lock`);
}

/** Claim the dataset for this fetch; returns the release function, or throws a UserError (exit 75). */
export function claimFetch(root: string, name: string): () => void {
  const file = fetchLockPath(root, name);
  ensureDir(path.dirname(file));
  const me: Holder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx' });
      return () => {
        try {
          const now = JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
          if (now.pid === me.pid && now.host === me.host && now.startedAt === me.startedAt) fs.rmSync(file, { force: true });
        } catch {
          // gone already
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        fs.rmSync(file, { force: true }); // a lock cut short by a full disk would look like junk anyway
        throw diskError(file, err);
      }
    }
    let holder: Holder | null = null;
    let ageMs = 0;
    try {
      const st = fs.lstatSync(file);
      ageMs = Math.abs(Date.now() - st.mtimeMs);
      if (st.isFile()) holder = JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
    } catch {
      // vanished or unreadable: stale junk
    }
    const live = holder !== null && (holder.host === os.hostname() ? pidAlive(holder.pid) : ageMs < OTHER_HOST_STALE_MS);
    if (live) {
      throw new UserError(
        `${name}: another \`ldr data fetch\` is fetching it (pid ${holder!.pid} on ${holder!.host}, started ${holder!.startedAt}); wait for it to end`,
        FETCH_LOCK_EXIT_CODE,
      );
    }
    fs.rmSync(file, { force: true, recursive: true });
  }
  throw new UserError(`${name}: cannot claim ${file} (another fetch keeps replacing it)`, FETCH_LOCK_EXIT_CODE);
}
