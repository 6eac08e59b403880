// Console first-screen benchmark: a signed-out visit to /console/ in Chromium on 127.0.0.1.
// Prints the JavaScript the login page loads (each file and the total, gzip -9) and how long
// until the login form takes input, from navigation start, median of BENCH_RUNS cold loads.
//   npm run bench -- console
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { launchBrowser } from '../test/support/browser.ts';
import { testDatabase } from '../test/support/test-app.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BUDGET_GZIP = 400 * 1024;

const built = spawnSync(process.execPath, ['scripts/build-console.ts', '--force'], { stdio: 'inherit' });
if (built.status !== 0) throw new Error('console build failed');

const { database, cleanup } = await testDatabase();
const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }, { database, demo: false, worker: false });
const weiloop = await buildApp(config, { logger: pino({ level: 'silent' }) });
const address = await weiloop.app.listen({ port: 0, host: '127.0.0.1' });
const browser = await launchBrowser();

const files = new Map<string, number>();
const interactive: number[] = [];
for (let run = 0; run < RUNS; run++) {
  // A new context each time: an empty cache, as on a first visit.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (run === 0 && url.pathname.endsWith('.js'))
      files.set(url.pathname.split('/').pop()!, gzipSync(await response.body(), { level: 9 }).length);
  });
  await page.goto(`${address}/console/`);
  // Interactive: the email field is there and typing into it works.
  await page.fill('#email', 'a@b.c');
  interactive.push(await page.evaluate(() => performance.now()));
  await context.close();
}
await browser.close();
await weiloop.close();
await cleanup();

interactive.sort((a, b) => a - b);
const total = [...files.values()].reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({
    bench: 'console',
    login_js_files: Object.fromEntries([...files].sort((a, b) => b[1] - a[1])),
    login_js_gzip_kb: Number((total / 1024).toFixed(1)),
    budget_kb: BUDGET_GZIP / 1024,
    login_interactive_ms_median: Math.round(interactive[Math.floor(interactive.length / 2)]!),
    login_interactive_ms_runs: interactive.map(Math.round),
  }),
);
