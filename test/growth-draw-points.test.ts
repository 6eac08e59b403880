import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, merchantCtx } from '../src/context.ts';
import { play, prizeForRoll, rollOf } from '../src/modules/growth/index.ts';
import { reconcile } from '../src/modules/loyalty/index.ts';
import { pointsCardProgram } from './support/loyalty-program.ts';
import { fanSession, shop } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

let t: TestApp;
let owner: string;
let merchantId: string;
let account: { id: string; appid: string };

const program = pointsCardProgram();

const fanCtx = (openid: string): Ctx =>
  merchantCtx(t.deps, merchantId, { kind: 'fan', accountId: account.id, openid });

/** A fan with a member card holding `points`. */
async function member(openid: string, points: number) {
  const cookie = await fanSession(t, account.appid, openid);
  const card = (await shop(t, cookie, account.appid, 'POST', '/loyalty/card')).body;
  expect(card.id, JSON.stringify(card)).toBeTruthy();
  if (points > 0) {
    const adjusted = await t.call(owner, 'POST', `/api/v1/loyalty/cards/${card.id}/adjustments`, {
      kind: 'points',
      delta: points,
      reason: '测试赠送',
    });
    expect(adjusted.status).toBe(200);
  }
  return { cookie, cardId: card.id as string };
}

const cardOf = async (cardId: string) =>
  (await t.call(owner, 'GET', `/api/v1/loyalty/cards/${cardId}`)).body as {
    card: { points: number };
  };

async function createDraw(body: Record<string, unknown>) {
  const created = await t.call(owner, 'POST', '/api/v1/growth/draws', {
    account_id: account.id,
    name: '积分大转盘',
    ends_at: t.clock.now() + 7 * 86_400_000,
    ...body,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as {
    id: string;
    seed_hash: string;
    entry_points: number;
    prizes: Array<{ id: string }>;
  };
}

const codeOf = (e: Error & { code?: string }) => e.code ?? e.message;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('growth-draw-points');
  owner = m.token;
  merchantId = m.id;
  account = await connectAccount(t, owner);
  expect((await t.call(owner, 'PUT', '/api/v1/loyalty/program', program)).status).toBe(200);
});
afterAll(() => t.close());

