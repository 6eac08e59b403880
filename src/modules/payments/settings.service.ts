import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { AppError, badRequest } from '../../platform/http/errors.ts';
import { createPayClient, type PayClient } from '../../wechat/pay/pay-client.ts';
import type { PaymentSettingsTable } from './payments.schema.ts';

/** Where WeChat Pay sends a merchant's payment notices (orders and charges alike). */
export const notifyUrl = (publicUrl: string, merchantId: string) => `${publicUrl}/pay/notify/${merchantId}`;

export interface PaymentSettingsInput {
  mchid: string;
  serial_no: string;
  private_key_pem: string;
  api_v3_key: string;
  platform_public_key_pem: string;
  platform_key_id: string;
}

/** The merchant's WeChat Pay settings with its keys opened (they are stored sealed). */
export async function paymentSettings(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'deps'>,
): Promise<PaymentSettingsTable | undefined> {
  const row = await ctx.db
    .selectFrom('payment_settings')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { vault } = ctx.deps;
  return {
    ...row,
    private_key_pem: await vault.open(row.merchant_id, row.private_key_pem),
    api_v3_key: await vault.open(row.merchant_id, row.api_v3_key),
  };
}

/** Seals keys stored before encryption at rest existed (run at start; a no-op once done). */
export async function sealStoredPaymentSecrets(deps: Pick<AppDeps, 'db' | 'vault'>): Promise<number> {
  const rows = await deps.db.selectFrom('payment_settings').selectAll().execute();
  let sealed = 0;
  for (const row of rows) {
    if (deps.vault.isSealed(row.private_key_pem) && deps.vault.isSealed(row.api_v3_key)) continue;
    const seal = (value: string) =>
      deps.vault.isSealed(value) ? value : deps.vault.seal(row.merchant_id, value);
    await deps.db
      .updateTable('payment_settings')
      .set({ private_key_pem: await seal(row.private_key_pem), api_v3_key: await seal(row.api_v3_key) })
      .where('merchant_id', '=', row.merchant_id)
      .execute();
    sealed += 1;
  }
  return sealed;
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

/** Saves the merchant's WeChat Pay number and keys, after checking they can sign and verify. */
export async function savePaymentSettings(ctx: Ctx, input: PaymentSettingsInput): Promise<void> {
  requireRole(ctx, 'owner');
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
    merchant_id: ctx.merchantId,
    mchid: input.mchid,
    serial_no: input.serial_no,
    private_key_pem: await ctx.deps.vault.seal(ctx.merchantId, input.private_key_pem),
    api_v3_key: await ctx.deps.vault.seal(ctx.merchantId, input.api_v3_key),
    platform_public_key_pem: input.platform_public_key_pem,
    platform_key_id: input.platform_key_id,
    updated_at: ctx.now,
  };
  const { merchant_id: _m, ...update } = row;
  await ctx.db
    .insertInto('payment_settings')
    .values(row)
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet(update))
    .execute();
}

/** A WeChat Pay client for the merchant, rebuilt only when its settings change (kept per app). */
export async function payClientFor(ctx: Pick<Ctx, 'db' | 'merchantId' | 'deps'>): Promise<PayClient> {
  const settings = await paymentSettings(ctx);
  if (!settings)
    throw new AppError(409, 'payments_not_configured', {
      zh: '商户尚未开通微信支付',
      en: 'WeChat Pay is not set up for this merchant',
    });
  const { deps } = ctx;
  const clients = deps.local.slot(
    'payments.clients',
    () => new Map<string, { updatedAt: number; client: PayClient }>(),
  );
  const cached = clients.get(ctx.merchantId);
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
  clients.set(ctx.merchantId, { updatedAt: settings.updated_at, client });
  return client;
}
