import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { merchantCtx } from './context.ts';
import type { AppDeps } from './deps.ts';
import { listAccounts } from './modules/accounts/index.ts';
import { saveOrderSettings } from './modules/orders/index.ts';
import { savePaymentSettings } from './modules/payments/index.ts';

/**
 * For the simulator: makes the merchant a WeChat Pay merchant number, a key pair and an APIv3
 * key, registers them with the simulated WeChat Pay, and saves the settings, as a merchant would
 * after applying for WeChat Pay.
 */
export async function provisionSimulatedPay(
  deps: AppDeps,
  merchantId: string,
  options: { codEnabled?: boolean } = {},
): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const mchid = String(1_900_000_000 + (Number.parseInt(randomBytes(3).toString('hex'), 16) % 99_999_999));
  const serialNo = randomBytes(20).toString('hex').toUpperCase();
  const apiV3Key = randomBytes(16).toString('hex');
  const ctx = merchantCtx(deps, merchantId);
  // WeChat Pay takes payments only for AppIDs bound to the merchant number; accounts the
  // merchant connects later are bound by the simulator (it knows the owner).
  const appids = (await listAccounts(ctx)).map((a) => a.appid);
  const response = await deps.wechatFetch(`${deps.config.wechatApiBase}/pay/merchants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      mchid,
      serialNo,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      apiV3Key,
      appids,
      owner: merchantId,
    }),
  });
  if (!response.ok) throw new Error(`simulated WeChat Pay refused the merchant: ${await response.text()}`);
  const platform = (await response.json()) as { platformPublicKeyPem: string; platformKeyId: string };
  await savePaymentSettings(ctx, {
    mchid,
    serial_no: serialNo,
    private_key_pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    api_v3_key: apiV3Key,
    platform_public_key_pem: platform.platformPublicKeyPem,
    platform_key_id: platform.platformKeyId,
  });
  await saveOrderSettings(ctx, {
    cod_enabled: options.codEnabled ?? true,
    template_paid: 'TM_ORDER_PAID',
    template_shipped: 'TM_ORDER_SHIPPED',
  });
}
