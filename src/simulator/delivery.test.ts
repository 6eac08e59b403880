import { describe, expect, it } from 'vitest';
import { parseWeChatXml } from '../wechat/xml.ts';
import { deliverToServer, SERVICE_UNAVAILABLE, type Transport } from './delivery.ts';
import { createSimulatorState } from './simulator.ts';

function setup() {
  const sim = createSimulatorState();
  const app = sim.createApp({ appId: 'wx00000000000000aa', name: 't', type: 'service' });
  app.server = {
    url: 'http://server.test/wechat/wx00000000000000aa',
    token: 'tok',
    aesKey: null,
    mode: 'plain',
  };
  const fan = sim.ensureFan(app.appId, 'o_1', undefined, true);
  return { sim, app, fan };
}

describe('delivery to the account’s server', () => {
  it('retries a failed push with the same MsgId, three tries in all, then tells the fan', async () => {
    const { sim, app, fan } = setup();
    const bodies: string[] = [];
    const failing: Transport = async (_url, init) => {
      bodies.push(init.body ?? '');
      return { status: 500, body: '' };
    };
    const result = await deliverToServer(
      sim,
      app,
      fan,
      { MsgType: 'text', Content: 'hi', MsgId: '42' },
      { transport: failing },
    );
    expect(result).toMatchObject({ delivered: false, attempts: 3 });
    expect(new Set(bodies.map((b) => parseWeChatXml(b).MsgId))).toEqual(new Set(['42']));
    expect(fan.transcript.at(-1)?.message).toEqual({ type: 'text', content: SERVICE_UNAVAILABLE });
  });

  it('treats a timeout like a failure and stops at the first good answer', async () => {
    const { sim, app, fan } = setup();
    let calls = 0;
    const slowThenFine: Transport = async (_url, init) => {
      calls++;
      if (calls === 1) {
        await new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), init.timeoutMs));
      }
      return { status: 200, body: 'success' };
    };
    const result = await deliverToServer(
      sim,
      app,
      fan,
      { MsgType: 'text', Content: 'hi', MsgId: '43' },
      { transport: slowThenFine, timeoutMs: 20 },
    );
    expect(result).toMatchObject({ delivered: true, attempts: 2, reply: null });
    expect(calls).toBe(2);
  });
});
