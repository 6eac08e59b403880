import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/**
 * Serves a built single-page app from memory under `prefix`: hashed assets cached for a year,
 * everything else answered with index.html. Read once at start: a few files, no disk per request.
 */
export function serveBuiltApp(app: FastifyInstance, prefix: string, dir: string): void {
  const assets = new Map<string, { body: Buffer; type: string }>();
  if (existsSync(join(dir, 'index.html'))) {
    for (const file of files(dir)) {
      assets.set(relative(dir, file).split('\\').join('/'), {
        body: readFileSync(file),
        type: TYPES[extname(file)] ?? 'application/octet-stream',
      });
    }
  }
  // No framing (clickjacking), no plugins, no <base> or form posts elsewhere.
  const csp =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
  app.get(`${prefix}/*`, async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    const asset = assets.get(path);
    if (asset) {
      return reply
        .type(asset.type)
        .header(
          'cache-control',
          path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        )
        .send(asset.body);
    }
    const index = assets.get('index.html');
    if (!index)
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('控制台尚未构建：npm run build:console / The console is not built: npm run build:console');
    return reply
      .type(index.type)
      .header('content-security-policy', csp)
      .header('cache-control', 'no-cache')
      .send(index.body);
  });
  app.get(prefix, async (_request, reply) => reply.redirect(`${prefix}/`));
}