describe('lucky draws with points (through loyalty’s ledger)', () => {
  it('refuses a points draw without a cost, a points prize without points, and either without a card program', async () => {
    const noCost = await t.call(owner, 'POST', '/api/v1/growth/draws', {
      account_id: account.id,
      name: 'x',
      entry_rule: 'points',
      ends_at: t.clock.now() + 1000,
      prizes: [{ name: 'a', kind: 'nothing', odds: 100, stock: 0 }],
    });
    expect(noCost.body.error.code).toBe('entry_points_required');
    const noPoints = await t.call(owner, 'POST', '/api/v1/growth/draws', {
      account_id: account.id,
      name: 'x',
      entry_rule: 'once',
      ends_at: t.clock.now() + 1000,
      prizes: [{ name: 'a', kind: 'points', odds: 100, stock: 1 }],
    });
    expect(noPoints.body.error.code).toBe('points_required');
    const other = await t.merchant('growth-draw-points-noprogram');
    const otherAccount = await connectAccount(t, other.token);
    const noProgram = await t.call(other.token, 'POST', '/api/v1/growth/draws', {
      account_id: otherAccount.id,
      name: 'x',
      entry_rule: 'points',
      entry_points: 10,
      ends_at: t.clock.now() + 1000,
      prizes: [{ name: 'a', kind: 'nothing', odds: 100, stock: 0 }],
    });
    expect(noProgram.status).toBe(400);
    expect(noProgram.body.error.code).toBe('card_program_required');
  });

  it('a play costs its points, a points prize lands on the card once, and the page shows cost and balance', async () => {
    const draw = await createDraw({
      entry_rule: 'points',
      entry_points: 100,
      prizes: [{ name: '50 积分', kind: 'points', points: 50, odds: 10_000, stock: 1_000 }],
    });
    const { cookie, cardId } = await member('o_pts_player', 250);
    const page = await t.app.inject({ url: `/shop/${account.appid}/draws/${draw.id}`, headers: { cookie } });
    expect(page.body).toContain('每次抽奖消耗 <b>100</b> 积分');
    expect(page.body).toContain('<b id="draw-balance">250</b>');

    const first = await shop(t, cookie, account.appid, 'POST', `/draws/${draw.id}/play`, {});
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({
      outcome: 'won',
      entry_ref: 'points:1',
      points_spent: 100,
      points_balance: 150,
      prize: { kind: 'points', points: 50 },
    });
    await t.worker.drain();
    expect((await cardOf(cardId)).card.points).toBe(200);

    // The prize job again (a retry after a crash) gives nothing twice.
    const handler = t.deps.jobHandlers.get('growth.draw_prize')!;
    await handler({
      id: 'job_again',
      type: 'growth.draw_prize',
      merchantId,
      payload: { resultId: first.body.id },
      attempt: 2,
    });
    expect((await cardOf(cardId)).card.points).toBe(200);

    const second = await shop(t, cookie, account.appid, 'POST', `/draws/${draw.id}/play`, {});
    expect(second.body).toMatchObject({ entry_ref: 'points:2', points_balance: 100 });
    await t.worker.drain();
    const ledger = (await t.call(owner, 'GET', `/api/v1/loyalty/cards/${cardId}`)).body;
    const reasons = ledger.points.map((r: { reason: string }) => r.reason);
    expect(reasons.filter((r: string) => r === 'draw_entry')).toHaveLength(2);
    expect(reasons.filter((r: string) => r === 'draw_prize')).toHaveLength(2);
    expect((await cardOf(cardId)).card.points).toBe(150);
    expect(await reconcile(merchantCtx(t.deps, merchantId))).toBe(0);

    const prizes = await t.app.inject({ url: `/shop/${account.appid}/prizes`, headers: { cookie } });
    expect(prizes.body).toContain('消耗 100 积分');
    expect(prizes.body).toContain('50 积分已到账');

    // The audit recomputes the bought plays like any other.
    await t.call(owner, 'POST', `/api/v1/growth/draws/${draw.id}/end`);
    const audit = (await t.call(owner, 'GET', `/api/v1/growth/draws/${draw.id}/audit`)).body;
    for (const r of audit.results) {
      expect(r.roll).toBe(rollOf(audit.seed, r.account_id, r.openid, r.entry_ref));
      const auditPrizes = audit.prizes as Array<{ id: string; odds: number; position: number }>;
      expect(r.rolled_prize_id).toBe(prizeForRoll(auditPrizes, r.roll)?.id ?? null);
      expect(r.points_spent).toBe(100);
    }
  });

  it('concurrent plays never take a card below 0: exactly as many plays as the points buy', async () => {
    const draw = await createDraw({
      entry_rule: 'points',
      entry_points: 100,
      prizes: [{ name: '谢谢参与', kind: 'nothing', odds: 10_000, stock: 0 }],
    });
    const { cardId } = await member('o_pts_rush', 300);
    const fan = fanCtx('o_pts_rush');
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () =>
        play(fan, draw.id).then(
          (r) => r.entry_ref,
          (e) => codeOf(e),
        ),
      ),
    );
    const played = outcomes.filter((o) => o.startsWith('points:')).sort();
    expect(played).toEqual(['points:1', 'points:2', 'points:3']);
    expect(outcomes.filter((o) => o === 'insufficient_points')).toHaveLength(9);
    expect((await cardOf(cardId)).card.points).toBe(0);
    const view = (await t.call(owner, 'GET', `/api/v1/growth/draws/${draw.id}`)).body;
    expect(view.plays).toBe(3);
    expect(await reconcile(merchantCtx(t.deps, merchantId))).toBe(0);
  });

  it('a play that fails after the points left the card spends nothing: stock, result and points roll back together', async () => {
    const draw = await createDraw({
      entry_rule: 'points',
      entry_points: 100,
      prizes: [{ name: '大奖 1000 积分', kind: 'points', points: 1000, odds: 10_000, stock: 1 }],
    });
    // Too few points: the stock the roll took is given back with the refusal.
    const poor = await member('o_pts_poor', 50);
    const refused = await shop(t, poor.cookie, account.appid, 'POST', `/draws/${draw.id}/play`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('insufficient_points');
    const noCard = await fanSession(t, account.appid, 'o_pts_nocard');
    expect((await shop(t, noCard, account.appid, 'POST', `/draws/${draw.id}/play`, {})).body.error.code).toBe(
      'no_card',
    );

    // The operator ends the draw between the fan's check and the play's write: the spend inside
    // the play's transaction is undone with it.
    const rich = await member('o_pts_rich', 500);
    const ending: Ctx = {
      ...fanCtx('o_pts_rich'),
      deps: {
        ...t.deps,
        vault: {
          ...t.deps.vault,
          open: async (m: string, sealed: string) => {
            await t.call(owner, 'POST', `/api/v1/growth/draws/${draw.id}/end`);
            return t.deps.vault.open(m, sealed);
          },
        },
      },
    };
    expect(await play(ending, draw.id).catch(codeOf)).toBe('draw_closed');
    expect((await cardOf(rich.cardId)).card.points).toBe(500);
    const view = (await t.call(owner, 'GET', `/api/v1/growth/draws/${draw.id}`)).body;
    expect(view).toMatchObject({ plays: 0, status: 'ended' });
    expect(view.prizes[0].won).toBe(0);
    expect((await t.call(owner, 'GET', `/api/v1/growth/draws/${draw.id}/audit`)).body.results).toHaveLength(
      0,
    );
    expect(await reconcile(merchantCtx(t.deps, merchantId))).toBe(0);
  });

  it('concurrent winners never take a points prize past its stock, and each winner is paid once', async () => {
    const draw = await createDraw({
      entry_rule: 'points',
      entry_points: 10,
      prizes: [{ name: '大奖 1000 积分', kind: 'points', points: 1000, odds: 10_000, stock: 2 }],
    });
    const fans = Array.from({ length: 8 }, (_, i) => `o_pts_stock_${i}`);
    const cards = new Map<string, string>();
    for (const openid of fans) cards.set(openid, (await member(openid, 10)).cardId);
    const results = await Promise.all(fans.map((openid) => play(fanCtx(openid), draw.id)));
    expect(results.filter((r) => r.outcome === 'won')).toHaveLength(2);
    expect(results.filter((r) => r.outcome === 'out_of_stock')).toHaveLength(6);
    // Every play was paid for, won or not; the prize jobs run, and a second drain gives nothing more.
    await t.worker.drain();
    await t.worker.drain();
    const points = await Promise.all(
      fans.map(async (openid) => (await cardOf(cards.get(openid)!)).card.points),
    );
    expect(points.sort((a, b) => a - b)).toEqual([0, 0, 0, 0, 0, 0, 1000, 1000]);
    const view = (await t.call(owner, 'GET', `/api/v1/growth/draws/${draw.id}`)).body;
    expect(view).toMatchObject({ plays: 8 });
    expect(view.prizes[0].won).toBe(2);
    const audit = (await t.call(owner, 'GET', `/api/v1/growth/draws/${draw.id}/audit`)).body;
    expect(audit.results.reduce((s: number, r: { points_awarded: number }) => s + r.points_awarded, 0)).toBe(
      2000,
    );
    expect(await reconcile(merchantCtx(t.deps, merchantId))).toBe(0);
  });

  it('a points prize won by a fan without a card issues the card with the points on it', async () => {
    const draw = await createDraw({
      entry_rule: 'once',
      prizes: [{ name: '88 积分', kind: 'points', points: 88, odds: 10_000, stock: 10 }],
    });
    const cookie = await fanSession(t, account.appid, 'o_pts_newcomer');
    const won = await shop(t, cookie, account.appid, 'POST', `/draws/${draw.id}/play`, {});
    expect(won.body).toMatchObject({ outcome: 'won', points_spent: 0, points_balance: null });
    await t.worker.drain();
    const card = (await shop(t, cookie, account.appid, 'GET', '/loyalty/card')).body.card;
    expect(card).toMatchObject({ points: 88, source: 'lucky_draw' });
  });
});
