// npm run bench -- <name> [options]: runs bench/<name>.ts, which prints one JSON line of figures.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace('.bench.ts', ''));
if (!name || !existsSync(join(here, `${name}.bench.ts`))) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}>\n`);
  process.exit(name ? 1 : 0);
}
await import(join(here, `${name}.bench.ts`));
