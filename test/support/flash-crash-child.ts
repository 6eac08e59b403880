// A second Weiloop process selling the same flash sale, to be killed mid-sale by the test
// (SIGKILL: no cleanup, attempts in flight). It reports each "got one" as soon as it is answered.
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';

const setup = JSON.parse(process.env.CRASH_SETUP!) as {
  database: Config['database'];
  masterKey: Config['masterKey'];
  redisUrl: string | null;
  redisPrefix: string;
  appid: string;
  saleId: string;
  buyers: number;
};
const config = loadConfig(
  { PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: setup.redisUrl ?? undefined, REDIS_PREFIX: setup.redisPrefix },
  { database: setup.database, masterKey: setup.masterKey, demo: false, worker: false, simulator: false },
);
const weiloop = await buildApp(config, { logger: pino({ level: 'silent' }), migrate: false });
process.send?.({ ready: true });
let next = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    for (;;) {
      const buyer = next++ % setup.buyers;
      const response = await weiloop.app.inject({
        method: 'POST',
        url: `/shop/${setup.appid}/api/flash-sales/${setup.saleId}/buy`,
        headers: { cookie: `wl_fan=crash${buyer}` },
        payload: { address: { name: '买家', phone: '13800138000', region: '北京', detail: '清河 1 号' } },
      });
      // A child that cannot sell says why and stops, rather than leaving the test waiting.
      if (response.statusCode !== 200) {
        process.send?.({ error: `${response.statusCode} ${response.body}` });
        process.exit(1);
      }
      const answer = response.json() as { result: string; order_id?: string };
      if (answer.result === 'got') process.send?.({ got: answer.order_id });
    }
  }),
);
