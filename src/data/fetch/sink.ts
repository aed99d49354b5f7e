// A file being written from an archive member: bytes go to disk with backpressure and through a
// SHA-256, so the manifest can record what was extracted without reading it back.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { once } from 'events';
import { UserError } from '../../util/errors';

export interface ExtractedFile {
  /** Path under the dataset folder (the table's target name). */
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * The most bytes the members of one download may expand to, together and each (a decompression
 * bomb stops here instead of filling the disk). Shared by the sinks of one extraction.
 */
export class ExtractBudget {
  used = 0;
  constructor(
    readonly archive: string,
    readonly limit: number,
  ) {}

  take(target: string, memberBytes: number, chunk: number): void {
    this.used += chunk;
    if (memberBytes > this.limit || this.used > this.limit) {
      throw new UserError(
        `${this.archive}: ${memberBytes > this.limit ? `member ${target}` : 'the members'} expand past ${this.limit} bytes, the limit for this download ` +
          '(a damaged archive or a decompression bomb); nothing extracted',
      );
    }
  }
}

/** No archive ldr knows expands past this unless its source says so (sources.ts maxExtractedBytes). */
export const DEFAULT_EXTRACT_LIMIT = 4 * 1024 ** 3;

export class FileSink {
  private readonly out: fs.WriteStream;
  private readonly hash = crypto.createHash('sha256');
  private bytes = 0;
  private failure: Error | undefined;

  constructor(
    private readonly file: string,
    private readonly target: string,
    private readonly budget: ExtractBudget = new ExtractBudget(file, DEFAULT_EXTRACT_LIMIT),
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.out = fs.createWriteStream(file);
    this.out.on('error', (err) => (this.failure ??= err));
  }

  async write(chunk: Buffer): Promise<void> {
    this.check();
    this.budget.take(this.target, this.bytes + chunk.length, chunk.length);
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (!this.out.write(chunk)) await once(this.out, 'drain').catch((err) => (this.failure ??= err));
    this.check();
  }

  async close(): Promise<ExtractedFile> {
    this.check();
    await new Promise<void>((resolve) =>
      this.out.end((err?: Error | null) => {
        if (err) this.failure ??= err;
        resolve();
      }),
    );
    this.check();
    return { path: this.target, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Drop the file on an error path (the caller removes the whole temp folder anyway). */
  abort(): void {
    this.out.destroy();
  }

  private check(): void {
    // Disk full, permissions: a user-facing one-liner naming the file.
    if (this.failure) throw new UserError(`cannot write ${this.file}: ${this.failure.message}`);
  }
}
