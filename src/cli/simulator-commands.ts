import { dirname, join } from 'node:path';
import Fastify from 'fastify';
import { loadConfig } from '../config.ts';
import { payRoutes } from '../simulator/pay.routes.ts';
import type { FanAction } from '../simulator/simulator.routes.ts';
import { simulatorRoutes } from '../simulator/simulator.routes.ts';
import { createSimulatorState, type TranscriptEntry } from '../simulator/simulator.ts';
import { keepAliveTransport } from '../wechat/http-transport.ts';
import {
  asAccountOwner,
  type Command,
  optional,
  required,
  UsageError,
  type Values,
  write,
} from './command.ts';

function actionFrom(values: Values): FanAction {
  const text = optional(values, 'text');
  if (text) return { type: 'text', content: text };
  const location = optional(values, 'location');
  if (location) {
    const [lat, lng] = location.split(',').map(Number);
    if (!Number.isFinite(lat) || !Number.isFinite(lng))
      throw new UsageError('--location must be LAT,LNG such as 32.04,118.78');
    return {
      type: 'location',
      latitude: lat as number,
      longitude: lng as number,
      label: optional(values, 'label') ?? '',
    };
  }
  const click = optional(values, 'click');
  if (click) return { type: 'click', key: click };
  const scan = optional(values, 'scan');
  if (scan) return { type: 'scan', ticket: scan };
  const event = optional(values, 'event');
  if (event === 'subscribe') return { type: 'subscribe', scene: optional(values, 'scene') };
  if (event === 'unsubscribe') return { type: 'unsubscribe' };
  throw new UsageError(
    'say what the fan does: --text, --location, --click, --scan, or --event subscribe|unsubscribe',
  );
}

/** Renders what the fan sees, the way the chat shows it. */
export function describeEntry(entry: TranscriptEntry): string {
  const m = entry.message as Record<string, unknown>;
  const who = entry.from === 'wechat' ? '微信' : entry.via === 'passive' ? '公众号' : `公众号(${entry.via})`;
  switch (m.type) {
    case 'text':
      return `${who}: ${m.content}`;
    case 'news': {
      const articles = (m.articles as Array<{ title: string; description?: string; url?: string }>) ?? [];
      return articles
        .map(
          (a) => `${who}: [图文] ${a.title}${a.description ? ` — ${a.description}` : ''}\n  ${a.url ?? ''}`,
        )
        .join('\n');
    }
    case 'image':
      return `${who}: [图片 ${m.mediaId}]`;
    case 'template':
      return `${who}: [模板消息 ${m.templateId}] ${JSON.stringify(m.data)}`;
    default:
      return `${who}: [${String(m.type)}]`;
  }
}

export const simulatorCommands: Record<string, Command> = {
  'sim say': {
    summary: 'Act as a fan in the simulator and print what the fan sees',
    usage:
      'sim say --appid wx… --openid o_fan1 (--text 连衣裙 | --location LAT,LNG | --click KEY | --scan TICKET | --event subscribe [--scene S] | --event unsubscribe)',
    options: {
      appid: { type: 'string', description: 'The official account' },
      openid: { type: 'string', description: 'The fan (created if new)' },
      text: { type: 'string', description: 'Send a text message' },
      location: { type: 'string', description: 'Send a location: LAT,LNG' },
      label: { type: 'string', description: 'Place name for --location' },
      click: { type: 'string', description: 'Click a menu button with this key' },
      scan: { type: 'string', description: 'Scan a channel QR code by its ticket' },
      event: { type: 'string', description: 'subscribe or unsubscribe' },
      scene: { type: 'string', description: 'Scene of the QR code behind a subscribe' },
      sim: { type: 'string', description: 'Simulator URL (default: SIM_URL or PUBLIC_URL/sim)' },
    },
    async run(values) {
      const config = loadConfig(process.env);
      const base = optional(values, 'sim') ?? process.env.SIM_URL ?? `${config.publicUrl}/sim`;
      const action = actionFrom(values);
      const appid = required(values, 'appid');
      const openid = required(values, 'openid');
      await asAccountOwner(appid, async (auth) => {
        let response: Response;
        const started = Date.now();
        try {
          response = await fetch(`${base}/apps/${appid}/fans/${encodeURIComponent(openid)}/actions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...auth },
            body: JSON.stringify(action),
            signal: AbortSignal.timeout(20_000),
          });
        } catch {
          throw new UsageError(
            `the simulator is not reachable at ${base}: start Weiloop with "npm start" first`,
          );
        }
        const body = (await response.json()) as {
          seen?: TranscriptEntry[];
          error?: { message: string };
          delivered?: boolean;
        };
        if (!response.ok) throw new UsageError(`simulator: ${body.error?.message ?? response.status}`);
        const seen = body.seen ?? [];
        if (seen.length === 0)
          write(body.delivered ? '(no reply)' : '(not delivered: the account has no server URL)');
        for (const entry of seen) write(describeEntry(entry));
        // Follow-ups (the product list after a search card) arrive through the API a moment later.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const transcript = `${base}/apps/${appid}/fans/${encodeURIComponent(openid)}/transcript?since=${started}`;
        const later = await fetch(transcript, { headers: auth }).then(
          (r) => (r.ok ? (r.json() as Promise<TranscriptEntry[]>) : []),
          () => [],
        );
        const shown = new Set(seen.map((e) => JSON.stringify(e)));
        for (const entry of later) {
          if (entry.from !== 'fan' && !shown.has(JSON.stringify(entry))) write(describeEntry(entry));
        }
      });
    },
  },
  simulator: {
    summary: 'Run only the WeChat simulator (fake API, Pay and fan actions) on its own port',
    usage: 'simulator [--port 3100] [--state data/simulator.json]',
    options: {
      port: { type: 'string', description: 'Port (default 3100)' },
      state: { type: 'string', description: 'JSON file to keep state in across restarts' },
    },
    async run(values) {
      const port = Number(optional(values, 'port') ?? 3100);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError('--port must be an integer between 0 and 65535');
      const config = loadConfig(process.env);
      const stateFile =
        optional(values, 'state') ??
        (config.database.kind === 'sqlite' ? join(dirname(config.database.path), 'simulator.json') : null);
      const sim = createSimulatorState({ stateFile });
      const transport = keepAliveTransport();
      const app = Fastify({ logger: { level: config.logLevel } });
      await app.register(async (scope) => simulatorRoutes(scope, { sim, transport }), {
        prefix: '/sim',
      });
      await app.register(async (scope) => payRoutes(scope, { sim, transport }), {
        prefix: '/sim',
      });
      const address = await app.listen({ port, host: config.host });
      write(`WeChat simulator on ${address}/sim — point WECHAT_API_BASE at it`);
      const stop = () => {
        sim.flush();
        void app.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
  },
};
