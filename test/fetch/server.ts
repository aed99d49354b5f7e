// A file server on 127.0.0.1 (port chosen by the OS) with misbehaviours on demand: drop the
// connection mid-body once or every time, ignore Range, redirect. Logs every request it sees.
import * as http from 'http';
import type { AddressInfo } from 'net';

export type Mode =
  | 'normal' // honours Range
  | 'drop-once' // first request: headers + half the body, then the socket is destroyed
  | 'drop-always' // every request: socket destroyed before any answer
  | 'drop-headers' // every request: headers with Content-Length, then the socket is destroyed
  | 'no-range' // always answers 200 with the whole file
  | 'endless' // 200 without Content-Length, the body repeated without end (stops by itself after 64 MiB)
  | 'drip'; // 200 with Content-Length, then one byte every 100 ms (stops by itself after 200 bytes)

export interface Route {
  body: Buffer;
  mode?: Mode;
  /** Requests answered so far (set by the server). */
  served?: number;
}

export interface LoggedRequest {
  path: string;
  range?: string;
}

export interface TestServer {
  url: string;
  routes: Map<string, Route>;
  redirects: Map<string, string>;
  log: LoggedRequest[];
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Route>();
  const redirects = new Map<string, string>();
  const log: LoggedRequest[] = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const range = req.headers.range;
    log.push({ path, ...(range ? { range } : {}) });
    const to = redirects.get(path);
    if (to) {
      res.writeHead(302, { location: to });
      res.end();
      return;
    }
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const count = (route.served ?? 0) + 1;
    route.served = count;
    const { body } = route;
    const mode = route.mode ?? 'normal';
    if (mode === 'drop-always') {
      req.socket.destroy();
      return;
    }
    if (mode === 'drop-headers') {
      res.writeHead(200, { 'content-length': body.length });
      res.flushHeaders();
      setTimeout(() => req.socket.destroy(), 10);
      return;
    }
    if (mode === 'drop-once' && count === 1) {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    if (mode === 'endless') {
      res.writeHead(200);
      let sent = 0;
      const more = (): void => {
        while (sent < 64 * 1024 * 1024 && !res.destroyed) {
          sent += body.length;
          if (!res.write(body)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
      return;
    }
    if (mode === 'drip') {
      res.writeHead(200, { 'content-length': body.length });
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= Math.min(200, body.length)) {
          clearInterval(timer);
          res.destroy();
          return;
        }
        res.write(body.subarray(i, i + 1));
        i++;
      }, 100);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(range ?? '');
    if (m && mode !== 'no-range') {
      const start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` });
        res.end();
        return;
      }
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    routes,
    redirects,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
