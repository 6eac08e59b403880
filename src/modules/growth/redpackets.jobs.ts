import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { AppError } from '../../platform/http/errors.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { PayApiError } from '../../wechat/pay/pay-client.ts';
import type { LogEntry } from '../channel/index.ts';
import { getOrder, ORDER_EVENTS } from '../orders/index.ts';
import { transferToFan } from '../payments/index.ts';
import { AlreadyClaimed, claimRedPacket, RED_PACKET_PAY_JOB } from './redpackets.service.ts';
import { normalizeKeyword } from './trials.service.ts';

/** A claim an event earned; a fan who already has one, or a spent budget, is simply no packet. */
async function claimQuietly(
  deps: AppDeps,
  merchantId: string,
  campaignId: string,
  fan: Parameters<typeof claimRedPacket>[2],
) {
  try {
    await claimRedPacket(merchantCtx(deps, merchantId), campaignId, fan);
  } catch (error) {
    if (error instanceof AlreadyClaimed) return;
    if (error instanceof AppError && error.status === 409 && error.code !== 'red_packets_busy') return;
    throw error;
  }
}

type Candidate = { id: string; trigger: string; keyword: string | null; scene: string | null };

/** Does this log row earn a packet of this campaign: a keyword reply, or a follow (through its QR code)? */
function earns(row: LogEntry, c: Candidate): boolean {
  if (c.trigger === 'keyword')
    return row.kind === 'text' && !!c.keyword && normalizeKeyword(row.content ?? '').startsWith(c.keyword);
  if (c.trigger !== 'follow') return false;
  // Without a scene, a new follow of any kind; with one, a follow or a scan of that code.
  if (c.scene === null) return row.kind === 'subscribe';
  return (row.kind === 'subscribe' || row.kind === 'scan') && row.content === c.scene;
}

/**
 * Keyword and follow packets from the message log batch the growth reader is applying (one query
 * per batch; nothing on the inbound path).
 */
export async function applyRedPacketLog(deps: AppDeps, rows: LogEntry[]): Promise<void> {
  const texts = rows.filter(
    (r) => (r.kind === 'text' && r.content) || r.kind === 'subscribe' || r.kind === 'scan',
  );
  if (texts.length === 0) return;
  const campaigns = await deps.db
    .selectFrom('growth_redpacket_campaigns')
    .select(['id', 'merchant_id', 'account_id', 'trigger', 'keyword', 'scene', 'created_at'])
    .where('status', '=', 'active')
    .where('trigger', 'in', ['keyword', 'follow'])
    .where('account_id', 'in', [...new Set(texts.map((r) => r.account_id))])
    .execute();
  if (campaigns.length === 0) return;
  for (const row of texts) {
    for (const c of campaigns) {
      if (c.account_id !== row.account_id || row.created_at < c.created_at) continue;
      if (!earns(row, c)) continue;
      await claimQuietly(deps, c.merchant_id, c.id, {
        accountId: row.account_id,
        openid: row.openid,
        sourceRef: row.id,
      });
    }
  }
}

export function registerRedPacketJobs(deps: AppDeps): void {
  deps.events.subscribe(ORDER_EVENTS.paid, 'growth.redpacket_after_pay', async (event) => {
    const ctx = merchantCtx(deps, event.merchantId);
    const order = await getOrder(ctx, String(event.payload.orderId)).catch(() => null);
    if (!order || order.total <= 0) return;
    const campaigns = await deps.db
      .selectFrom('growth_redpacket_campaigns')
      .select(['id', 'min_order_total'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('account_id', '=', order.account_id)
      .where('trigger', '=', 'paid')
      .where('status', '=', 'active')
      .execute();
    for (const c of campaigns) {
      if (order.total < Number(c.min_order_total)) continue;
      await claimQuietly(deps, ctx.merchantId, c.id, {
        accountId: order.account_id,
        openid: order.openid,
        sourceRef: order.id,
      });
    }
  });

  deps.jobHandlers.set(RED_PACKET_PAY_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('packet without merchant');
    const ctx = merchantCtx(deps, job.merchantId);
    const packet = await deps.db
      .selectFrom('growth_redpackets')
      .selectAll()
      .where('merchant_id', '=', job.merchantId)
      .where('id', '=', String(job.payload.packetId))
      .executeTakeFirst();
    if (packet?.status !== 'paying') return;
    const campaign = await deps.db
      .selectFrom('growth_redpacket_campaigns')
      .select('name')
      .where('id', '=', packet.campaign_id)
      .executeTakeFirstOrThrow();
    try {
      // The packet id is WeChat's batch number: a retry after a lost answer never pays twice.
      const { batchId } = await transferToFan(ctx, {
        accountId: packet.account_id,
        openid: packet.openid,
        amount: Number(packet.amount),
        reference: packet.id.replace(/[^0-9A-Za-z]/g, '').slice(0, 32),
        title: campaign.name,
        remark: '红包',
      });
      await deps.db
        .updateTable('growth_redpackets')
        .set({ status: 'paid', batch_id: batchId, paid_at: ctx.now })
        .where('id', '=', packet.id)
        .execute();
    } catch (error) {
      // WeChat refused the transfer itself (4xx): the packet failed, its amount returns to the budget.
      if (!(error instanceof PayApiError) || error.status >= 500) throw error;
      await deps.db.transaction().execute(async (trx) => {
        const moved = await trx
          .updateTable('growth_redpackets')
          .set({ status: 'failed', error: `${error.code}: ${error.message}`.slice(0, 200) })
          .where('id', '=', packet.id)
          .where('status', '=', 'paying')
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) return;
        await trx
          .updateTable('growth_redpacket_campaigns')
          .set((eb) => ({ spent: eb('spent', '-', packet.amount) }))
          .where('id', '=', packet.campaign_id)
          .execute();
      });
    }
  });
}
