import { randomInt } from 'node:crypto';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { AppError, badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getAccount } from '../accounts/index.ts';
import type {
  GrowthRedpacketCampaignsTable,
  GrowthRedpacketsTable,
  RedPacketTrigger,
} from './growth.schema.ts';
import { normalizeKeyword } from './trials.service.ts';

export const RED_PACKET_CAMPAIGN = { zh: '红包活动', en: 'Red-packet campaign' };
export const RED_PACKET_PAY_JOB = 'growth.redpacket_pay';
/** WeChat's transfer floor is 0.10 yuan; a red packet tops out at 200 yuan. */
const MIN_FEN = 10;
const MAX_FEN = 20_000;
/** Attempts when a concurrent claim took the amount this one planned on. */
const GUARD_RETRIES = 5;

export interface RedPacketCampaignInput {
  account_id: string;
  name: string;
  budget: number;
  amount_min: number;
  amount_max: number;
  trigger: RedPacketTrigger;
  keyword?: string | null;
  min_order_total?: number;
  /** For `follow`: the channel QR code's scene (a follow or scan through it); omitted, any new follow. */
  scene?: string | null;
}

export async function createRedPacketCampaign(
  ctx: Ctx,
  input: RedPacketCampaignInput,
): Promise<GrowthRedpacketCampaignsTable> {
  requireRole(ctx, 'operator');
  await getAccount(ctx, input.account_id);
  const { amount_min: min, amount_max: max, budget } = input;
  if (!(MIN_FEN <= min && min <= max && max <= MAX_FEN && max <= budget))
    throw badRequest(
      'invalid_amounts',
      '每个红包 0.1–200 元，最小不大于最大，且不超过总预算',
      'Each packet is 0.10–200 yuan, min ≤ max ≤ budget',
    );
  const keyword = input.trigger === 'keyword' ? normalizeKeyword(input.keyword ?? '') : null;
  if (input.trigger === 'keyword' && !keyword)
    throw badRequest('keyword_required', '请填写关键词', 'A keyword is required');
  const row: GrowthRedpacketCampaignsTable = {
    id: newId('rpc', ctx.now),
    merchant_id: ctx.merchantId,
    account_id: input.account_id,
    name: input.name.trim(),
    budget,
    spent: 0,
    claims: 0,
    amount_min: min,
    amount_max: max,
    trigger: input.trigger,
    keyword,
    min_order_total: input.min_order_total ?? 0,
    scene: input.trigger === 'follow' ? input.scene?.trim() || null : null,
    status: 'active',
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db.insertInto('growth_redpacket_campaigns').values(row).execute();
  return row;
}

export async function getRedPacketCampaign(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string) {
  return found(
    await ctx.db
      .selectFrom('growth_redpacket_campaigns')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    RED_PACKET_CAMPAIGN,
  );
}

/** A campaign as the console reads it (operators; the fan's page reads it through getRedPacketCampaign). */
export async function redPacketCampaign(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  return getRedPacketCampaign(ctx, id);
}

export async function listRedPacketCampaigns(ctx: Ctx) {
  requireRole(ctx, 'operator');
  return ctx.db
    .selectFrom('growth_redpacket_campaigns')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
}

/** The packets of a campaign with what was paid, newest first (bounded). */
export async function campaignPackets(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  await getRedPacketCampaign(ctx, id);
  return ctx.db
    .selectFrom('growth_redpackets')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('campaign_id', '=', id)
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
}

export class AlreadyClaimed extends Error {}

/**
 * One packet for one fan. The budget guard is a single UPDATE (`spent + amount <= budget`) whose
 * row lock queues concurrent claims on PostgreSQL (SQLite has one writer), so the sum of packets
 * can never pass the budget. The packet row goes in first: the unique (campaign, fan) index turns
 * a repeat away before it touches the campaign, and the guarded UPDATE is the transaction's last
 * statement, so the campaign's row — which every claim queues on — is held only for the commit.
 * The payout is a job in the same transaction.
 */
export async function claimRedPacket(
  ctx: Ctx,
  campaignId: string,
  fan: { accountId: string; openid: string; sourceRef: string },
): Promise<GrowthRedpacketsTable> {
  try {
    return await inTransaction(ctx.db, async (trx) => {
      const read = () => getRedPacketCampaign({ db: trx, merchantId: ctx.merchantId }, campaignId);
      let campaign = await read();
      const pick = () => {
        if (campaign.status === 'exhausted') throw gone();
        if (campaign.status !== 'active' || campaign.account_id !== fan.accountId)
          throw conflict('campaign_closed', '活动已结束', 'This campaign has ended');
        const top = Math.min(Number(campaign.amount_max), Number(campaign.budget) - Number(campaign.spent));
        const min = Number(campaign.amount_min);
        if (top < min) throw gone();
        return top === min ? min : randomInt(min, top + 1);
      };
      const packet: GrowthRedpacketsTable = {
        id: newId('rpk', ctx.now),
        merchant_id: ctx.merchantId,
        campaign_id: campaignId,
        account_id: fan.accountId,
        openid: fan.openid,
        amount: pick(),
        status: 'paying',
        source_ref: fan.sourceRef.slice(0, 64),
        batch_id: null,
        error: null,
        created_at: ctx.now,
        paid_at: null,
      };
      await trx.insertInto('growth_redpackets').values(packet).execute();
      await enqueueJob(
        trx,
        {
          type: RED_PACKET_PAY_JOB,
          key: packet.id,
          merchantId: ctx.merchantId,
          payload: { packetId: packet.id },
        },
        ctx.now,
      );
      for (let attempt = 0; attempt < GUARD_RETRIES; attempt++) {
        if (attempt > 0) {
          // What is left changed under us: a smaller packet may still fit.
          campaign = await read();
          packet.amount = pick();
          await trx
            .updateTable('growth_redpackets')
            .set({ amount: packet.amount })
            .where('id', '=', packet.id)
            .execute();
        }
        const took = await trx
          .updateTable('growth_redpacket_campaigns')
          .set((eb) => ({
            spent: eb('spent', '+', packet.amount),
            claims: eb('claims', '+', 1),
            updated_at: ctx.now,
          }))
          .where('id', '=', campaignId)
          .where('status', '=', 'active')
          .where((eb) => eb(eb('spent', '+', packet.amount), '<=', eb.ref('budget')))
          .executeTakeFirst();
        if (Number(took.numUpdatedRows) > 0) return packet;
      }
      throw conflict('red_packets_busy', '抢红包的人太多，请稍后再试', 'Too many claims at once; try again');
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AlreadyClaimed();
    if (error instanceof AppError && error.code === 'red_packets_gone') {
      // Outside the failed transaction: later claims stop at the status without the arithmetic.
      await ctx.db
        .updateTable('growth_redpacket_campaigns')
        .set({ status: 'exhausted', updated_at: ctx.now })
        .where('id', '=', campaignId)
        .where('status', '=', 'active')
        .execute();
    }
    throw error;
  }
}

const gone = () => conflict('red_packets_gone', '红包已抢完', 'All red packets are gone');

/** The fan's own packet of a campaign, if any. */
export async function fanPacket(ctx: Ctx, campaignId: string, accountId: string, openid: string) {
  return ctx.db
    .selectFrom('growth_redpackets')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('campaign_id', '=', campaignId)
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .executeTakeFirst();
}

/** The fan's packets across campaigns, newest first (the prizes page). */
export async function fanPackets(ctx: Ctx, accountId: string, openid: string) {
  return ctx.db
    .selectFrom('growth_redpackets')
    .innerJoin('growth_redpacket_campaigns', 'growth_redpacket_campaigns.id', 'growth_redpackets.campaign_id')
    .select([
      'growth_redpackets.id',
      'growth_redpackets.campaign_id',
      'growth_redpackets.amount',
      'growth_redpackets.status',
      'growth_redpackets.created_at',
      'growth_redpacket_campaigns.name',
    ])
    .where('growth_redpackets.merchant_id', '=', ctx.merchantId)
    .where('growth_redpackets.account_id', '=', accountId)
    .where('growth_redpackets.openid', '=', openid)
    .orderBy('growth_redpackets.id', 'desc')
    .limit(50)
    .execute();
}
