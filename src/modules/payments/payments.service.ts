import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AppDeps } from '../../deps.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { AppError, badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { createPayClient, type PayClient, type Transaction } from '../../wechat/pay/pay-client.ts';
import {
  getOrder,
  markPaid,
  markRefunded,
  type OrderCtx,
  type OrderPolicy,
} from '../orders/orders.service.ts';
import type { PaymentSettingsTable } from './payments.schema.ts';

export type PayDeps = Pick<
  AppDeps,
  'db' | 'dialect' | 'config' | 'clock' | 'wechatFetch' | 'logger' | 'wakeJobs'
>;

const DEFAULT_POLICY = { remindAfterMs: 10 * 60_000, cancelAfterMs: 30 * 60_000 };

export async function paymentSettings(
  deps: Pick<AppDeps, 'db'>,
  merchantId: string,
): Promise<PaymentSettingsTable | undefined> {
  return deps.db
    .selectFrom('payment_settings')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .executeTakeFirst();
}

export async function orderPolicy(deps: Pick<AppDeps, 'db'>, merchantId: string): Promise<OrderPolicy> {
  const settings = await paymentSettings(deps, merchantId);
  return {
    codEnabled: settings?.cod_enabled === 1,
    remindAfterMs: settings?.remind_after_ms ?? DEFAULT_POLICY.remindAfterMs,
    cancelAfterMs: settings?.cancel_after_ms ?? DEFAULT_POLICY.cancelAfterMs,
  };
}

export interface PaymentSettingsInput {
  mchid: string;
  serial_no: string;
  private_key_pem: string;
  api_v3_key: string;
  platform_public_key_pem: string;
  platform_key_id: string;
  cod_enabled?: boolean;
  remind_after_minutes?: number;
  cancel_after_minutes?: number;
  template_paid?: string | null;
  template_shipped?: string | null;
}

export async function savePaymentSettings(
  deps: Pick<AppDeps, 'db'>,
  merchantId: string,
  input: PaymentSettingsInput,
  now: number,
): Promise<void> {
  if (!/^\d{8,12}$/.test(input.mchid))
    throw badRequest('invalid_mchid', '商户号应为 8–12 位数字', 'mchid must be 8–12 digits');
  if (Buffer.byteLength(input.api_v3_key) !== 32)
    throw badRequest('invalid_api_v3_key', 'APIv3 密钥必须为 32 字节', 'The APIv3 key must be 32 bytes');
  try {
    createPayClient({
      ...pemFields(input),
      baseUrl: 'http://check.invalid',
      mchid: input.mchid,
      serialNo: input.serial_no,
      apiV3Key: input.api_v3_key,
    });
  } catch {
    throw badRequest(
      'invalid_key',
      '商户私钥或微信支付公钥格式不正确（需 PEM）',
      'The private key or platform public key is not valid PEM',
    );
  }
  const row: PaymentSettingsTable = {
    merchant_id: merchantId,
    mchid: input.mchid,
    serial_no: input.serial_no,
    private_key_pem: input.private_key_pem,
    api_v3_key: input.api_v3_key,
    platform_public_key_pem: input.platform_public_key_pem,
    platform_key_id: input.platform_key_id,
    cod_enabled: input.cod_enabled ? 1 : 0,
    remind_after_ms: (input.remind_after_minutes ?? 10) * 60_000,
    cancel_after_ms: (input.cancel_after_minutes ?? 30) * 60_000,
    template_paid: input.template_paid ?? null,
    template_shipped: input.template_shipped ?? null,
    updated_at: now,
  };
  const { merchant_id: _m, ...update } = row;
  await deps.db
    .insertInto('payment_settings')
    .values(row)
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet(update))
    .execute();
}

function pemFields(
  input: Pick<PaymentSettingsInput, 'private_key_pem' | 'platform_public_key_pem' | 'platform_key_id'>,
) {
  return {
    privateKeyPem: input.private_key_pem,
    platformPublicKeyPem: input.platform_public_key_pem,
    platformKeyId: input.platform_key_id,
  };
}

/**
 * For the simulator: makes the merchant a WeChat Pay merchant number, a key pair and an APIv3
 * key, registers them with the simulated WeChat Pay, and saves the settings, as a merchant would
 * after applying for WeChat Pay.
 */
