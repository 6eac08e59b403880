import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { formatFen } from '../../platform/money.ts';
import { getAccount, listAccounts } from '../accounts/index.ts';
import { WECHAT_EVENTS } from '../channel/index.ts';
import { getMember, snapshotAudience, snapshotRules } from '../crm/index.ts';
import { orderVouchers, VOUCHER_EVENTS } from '../marketing/index.ts';
import { getOrder, ORDER_EVENTS, type OrderView } from '../orders/index.ts';
import { chinaDay } from './china-time.ts';
import { sendNoticeBatch } from './notice-sender.ts';
import { recordFinishWindow, recordTemplateFinish, SETTLE_JOB } from './notice-settle.ts';
import type { NoticeKind } from './notices.schema.ts';
import {
  BIRTHDAY_JOB,
  hasTemplate,
  NOTICE_JOB,
  requestNotice,
  scheduleBirthdays,
} from './notices.service.ts';

const orderLink = (publicUrl: string, appid: string, orderId: string) =>
  `${publicUrl}/shop/${appid}/orders/${orderId}`;

function orderVars(order: OrderView, link: string): Record<string, string> {
  const first = order.items[0]?.title ?? '';
  return {
    order_id: order.id,
    items: `${first}${order.items.length > 1 ? ` 等${order.items.length}件` : ''}`,
    first_item: first,
    total: formatFen(order.total),
    carrier: order.carrier ?? '',
    tracking_no: order.tracking_no ?? '',
    next_step: nextStep(order),
    link,
  };
}

/** What happens after paying: only an order with an address is shipped (deals and memberships are not). */
function nextStep(order: OrderView): string {
  if (order.pickup_store_id) return '请凭提货码到店提货。';
  return order.address ? '我们会尽快为您发货。' : '感谢您的购买。';
}

const spaced = (code: string) => code.replace(/(\d{4})(?=\d)/g, '$1 ');

/** Today's birthdays (China calendar) on each service account, one greeting per fan per year. */
export async function greetBirthdays(ctx: Ctx): Promise<number> {
  const day = chinaDay(ctx.now);
  const snapshot = await snapshotRules(
    ctx,
    { op: 'and', rules: [{ type: 'field', field: 'birthday', op: 'contains', value: day.slice(4) }] },
    `birthday:${day}`,
  );
  const accounts = new Map((await listAccounts(ctx)).map((a) => [a.id, a]));
  let queued = 0;
  let after: string | undefined;
  for (;;) {
    const page = await snapshotAudience(ctx, snapshot.id, { limit: 500, after });
    for (const member of page.members) {
      // A handful a day: the name is read per greeted member.
      const name = (await getMember(ctx, member.member_id).catch(() => null))?.name ?? '亲';
      for (const o of member.openids) {
        const account = accounts.get(o.account_id);
        if (!account) continue;
        const id = await requestNotice(ctx, {
          kind: 'birthday',
          eventKey: `birthday:${day.slice(0, 4)}`,
          accountId: account.id,
          openid: o.openid,
          vars: { name, link: `${ctx.deps.config.publicUrl}/shop/${account.appid}/` },
          url: `${ctx.deps.config.publicUrl}/shop/${account.appid}/`,
        });
        if (id) queued += 1;
      }
    }
    if (!page.next) break;
    after = page.next;
  }
  return queued;
}

/**
 * Messaging tells fans what happened to them: it hears orders' and marketing's events and turns
 * each into a notice (the merchant's template, or chat where the kind has a text), sent by jobs.
 */
