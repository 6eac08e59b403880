import type { ButtonSpec } from '../wechat/api-client.ts';
import { SERVICE_WINDOW_MS, type SimApp, SimError, type SimFan, type SimulatorState } from './simulator.ts';

const BUTTON_TYPES = new Set([
  'click',
  'view',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
  'media_id',
  'article_id',
  'article_view_limited',
  'miniprogram',
]);
const bytes = (s: string) => Buffer.byteLength(s);

/** WeChat's menu limits, with WeChat's own error codes. */
export function validateMenu(buttons: unknown): ButtonSpec[] {
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3)
    throw new SimError(40016, 'invalid button size');
  const checkLeaf = (b: ButtonSpec, maxNameBytes: number) => {
    if (typeof b.name !== 'string' || bytes(b.name) < 1 || bytes(b.name) > maxNameBytes) {
      throw new SimError(40018, 'invalid button name size');
    }
    if (!b.type || !BUTTON_TYPES.has(b.type)) throw new SimError(40017, 'invalid button type');
    if (b.type === 'view' || b.type === 'miniprogram') {
      if (!b.url || bytes(b.url) > 1024) throw new SimError(40055, 'invalid button url');
    } else if (b.type !== 'media_id' && b.type !== 'article_id' && b.type !== 'article_view_limited') {
      if (!b.key || bytes(b.key) > 128) throw new SimError(40019, 'invalid button key size');
    }
  };
  for (const button of buttons as ButtonSpec[]) {
    if (button.sub_button && button.sub_button.length > 0) {
      if (typeof button.name !== 'string' || bytes(button.name) < 1 || bytes(button.name) > 16) {
        throw new SimError(40018, 'invalid button name size');
      }
      if (button.sub_button.length > 5) throw new SimError(40023, 'invalid sub button size');
      for (const sub of button.sub_button) checkLeaf(sub, 60);
    } else {
      checkLeaf(button, 16);
    }
  }
  return buttons as ButtonSpec[];
}

function requireVerified(app: SimApp) {
  if (!app.verified) throw new SimError(48001, 'api unauthorized');
}

/** The customer-service API: verified accounts, subscribed fans, within 48 hours of the fan's last message. */
export function checkCustomerServiceWindow(sim: SimulatorState, app: SimApp, fan: SimFan): void {
  requireVerified(app);
  if (!fan.subscribed) throw new SimError(43004, 'require subscribe');
  if (!fan.lastInteraction || sim.now() - fan.lastInteraction > SERVICE_WINDOW_MS) {
    throw new SimError(45015, 'response out of time limit or subscription is canceled');
  }
}

export function checkTemplateAllowed(app: SimApp, fan: SimFan): void {
  if (app.type !== 'service' || !app.verified) throw new SimError(48001, 'api unauthorized');
  if (!fan.subscribed) throw new SimError(43004, 'require subscribe');
}

/** QR codes with parameters belong to verified service accounts. */
export function checkQrCodeAllowed(app: SimApp): void {
  if (app.type !== 'service' || !app.verified) throw new SimError(48001, 'api unauthorized');
}

function shanghaiParts(ms: number): { day: string; month: string } {
  const shifted = new Date(ms + 8 * 3_600_000).toISOString();
  return { day: shifted.slice(0, 10), month: shifted.slice(0, 7) };
}

/** Subscription accounts: one mass send a day; service accounts: four a month (China time). */
export function takeMassSendQuota(sim: SimulatorState, app: SimApp): void {
  requireVerified(app);
  const now = shanghaiParts(sim.now());
  const used = app.massSends.filter((at) => {
    const parts = shanghaiParts(at);
    return app.type === 'subscription' ? parts.day === now.day : parts.month === now.month;
  }).length;
  const allowance = app.type === 'subscription' ? 1 : 4;
  if (used >= allowance) throw new SimError(45028, 'has no masssend quota');
  app.massSends = [...app.massSends.filter((at) => sim.now() - at < 40 * 24 * 3_600_000), sim.now()];
  sim.changed();
}
