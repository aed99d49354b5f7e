// A real headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
// JSON messages separated by NUL on fds 3 and 4), with node only. Used by the HTML report test.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inflateSync } from 'zlib';
import type { Readable, Writable } from 'stream';

export function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

export class Browser {
  private child: ChildProcess;
  private profile: string;
  private nextId = 1;
  private pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private listeners: ((m: Message) => void)[] = [];
  private buffer = '';

  constructor(executable: string) {
    this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-chromium-'));
    this.child = spawn(
      executable,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', '--no-first-run', '--remote-debugging-pipe', `--user-data-dir=${this.profile}`, 'about:blank'],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const fromBrowser = this.child.stdio[4] as Readable;
    fromBrowser.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        if (msg.id !== undefined && this.pending.has(msg.id)) {
          const p = this.pending.get(msg.id)!;
          this.pending.delete(msg.id);
          if (msg.error) p.reject(new Error(msg.error.message));
          else p.resolve(msg);
        } else {
          for (const l of this.listeners) l(msg);
        }
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const toBrowser = this.child.stdio[3] as Writable;
    toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`DevTools ${method}: no answer in 30 s`)), 30_000);
      this.pending.set(id, {
        resolve: (m) => (clearTimeout(timer), resolve(m.result ?? {})),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  on(listener: (m: Message) => void): void {
    this.listeners.push(listener);
  }

  /** The next event of this name (in this session), within `ms`. */
  waitFor(method: string, sessionId: string, ms = 30_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} in ${ms} ms`)), ms);
      const l = (m: Message) => {
        if (m.method === method && m.sessionId === sessionId) {
          clearTimeout(timer);
          this.listeners = this.listeners.filter((x) => x !== l);
          resolve(m);
        }
      };
      this.listeners.push(l);
    });
  }

  /** A fresh page: its session id, and the problems it reports (console errors, exceptions, error log entries, requests off this machine). */
  async page(width: number, height: number): Promise<{ session: string; problems: string[] }> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const problems: string[] = [];
    this.on((m) => {
      if (m.sessionId !== sessionId) return;
      const p = m.params ?? {};
      if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) problems.push(`console.${p.type}: ${JSON.stringify(p.args)}`);
      if (m.method === 'Runtime.exceptionThrown') problems.push(`exception: ${JSON.stringify(p.exceptionDetails)}`);
      if (m.method === 'Log.entryAdded' && (p.entry as { level: string }).level === 'error') problems.push(`log: ${(p.entry as { text: string }).text}`);
      if (m.method === 'Network.requestWillBeSent') {
        const url = (p.request as { url: string }).url;
        if (!/^(file|data|about):/.test(url)) problems.push(`network request: ${url}`);
      }
    });
    for (const domain of ['Runtime', 'Log', 'Page', 'Network']) await this.send(`${domain}.enable`, {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
    return { session: sessionId, problems };
  }

  async load(session: string, url: string): Promise<void> {
    const loaded = this.waitFor('Page.loadEventFired', session);
    await this.send('Page.navigate', { url }, session);
    await loaded;
  }

  async evaluate<T>(session: string, expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true }, session)) as { result: { value: T } };
    return r.result.value;
  }

  async screenshot(session: string): Promise<Buffer> {
    const r = (await this.send('Page.captureScreenshot', { format: 'png' }, session)) as { data: string };
    return Buffer.from(r.data, 'base64');
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    try {
      await this.send('Browser.close');
    } catch {
      this.child.kill('SIGKILL');
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

/** Decode an 8-bit RGB or RGBA PNG (what Chromium writes) to RGBA pixels. */
export function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit, non-interlaced PNGs');
      colorType = data[9];
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!bpp) throw new Error(`PNG colour type ${colorType} not handled`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const cur = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? cur[y * stride + x - bpp] : 0;
      const b = y > 0 ? cur[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? cur[(y - 1) * stride + x - bpp] : 0;
      let v = src[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[y * stride + x] = v & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = cur[bpp * i];
    rgba[4 * i + 1] = cur[bpp * i + 1];
    rgba[4 * i + 2] = cur[bpp * i + 2];
    rgba[4 * i + 3] = bpp === 4 ? cur[bpp * i + 3] : 255;
  }
  return { width, height, rgba };
}
