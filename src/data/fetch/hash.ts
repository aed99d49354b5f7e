// Streaming digests of files on disk (never holding a file in memory).
import * as crypto from 'crypto';
import * as fs from 'fs';

export interface FileDigest {
  bytes: number;
  sha256: string;
  sha1: string;
}

/** SHA-256 and SHA-1 of a file in one streaming pass. */
export function digestFile(file: string): Promise<FileDigest> {
  return new Promise((resolve, reject) => {
    const sha256 = crypto.createHash('sha256');
    const sha1 = crypto.createHash('sha1');
    let bytes = 0;
    fs.createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => {
        const b = chunk as Buffer;
        bytes += b.length;
        sha256.update(b);
        sha1.update(b);
      })
      .on('error', reject)
      .on('end', () => resolve({ bytes, sha256: sha256.digest('hex'), sha1: sha1.digest('hex') }));
  });
}
