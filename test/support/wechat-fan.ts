import type { FanAction } from '../../src/simulator/simulator.routes.ts';
import type { TranscriptEntry } from '../../src/simulator/simulator.ts';
import type { TestApp } from './test-app.ts';

export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

let counter = 0;
/** A unique, valid AppID per test. */
export function appId(): string {
  counter += 1;
  return `wxtest${String(Date.now() % 1e8).padStart(8, '0')}${String(counter).padStart(4, '0')}`;
}

/** Connects an official account through the admin API (which provisions it in the simulator). */
export async function connectAccount(
  t: TestApp,
  token: string,
  input: Partial<{
    appid: string;
    type: 'service' | 'subscription';
    mode: 'plain' | 'compatible' | 'safe';
    verified: boolean;
  }> = {},
) {
  const mode = input.mode ?? 'safe';
  const response = await t.call(token, 'POST', '/api/v1/accounts', {
    name: '测试服务号',
    appid: input.appid ?? appId(),
    secret: 'test-secret-123456',
    type: input.type ?? 'service',
    verified: input.verified ?? true,
    token: 'testtoken',
    mode,
    ...(mode === 'plain' ? {} : { aes_key: AES_KEY }),
  });
  if (response.status !== 201) throw new Error(`connect failed: ${JSON.stringify(response.body)}`);
  return response.body as { id: string; appid: string; callback_url: string };
}

/** The fan does something in WeChat; returns what the fan then sees. */
export async function fan(t: TestApp, appid: string, openid: string, action: FanAction) {
  const response = await t.app.inject({
    method: 'POST',
    url: `/sim/apps/${appid}/fans/${openid}/actions`,
    headers: await t.simAuth(appid),
    payload: action,
  });
  if (response.statusCode !== 200) throw new Error(`sim action failed: ${response.body}`);
  return response.json() as {
    delivered: boolean;
    attempts: number;
    reply: Record<string, unknown> | null;
    seen: TranscriptEntry[];
  };
}

export async function say(t: TestApp, appid: string, openid: string, text: string) {
  return (await fan(t, appid, openid, { type: 'text', content: text })).reply;
}
