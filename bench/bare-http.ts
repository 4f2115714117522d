/**
 * A bare node:http server, the baseline for the token benchmark. It reads each request body,
 * responds with a small JSON body and prints `{"url": "http://127.0.0.1:PORT"}` as the first
 * line on stdout. It binds 127.0.0.1 on a free port.
 *
 * The process stops on SIGTERM or SIGINT, when its stdin closes (the parent exited), or
 * after MAX_LIFETIME_MS.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const MAX_LIFETIME_MS = 15 * 60 * 1000;
const RESPONSE_BODY = JSON.stringify({ ok: true, server: 'bare node:http' });

const server = createServer((request, response) => {
  // Read the whole body before responding, as Tessera does, so that both servers do the same request work.
  request.resume();
  request.on('end', () => {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(RESPONSE_BODY),
      'cache-control': 'no-store',
    });
    response.end(RESPONSE_BODY);
  });
});

await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close(() => process.exit(0));
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
setTimeout(() => {
  console.error(`the bare HTTP server ran for ${MAX_LIFETIME_MS / 60_000} minutes and stops by itself`);
  stop();
}, MAX_LIFETIME_MS).unref();

process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