export async function provisionSimulatedPay(
  deps: Pick<AppDeps, 'db' | 'config' | 'wechatFetch'>,
  merchantId: string,
  now: number,
  options: { codEnabled?: boolean } = {},
): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const mchid = String(1_900_000_000 + (Number.parseInt(randomBytes(3).toString('hex'), 16) % 99_999_999));
  const serialNo = randomBytes(20).toString('hex').toUpperCase();
  const apiV3Key = randomBytes(16).toString('hex');
  // WeChat Pay takes payments only for AppIDs bound to the merchant number.
  const accounts = await deps.db
    .selectFrom('official_accounts')
    .select('appid')
    .where('merchant_id', '=', merchantId)
    .execute();
  const response = await deps.wechatFetch(`${deps.config.wechatApiBase}/pay/merchants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      mchid,
      serialNo,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      apiV3Key,
      appids: accounts.map((a) => a.appid),
      owner: merchantId,
    }),
  });
  if (!response.ok) throw new Error(`simulated WeChat Pay refused the merchant: ${await response.text()}`);
  const platform = (await response.json()) as { platformPublicKeyPem: string; platformKeyId: string };
  await savePaymentSettings(
    deps,
    merchantId,
    {
      mchid,
      serial_no: serialNo,
      private_key_pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      api_v3_key: apiV3Key,
      platform_public_key_pem: platform.platformPublicKeyPem,
      platform_key_id: platform.platformKeyId,
      cod_enabled: options.codEnabled ?? true,
      template_paid: 'TM_ORDER_PAID',
      template_shipped: 'TM_ORDER_SHIPPED',
    },
    now,
  );
}

const clients = new Map<string, { updatedAt: number; client: PayClient }>();

export async function payClientFor(deps: PayDeps, merchantId: string): Promise<PayClient> {
  const settings = await paymentSettings(deps, merchantId);
  if (!settings)
    throw new AppError(409, 'payments_not_configured', {
      zh: '商户尚未开通微信支付',
      en: 'WeChat Pay is not set up for this merchant',
    });
  const cached = clients.get(merchantId);
  if (cached && cached.updatedAt === settings.updated_at) return cached.client;
  const client = createPayClient(
    {
      ...pemFields(settings),
      baseUrl: deps.config.wechatApiBase,
      mchid: settings.mchid,
      serialNo: settings.serial_no,
      apiV3Key: settings.api_v3_key,
    },
    // Signature freshness is about wall-clock time between us and WeChat, not the app's clock.
    { fetch: deps.wechatFetch },
  );
  clients.set(merchantId, { updatedAt: settings.updated_at, client });
  return client;
}

export const notifyUrl = (publicUrl: string, merchantId: string) => `${publicUrl}/pay/notify/${merchantId}`;
export const refundNotifyUrl = (publicUrl: string, merchantId: string) =>
  `${publicUrl}/pay/refund-notify/${merchantId}`;

/** Creates (or reuses) the WeChat Pay prepay for an unpaid order and returns the pay sheet parameters. */
export async function startPayment(deps: PayDeps, ctx: OrderCtx & { openid: string }, orderId: string) {
  const order = await getOrder(ctx, orderId);
  if (order.status !== 'pending_payment' || order.payment_method !== 'wechat') {
    throw new AppError(409, 'not_payable', {
      zh: '该订单不需要支付',
      en: 'This order is not awaiting payment',
    });
  }
  const account = await deps.db
    .selectFrom('official_accounts')
    .select(['appid', 'name'])
    .where('id', '=', order.account_id)
    .executeTakeFirst();
  if (!account) throw notFound({ zh: '公众号', en: 'Official account' });
  const client = await payClientFor(deps, ctx.merchantId);
  let payment = await deps.db
    .selectFrom('payments')
    .selectAll()
    .where('out_trade_no', '=', order.id)
    .executeTakeFirst();
  if (!payment) {
    const { prepay_id } = await client.jsapiPrepay({
      appid: account.appid,
      description: `${account.name}-${order.items[0]?.title ?? '订单'}`,
      outTradeNo: order.id,
      notifyUrl: notifyUrl(deps.config.publicUrl, ctx.merchantId),
      total: order.total,
      openid: order.openid,
    });
    payment = {
      id: newId('pay', ctx.now),
      merchant_id: ctx.merchantId,
      order_id: order.id,
      out_trade_no: order.id,
      appid: account.appid,
      prepay_id,
      amount: order.total,
      status: 'created',
      transaction_id: null,
      paid_at: null,
      created_at: ctx.now,
    };
    await deps.db
      .insertInto('payments')
      .values(payment)
      .onConflict((oc) => oc.column('out_trade_no').doNothing())
      .execute();
    payment = await deps.db
      .selectFrom('payments')
      .selectAll()
      .where('out_trade_no', '=', order.id)
      .executeTakeFirstOrThrow();
  }
  return {
    order_id: order.id,
    total: order.total,
    pay_params: client.payParams(payment.appid, payment.prepay_id),
  };
}

export class NoticeRejected extends Error {}

/**
 * Applies what WeChat Pay says about a transaction (from a notice or a query): checked against
 * our payment (mchid, appid, amount, order number), then the order is marked paid exactly once.
 */
export async function applyTransaction(
  deps: PayDeps,
  merchantId: string,
  mchid: string,
  transaction: Transaction,
): Promise<'paid' | 'already' | 'refund' | 'ignored'> {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('out_trade_no', '=', transaction.out_trade_no)
      .executeTakeFirst();
    if (!payment) throw new NoticeRejected(`unknown out_trade_no ${transaction.out_trade_no}`);
    if (transaction.mchid !== mchid) throw new NoticeRejected('mchid mismatch');
    if (transaction.appid !== payment.appid) throw new NoticeRejected('appid mismatch');
    if (transaction.amount?.total !== payment.amount)
      throw new NoticeRejected(`amount ${transaction.amount?.total} ≠ ${payment.amount}`);
    if (transaction.trade_state !== 'SUCCESS') return 'ignored';
    if (!transaction.transaction_id) throw new NoticeRejected('no transaction_id');
    if (payment.status !== 'paid') {
      await trx
        .updateTable('payments')
        .set({ status: 'paid', transaction_id: transaction.transaction_id, paid_at: now })
        .where('id', '=', payment.id)
        .where('status', '!=', 'paid')
        .execute();
    } else if (payment.transaction_id !== transaction.transaction_id) {
      throw new NoticeRejected('a second transaction for a paid order');
    }
    return markPaid(
      trx,
      { db: trx, dialect: deps.dialect, merchantId, now, actor: 'wechat_pay' },
      payment.order_id,
    );
  });
}

/** Asks WeChat Pay about an order (the pay sheet closed before the notice came, or a notice got lost). */
export async function syncPayment(deps: PayDeps, merchantId: string, orderId: string) {
  const client = await payClientFor(deps, merchantId);
  const transaction = await client.query(orderId);
  return applyTransaction(deps, merchantId, client.mchid, transaction);
}

export async function handlePayNotice(
  deps: PayDeps,
  merchantId: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
) {
  const client = await payClientFor(deps, merchantId);
  const notice = client.openNotice<Transaction>(headers, body);
  if (notice.eventType !== 'TRANSACTION.SUCCESS') return 'ignored';
  const outcome = await applyTransaction(deps, merchantId, client.mchid, notice.resource);
  if (outcome === 'paid' || outcome === 'refund') deps.wakeJobs();
  return outcome;
}

export async function handleRefundNotice(
  deps: PayDeps,
  merchantId: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
) {
  const client = await payClientFor(deps, merchantId);
  const notice = client.openNotice<{
    out_trade_no: string;
    out_refund_no: string;
    refund_status: string;
    mchid: string;
  }>(headers, body);
  if (notice.resource.mchid !== client.mchid) throw new NoticeRejected('mchid mismatch');
  if (notice.resource.refund_status !== 'SUCCESS') return 'ignored';
  return refundSucceeded(deps, merchantId, notice.resource.out_refund_no);
}

async function refundSucceeded(deps: PayDeps, merchantId: string, refundId: string) {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const refund = await trx
      .selectFrom('refunds')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('id', '=', refundId)
      .executeTakeFirst();
    if (!refund) throw new NoticeRejected(`unknown refund ${refundId}`);
    await trx
      .updateTable('refunds')
      .set({ status: 'succeeded', succeeded_at: now })
      .where('id', '=', refund.id)
      .where('status', '!=', 'succeeded')
      .execute();
    const moved = await markRefunded(
      trx,
      { db: trx, dialect: deps.dialect, merchantId, now, actor: 'wechat_pay' },
      refund.order_id,
    );
    return moved ? 'refunded' : 'already';
  });
}

/** Sends the whole order amount back through WeChat Pay (called by the refund job). */
export async function refundPayment(
  deps: PayDeps,
  merchantId: string,
  orderId: string,
  reason: string,
): Promise<void> {
  const payment = await deps.db
    .selectFrom('payments')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (!payment?.transaction_id) throw new Error(`order ${orderId} has no WeChat payment to refund`);
  const now = deps.clock.now();
  // One refund row per order and reason: a retried job reuses it, so WeChat sees one out_refund_no.
  let refund = await deps.db
    .selectFrom('refunds')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('reason', '=', reason)
    .executeTakeFirst();
  if (!refund) {
    refund = {
      id: newId('rfd', now),
      merchant_id: merchantId,
      order_id: orderId,
      amount: payment.amount,
      reason,
      status: 'processing',
      refund_id: null,
      created_at: now,
      succeeded_at: null,
    };
    await deps.db.insertInto('refunds').values(refund).execute();
  }
  if (refund.status === 'succeeded') return;
  const client = await payClientFor(deps, merchantId);
  const result = await client.refund({
    outTradeNo: payment.out_trade_no,
    outRefundNo: refund.id,
    refund: refund.amount,
    total: payment.amount,
    reason: reason === 'late_payment' ? '订单已取消，自动退款' : reason,
    notifyUrl: refundNotifyUrl(deps.config.publicUrl, merchantId),
  });
  await deps.db
    .updateTable('refunds')
    .set({ refund_id: result.refund_id })
    .where('id', '=', refund.id)
    .execute();
  if (result.status === 'SUCCESS') {
    // A late payment on a cancelled order never went to "refunding": only the money moves back.
    const order = await deps.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', orderId)
      .executeTakeFirst();
    if (order?.status === 'refunding' || reason === 'late_payment')
      await refundSucceeded(deps, merchantId, refund.id);
  }
}
