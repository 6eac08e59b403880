import type { TestApp } from './test-app.ts';

/** Signs a fan into an account's shop through WeChat OAuth (snsapi_base) in the simulator. */
export async function fanSession(t: TestApp, appid: string, openid: string): Promise<string> {
  const start = await t.app.inject({ url: `/shop/${appid}/oauth?next=/shop/${appid}/` });
  const authorize = new URL(String(start.headers.location).replace('#wechat_redirect', ''));
  authorize.searchParams.set('as', openid);
  const wechat = await t.app.inject({
    url: `${authorize.pathname}${authorize.search}`,
    headers: await t.simAuth(appid),
  });
  const callback = new URL(String(wechat.headers.location));
  // The browser that started the sign-in carries its state cookie back.
  const state = start.cookies.find((c) => c.name === 'wl_oauth');
  const back = await t.app.inject({
    url: `${callback.pathname}${callback.search}`,
    headers: state ? { cookie: `wl_oauth=${state.value}` } : {},
  });
  const cookie = back.cookies.find((c) => c.name === 'wl_fan');
  if (!cookie) throw new Error(`no fan session: ${back.statusCode} ${back.body}`);
  return `wl_fan=${cookie.value}`;
}

export async function shop(
  t: TestApp,
  cookie: string,
  appid: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
) {
  const response = await t.app.inject({
    method,
    url: `/shop/${appid}/api${path}`,
    headers: { cookie },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: response.statusCode, body: response.body ? response.json() : null };
}

/** The fan taps "pay" on WeChat's pay sheet. */
export async function confirmPay(t: TestApp, payParams: Record<string, string>, openid?: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/sim/pay/confirm',
    payload: { ...payParams, openid },
  });
  return { status: response.statusCode, body: response.json() };
}

export async function until<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
}
