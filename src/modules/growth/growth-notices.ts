import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';

/** The fan's page of prizes: trial wins, red packets, lucky-draw results, share rewards. */
export const prizesPath = (appid: string) => `/shop/${appid}/prizes`;

/**
 * A customer-service message to the fan (they just wrote to us, so the 48-hour window is open).
 * Outside the window or unfollowed, WeChat refuses for good: no retry.
 */
export async function tellFan(
  deps: AppDeps,
  merchantId: string,
  fan: { account_id: string; openid: string },
  content: (appid: string, base: string) => string,
): Promise<void> {
  const account = await getAccount(merchantCtx(deps, merchantId), fan.account_id);
  try {
    await apiClientFor(deps, account).sendCustomMessage(fan.openid, {
      msgtype: 'text',
      text: { content: content(account.appid, deps.config.publicUrl) },
    });
  } catch (error) {
    if (error instanceof WeChatApiError && (error.isOutOfWindow || error.isUnsubscribed))
      throw new PermanentJobError(error.message);
    throw error;
  }
}
