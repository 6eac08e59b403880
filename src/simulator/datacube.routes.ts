import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type Body, type Query, type SimulatorDeps, wechatApi } from './sim-http.ts';
import { type SimApp, SimError, type SimFan, type SimulatorState } from './simulator.ts';

const CHINA_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
export const DEFAULT_READ_SHARE = 0.35;
/** Reads come fast then tail off: an exponential delay with this mean, cut at three days. */
const MEAN_READ_DELAY_MS = 8 * 3_600_000;
const MAX_READ_DELAY_MS = 3 * DAY_MS;

const chinaDay = (ms: number) => new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`) - CHINA_OFFSET_MS;

/**
 * Whether and when a fan reads one mass message: two uniform draws from a hash of the app's seed,
 * the message and the fan, so the same run always tells the same story (seeded, not random).
 */
export function readOf(app: SimApp, fan: SimFan, delivery: { msgId: number; at: number }): number | null {
  const digest = createHash('sha256')
    .update(`${app.readSeed ?? app.appId}|${delivery.msgId}|${fan.openid}`)
    .digest();
  const u = digest.readUInt32BE(0) / 2 ** 32;
  if (u >= (app.readShare ?? DEFAULT_READ_SHARE)) return null;
  const v = digest.readUInt32BE(4) / 2 ** 32;
  return delivery.at + Math.min(-Math.log(1 - v) * MEAN_READ_DELAY_MS, MAX_READ_DELAY_MS);
}

function parseDay(value: unknown): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new SimError(61500, 'date format error');
  return value;
}

/** The days asked for: WeChat caps each datacube call's span (one day for articles, seven for users). */
function span(body: Body, maxDays: number): string[] {
  const begin = parseDay(body.begin_date);
  const end = parseDay(body.end_date);
  const days = (dayStart(end) - dayStart(begin)) / DAY_MS + 1;
  if (days < 1 || days > maxDays) throw new SimError(61501, 'date range error');
  return Array.from({ length: days }, (_, i) => chinaDay(dayStart(begin) + i * DAY_MS));
}

/** getarticlesummary: per mass message, the fans who read it on that day (up to now). */
export function articleSummary(sim: SimulatorState, app: SimApp, day: string) {
  const from = dayStart(day);
  const to = Math.min(from + DAY_MS, sim.now() + 1);
  const byMsg = new Map<number, { users: number; key: string }>();
  for (const fan of sim.fans(app.appId))
    for (const delivery of fan.massReceived ?? []) {
      const at = readOf(app, fan, delivery);
      if (at === null || at < from || at >= to) continue;
      const entry = byMsg.get(delivery.msgId) ?? { users: 0, key: delivery.key };
      entry.users += 1;
      byMsg.set(delivery.msgId, entry);
    }
  return [...byMsg].map(([msgId, { users, key }]) => ({
    ref_date: day,
    msgid: `${msgId}_1`,
    title: app.news?.[key]?.[0]?.title ?? '',
    int_page_read_user: users,
    int_page_read_count: users,
    ori_page_read_user: 0,
    ori_page_read_count: 0,
    share_user: 0,
    share_count: 0,
    add_to_fav_user: 0,
    add_to_fav_count: 0,
  }));
}

/** WeChat's datacube (数据统计) endpoints the demo's curves come from. */
export function datacubeRoutes(app: FastifyInstance, deps: SimulatorDeps): void {
  const { sim } = deps;
  const tokenApp = (query: Query) => sim.appForToken(query.access_token);

  app.post('/datacube/getarticlesummary', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const [day] = span((request.body ?? {}) as Body, 1);
      return { list: articleSummary(sim, target, day!) };
    }),
  );

  app.post('/datacube/getusersummary', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const days = span((request.body ?? {}) as Body, 7);
      return { list: days.flatMap((day) => userSummary(sim.fans(target.appId), day)) };
    }),
  );

  app.post('/datacube/getusercumulate', (request, reply) =>
    wechatApi(reply, () => {
      const target = tokenApp(request.query as Query);
      const days = span((request.body ?? {}) as Body, 7);
      const fans = sim.fans(target.appId);
      return {
        list: days.map((day) => ({
          ref_date: day,
          user_source: 0,
          cumulate_user: fans.filter((f) => followingAt(f, dayStart(day) + DAY_MS)).length,
        })),
      };
    }),
  );
}

/** WeChat's user_source for a follow: 30 scanned a QR code, 0 anything else the simulator plays. */
const USER_SOURCE_QR = 30;
const USER_SOURCE_OTHER = 0;

/** Whether the fan followed just before `at`: the last follow or unfollow before it says. */
function followingAt(fan: SimFan, at: number): boolean {
  if (!fan.follows?.length) return fan.subscribed && (fan.subscribeTime ?? 0) < at;
  let following = false;
  for (const event of fan.follows) if (event.at < at) following = event.kind === 'subscribe';
  return following;
}

/**
 * getusersummary for one day: per user_source, follows (new_user) and unfollows (cancel_user);
 * an unfollow counts under the source of the fan's last follow. Only sources with a change appear.
 */
export function userSummary(fans: SimFan[], day: string) {
  const from = dayStart(day);
  const to = from + DAY_MS;
  const bySource = new Map<number, { new_user: number; cancel_user: number }>();
  for (const fan of fans) {
    let source = USER_SOURCE_OTHER;
    for (const event of fan.follows ?? []) {
      if (event.kind === 'subscribe') source = event.scene === null ? USER_SOURCE_OTHER : USER_SOURCE_QR;
      if (event.at < from || event.at >= to) continue;
      const entry = bySource.get(source) ?? { new_user: 0, cancel_user: 0 };
      if (event.kind === 'subscribe') entry.new_user += 1;
      else entry.cancel_user += 1;
      bySource.set(source, entry);
    }
  }
  return [...bySource]
    .sort(([a], [b]) => a - b)
    .map(([user_source, figures]) => ({ ref_date: day, user_source, ...figures }));
}

/** Control API (the merchant's own sign-in): how many delivered fans read, and the seed of who. */
export function readingControlRoute(app: FastifyInstance, sim: SimulatorState): void {
  app.put('/apps/:appId/reading', (request, reply) => {
    const target = sim.app((request.params as { appId: string }).appId);
    const body = (request.body ?? {}) as { share?: unknown; seed?: unknown };
    if (typeof body.share !== 'number' || body.share < 0 || body.share > 1)
      return reply.status(400).send({ error: { code: 'invalid_share', message: 'share is 0–1' } });
    target.readShare = body.share;
    if (typeof body.seed === 'string') target.readSeed = body.seed.slice(0, 64);
    sim.changed();
    return { share: target.readShare, seed: target.readSeed ?? target.appId };
  });
}
