// Builds the merchant console (web/admin) when its sources are newer than the last build, so
// `npm start` on a fresh clone serves it without a separate build step.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', 'web', 'admin');
const built = join(root, 'dist', 'index.html');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const sources = Math.max(newest(join(root, 'src')), statSync(join(root, 'index.html')).mtimeMs, statSync(join(root, 'vite.config.ts')).mtimeMs);
if (!existsSync(built) || statSync(built).mtimeMs < sources || process.argv.includes('--force')) {
  const vite = join(import.meta.dirname, '..', 'node_modules', '.bin', 'vite');
  const result = spawnSync(vite, ['build', '--config', join(root, 'vite.config.ts'), '--logLevel', 'warn'], {
    stdio: 'inherit',
    // Always a production build: under vitest NODE_ENV is "test", which gives React's development
    // build (three times the JavaScript, slower), and `npm start` would then serve that dist.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) {
    process.stderr.write('weiloop: building the console failed\n');
    process.exit(result.status ?? 1);
  }
}
