import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build` puts the admin panel. */
export const PANEL_DIRECTORY = fileURLToPath(new URL('../../../web/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The panel's Content-Security-Policy: everything from this origin only, no inline scripts or
 * styles, no framing. The panel's build is made to pass it.
 */
export const PANEL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function setPanelHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', PANEL_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer');
}

function readTree(directory: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(`/${relative(directory, path).split('\\').join('/')}`, readFileSync(path));
    }
  };
  walk(directory);
  return files;
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tessera</title></head>
<body><h1>The admin panel is not built</h1><p>Run <code>npm run build</code> in the Tessera folder and restart the server.
The OAuth endpoints and the admin API under /api/v1 work without it.</p></body></html>`;

/**
 * Serves the admin panel from memory: hashed assets with a long cache lifetime, and index.html
 * for every other GET path that is not an API route, so that the panel's own routes load.
 */
export function registerPanel(app: FastifyInstance, directory = PANEL_DIRECTORY): void {
  const files = existsSync(join(directory, 'index.html')) ? readTree(directory) : new Map<string, Buffer>();
  const index = files.get('/index.html');

  const sendIndex = (reply: FastifyReply) => {
    setPanelHeaders(reply).header('cache-control', 'no-cache');
    if (!index) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    return reply.type('text/html; charset=utf-8').send(index);
  };

  app.get('/assets/*', async (request, reply) => {
    const path = request.url.split('?')[0];
    const file = files.get(decodeURIComponent(path));
    if (!file) return reply.code(404).type('text/plain; charset=utf-8').send(`No panel asset at ${path}.`);

    setPanelHeaders(reply).header('cache-control', 'public, max-age=31536000, immutable');
    return reply.type(CONTENT_TYPES[extname(path)] ?? 'application/octet-stream').send(file);
  });

  app.get('/', async (_request, reply) => sendIndex(reply));

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0];
    const isPanelRoute = request.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/oauth/') && !path.startsWith('/.well-known/');
    if (isPanelRoute && files.has(path)) {
      setPanelHeaders(reply).header('cache-control', 'no-cache');
      return reply.type(CONTENT_TYPES[extname(path)] ?? 'application/octet-stream').send(files.get(path));
    }
    // Panel routes look like /service-accounts/123; a missing file such as /app.js is a plain 404.
    if (isPanelRoute && extname(path) === '') return sendIndex(reply);
    return reply.code(404).send({ error: 'not_found', message: `No route matches ${request.method} ${path}.` });
  });
}