export function registerNoticeJobs(deps: AppDeps): void {
  const ctxOf = (merchantId: string | null): Ctx => {
    if (!merchantId) throw new PermanentJobError('job without merchant');
    return merchantCtx(deps, merchantId);
  };
  const loadOrder = async (ctx: Ctx, orderId: unknown) => {
    const order = await getOrder(ctx, String(orderId)).catch(() => null);
    if (!order) throw new PermanentJobError(`order ${String(orderId)} is gone`);
    const account = await getAccount(ctx, order.account_id).catch(() => null);
    if (!account) throw new PermanentJobError(`account ${order.account_id} is gone`);
    return { order, account };
  };

  const orderNotice =
    (kind: NoticeKind, onlyIf?: (order: OrderView) => boolean) =>
    async (event: { merchantId: string; payload: Record<string, unknown> }) => {
      const ctx = ctxOf(event.merchantId);
      const { order, account } = await loadOrder(ctx, event.payload.orderId);
      if (onlyIf && !onlyIf(order)) return;
      const link = orderLink(deps.config.publicUrl, account.appid, order.id);
      await requestNotice(ctx, {
        kind,
        eventKey: order.id,
        accountId: account.id,
        openid: order.openid,
        vars: orderVars(order, link),
        url: link,
      });
    };

  const handlers: Array<[string, string, ReturnType<typeof orderNotice>]> = [
    [ORDER_EVENTS.paid, 'order_paid', orderNotice('order_paid')],
    [ORDER_EVENTS.shipped, 'order_shipped', orderNotice('order_shipped')],
    [ORDER_EVENTS.refunded, 'order_refunded', orderNotice('order_refunded')],
    [
      ORDER_EVENTS.paymentReminder,
      'unpaid_reminder',
      orderNotice('unpaid_reminder', (o) => o.status === 'pending_payment'),
    ],
  ];
  for (const [name, kind, handler] of handlers)
    deps.events.subscribe(name, `messaging.notice_${kind}`, handler);
  // Events queued for channel before notices moved here still find a handler.
  for (const [name, , handler] of handlers.slice(0, 2))
    deps.jobHandlers.set(`event:${name}:channel.order_notice`, async (job) =>
      handler({ merchantId: job.merchantId ?? '', payload: job.payload }),
    );
  deps.jobHandlers.set(`event:${ORDER_EVENTS.paymentReminder}:channel.payment_reminder`, async (job) =>
    handlers[3]![2]({ merchantId: job.merchantId ?? '', payload: job.payload }),
  );

  deps.events.subscribe(VOUCHER_EVENTS.issued, 'messaging.notice_voucher_issued', async (event) => {
    const ctx = ctxOf(event.merchantId);
    const { order, account } = await loadOrder(ctx, event.payload.orderId);
    const vouchers = await orderVouchers(ctx, order.id);
    if (vouchers.length === 0) return;
    const link = orderLink(deps.config.publicUrl, account.appid, order.id);
    await requestNotice(ctx, {
      kind: 'voucher_issued',
      eventKey: order.id,
      accountId: account.id,
      openid: order.openid,
      vars: {
        order_id: order.id,
        vouchers: vouchers.map((v) => `${v.title}：${spaced(v.code)}`).join('\n'),
        count: String(vouchers.length),
        link,
      },
      url: link,
    });
  });

  deps.jobHandlers.set(NOTICE_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    const { pending } = await sendNoticeBatch(ctx, String(job.payload.batch));
    // Busy or unreachable WeChat: the job's backoff tries the rest again.
    if (pending > 0) throw new Error(`${pending} notices to retry`);
  });

  // In-flight notices of a dead or timed-out sender, decided on WeChat's pushes; the batch's
  // notices that never reached WeChat are sent again right here.
  deps.jobHandlers.set(SETTLE_JOB, async (job) => {
    const { pending } = await sendNoticeBatch(ctxOf(job.merchantId), String(job.payload.batch));
    if (pending > 0) throw new Error(`${pending} notices to retry`);
  });

  deps.jobHandlers.set(BIRTHDAY_JOB, async (job) => {
    const ctx = ctxOf(job.merchantId);
    if (!(await hasTemplate(ctx, 'birthday'))) return;
    await greetBirthdays(ctx);
    await scheduleBirthdays(ctx);
  });

  deps.events.subscribe(WECHAT_EVENTS.templateFinishes, 'messaging.template_finishes', async (event) => {
    await recordFinishWindow(
      ctxOf(event.merchantId),
      String(event.payload.accountId),
      Number(event.payload.from),
      Number(event.payload.to),
    );
  });
  // One job per push, as queued before pushes were told per second; new pushes never come here.
  deps.events.subscribe(WECHAT_EVENTS.sendJobFinished, 'messaging.template_finished', async (event) => {
    if (event.payload.kind !== 'template') return;
    await recordTemplateFinish(
      ctxOf(event.merchantId),
      String(event.payload.accountId),
      String(event.payload.msgId),
      String(event.payload.status ?? ''),
    );
  });
}
