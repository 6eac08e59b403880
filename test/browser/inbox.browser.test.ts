import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser, signInConsole } from '../support/browser.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';

const SHOTS = 'test-results/screenshots';
const port = 21_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

describe.skipIf(!hasChromium)('the inbox and CRM console', { timeout: 180_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let phone: Page;
  const errors: string[] = [];
  let owner: { id: string; email: string; password: string; token: string };
  let account: { id: string; appid: string };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = spawnSync(process.execPath, ['scripts/build-console.ts'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('console build failed');
    t = await createTestApp({ port, publicUrl: base, wechatApiBase: `${base}/sim` });
    owner = await t.merchant('inbox-console');
    account = await connectAccount(t, owner.token);
    await t.call(owner.token, 'PUT', `/api/v1/inbox/personas/${account.id}`, {
      name: '小美',
      avatar_url: null,
      signature: null,
      guidelines: '亲切自然，像朋友聊天',
    });
    await t.call(owner.token, 'POST', '/api/v1/inbox/canned', {
      title: '问候',
      body: '您好，我是{{persona}}～',
    });
    await t.call(owner.token, 'POST', '/api/v1/crm/attributes', {
      key: 'skin',
      label: '肤质',
      type: 'choice',
      options: ['干性', '油性', '混合'],
    });
    await t.call(owner.token, 'POST', '/api/v1/crm/tags', { name: '面膜控' });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchBrowser();
    page = await (
      await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: 'zh-CN' })
    ).newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await signInConsole(phoneContext, base, owner);
    phone = await phoneContext.newPage();
    // The console is built first: on a busy machine that alone can take a minute.
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('an agent answers a fan who wrote on the phone, and the fan sees it', async () => {
    await page.goto(`${base}/console/`);
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('.ant-layout-sider');
    await page.goto(`${base}/console/#/inbox`);
    await page.waitForSelector('text=实时');

    await phone.goto(`${base}/sim/phone?appid=${account.appid}`);
    await phone.fill('#openid', 'o_inbox_fan');
    await phone.press('#openid', 'Enter');
    await phone.click('#follow');
    await phone.fill('#text', '面膜怎么用？我要转人工');
    await phone.press('#text', 'Enter');

    // No reload: the conversation arrives over the live stream.
    const started = Date.now();
    await page.waitForSelector('[data-testid="conversation"]:has-text("o_inbox_fan")');
    const toScreenMs = Date.now() - started;
    await page.click('[data-testid="conversation"]:has-text("o_inbox_fan")');
    await page.waitForSelector('[data-testid="chat"] >> text=面膜怎么用？我要转人工');
    await page.fill('textarea[aria-label="reply"]', '您好，我是小美～面膜敷 15 分钟后清水洗净就好');
    await page.click('button[aria-label="send"]');
    await page.waitForSelector('[data-testid="chat"] >> text=面膜敷 15 分钟后清水洗净就好');
    await page.screenshot({ path: `${SHOTS}/crm1-inbox.png` });

    await phone.waitForSelector('.msg.them >> text=您好，我是小美～面膜敷 15 分钟后清水洗净就好');
    await phone.screenshot({ path: `${SHOTS}/crm2-phone-agent-reply.png` });
    expect(toScreenMs).toBeLessThan(5_000);
  }, 180_000);

  it('shows the member with profile and timeline, a segment with a live count, and tags', async () => {
    await page.goto(`${base}/console/#/members`);
    await page.reload();
    await page.setInputFiles('input[type="file"]', {
      name: 'members.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('name,phone,region\n王小美,13700000001,杭州\n坏行,123,北京\n'),
    });
    await page.waitForSelector('.ant-progress');
    await t.worker.drain(); // the test app runs jobs by hand
    await page.waitForSelector('text=成功 1 行，失败 1 行');
    await page.waitForSelector('td:has-text("王小美")');
    await page.screenshot({ path: `${SHOTS}/crm9-import.png` });
    await page.click('tr.ant-table-row:not(:has-text("王小美"))');
    await page.waitForSelector('.ant-drawer >> text=面膜怎么用？我要转人工');
    await page.waitForTimeout(500); // the drawer slides in
    await page.screenshot({ path: `${SHOTS}/crm3-member.png` });

    await page.goto(`${base}/console/#/segments`);
    await page.reload();
    await page.fill('input[aria-label="segment name"]', '48 小时内聊过');
    await page.click('button:has-text("+ 条件")');
    await page.click('.ant-card-body .ant-select >> nth=0');
    await page.click('.ant-select-item-option:has-text("N 小时内聊过")');
    await page.waitForSelector('.ant-statistic-content-value:has-text("1")');
    await page.click('button[aria-label="save segment"]');
    await page.waitForSelector('.segment-item:has-text("48 小时内聊过")');
    await page.screenshot({ path: `${SHOTS}/crm4-segment.png` });

    await page.goto(`${base}/console/#/tags`);
    await page.reload();
    await page.waitForSelector('td:has-text("面膜控")');
    await page.screenshot({ path: `${SHOTS}/crm5-tags.png` });

    const first = (await t.call(owner.token, 'GET', '/api/v1/crm/members')).body.items[0];
    await t.call(owner.token, 'PATCH', `/api/v1/crm/members/${first.id}`, { birthday: '1990-11-25' });
    await page.goto(`${base}/console/#/care`);
    await page.reload();
    await page.waitForSelector('text=今天生日');
    await page.click('button:has-text("已问候")');
    await page.waitForSelector('text=今天都问候过了');
    await page.screenshot({ path: `${SHOTS}/crm10-care.png` });

    // The same pages in English (readable where the machine has no CJK fonts).
    await page.evaluate(() => localStorage.setItem('weiloop-lang', 'en'));
    await page.goto(`${base}/console/#/inbox`);
    await page.reload();
    await page.click('[data-testid="conversation"]:has-text("o_inbox_fan")');
    await page.waitForSelector('text=Reply window until');
    await page.screenshot({ path: `${SHOTS}/crm6-inbox-en.png` });
    await page.goto(`${base}/console/#/segments`);
    await page.reload();
    await page.click('.segment-item:has-text("48 小时内聊过")');
    await page.waitForSelector('.ant-statistic-content-value:has-text("1")');
    await page.screenshot({ path: `${SHOTS}/crm7-segment-en.png` });
    await page.goto(`${base}/console/#/members`);
    await page.reload();
    await page.click('tr.ant-table-row:not(:has-text("王小美"))');
    await page.waitForSelector('.ant-drawer >> text=Followed the account');
    await page.waitForTimeout(500); // the drawer slides in
    await page.screenshot({ path: `${SHOTS}/crm8-member-en.png` });
    expect(errors, errors.join('\n')).toEqual([]);
  }, 180_000);

  it('builds an RFM segment that auto-tags, and offers a template notice once the 48-hour window has closed', async () => {
    await page.evaluate(() => localStorage.setItem('weiloop-lang', 'zh-CN'));
    await page.goto(`${base}/console/#/segments`);
    await page.reload();
    await page.fill('input[aria-label="segment name"]', '最近买过');
    await page.click('button:has-text("+ 条件")');
    await page.click('.ant-card-body .ant-select >> nth=0');
    await page.click('.ant-select-item-option:has-text("RFM 分档")');
    await page.waitForSelector('[aria-label="rfm dimension"]');
    await page.click('[aria-label="auto tag"]');
    await page.click('.ant-select-item-option:has-text("面膜控")');
    await page.click('button[aria-label="save segment"]');
    await page.waitForSelector('.segment-item:has-text("最近买过")');
    await page.screenshot({ path: `${SHOTS}/crm11-rfm-autotag.png` });
    const saved = (await t.call(owner.token, 'GET', '/api/v1/crm/segments')).body.find(
      (s: { name: string }) => s.name === '最近买过',
    );
    expect(saved.rules.rules[0]).toMatchObject({ type: 'rfm', dimension: 'r' });
    expect(saved.auto_tag_id).toBeTruthy();

    // The operator sets the notice template in the inbox settings.
    await page.goto(`${base}/console/#/inbox`);
    await page.reload();
    await page.click('button[aria-label="inbox settings"]');
    await page.fill('input[aria-label="notice template"]', 'TPL_FOLLOW_UP');
    await page.click('button[aria-label="save inbox settings"]');
    await page.waitForSelector('text=已保存');
    t.clock.advance(49 * 3_600_000);
    await page.reload();
    await page.click('[data-testid="conversation"]:has-text("o_inbox_fan")');
    await page.waitForSelector('[data-testid="window-closed"]');
    await page.fill('input[aria-label="notice"]', '您咨询的面膜到货了，回复我们继续聊～');
    await page.click('button[aria-label="send notice"]');
    await page.waitForSelector('[data-testid="chat"] >> text=[模板通知] 您咨询的面膜到货了');
    await page.screenshot({ path: `${SHOTS}/crm12-window-closed.png` });
    const seen = t.simulator!.sim.fan(account.appid, 'o_inbox_fan').transcript.at(-1)!;
    expect(seen).toMatchObject({ via: 'template' });

    await page.goto(`${base}/console/#/`);
    await page.reload();
    await page.waitForSelector('[data-testid="inbox-stats"]');
    await page.screenshot({ path: `${SHOTS}/crm13-dashboard-inbox.png`, fullPage: true });
    expect(errors, errors.join('\n')).toEqual([]);
  }, 180_000);
});
