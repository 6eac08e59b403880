// A child process that measures a server's no-op route: `node bench/noop-load.ts URL LANES COUNT`
// prints {"rps":…}. Run apart from the server's process, as a sending worker is, so the figure is
// the same machine's HTTP ceiling for one request per message.
import { httpClient, runLoad } from './http-load.ts';

const [url = '', lanes = '48', count = '20000'] = process.argv.slice(2);
const target = new URL(url);
const client = httpClient(target.origin, Number(lanes));
const body = JSON.stringify({ touser: 'o_noop', template_id: 'TM_NOOP', data: { first: { value: '您好' } } });
await runLoad(Math.min(2_000, Number(count)), Number(lanes), async () => {
  await client.send('POST', target.pathname, body);
});
const { perSecond } = await runLoad(Number(count), Number(lanes), async () => {
  await client.send('POST', target.pathname, body);
});
process.stdout.write(`${JSON.stringify({ rps: perSecond })}\n`);
process.exit(0);
