import { randomBytes } from 'node:crypto';
import { openSealedReply, sealEnvelope } from '../wechat/envelope.ts';
import type { HttpTransport } from '../wechat/http-transport.ts';
import { createMessageCrypto } from '../wechat/message-crypto.ts';
import { fromPassiveReplyXml, type PassiveReply } from '../wechat/messages.ts';
import { callbackSignature } from '../wechat/signature.ts';
import { parseWeChatXml, renderWeChatXml, type XmlNode } from '../wechat/xml.ts';
import type { SimApp, SimFan, SimulatorState } from './simulator.ts';

export type Transport = HttpTransport;

export interface DeliveryOptions {
  transport: Transport;
  /** WeChat waits five seconds, then retries; three tries in all. */
  timeoutMs?: number;
  attempts?: number;
}

export interface DeliveryResult {
  delivered: boolean;
  attempts: number;
  reply: PassiveReply | null;
  error?: string;
}

/** What a fan sees when the account's server never answers properly. */
export const SERVICE_UNAVAILABLE = '该公众号暂时无法提供服务，请稍后再试';

/**
 * Pushes one message or event to the account's server exactly as WeChat does: signed query,
 * XML body (encrypted in safe mode, both forms in compatible mode), a five-second deadline and
 * up to three tries with the same body. Records the passive reply in the fan's transcript.
 */
export async function deliverToServer(
  sim: SimulatorState,
  app: SimApp,
  fan: SimFan,
  fields: XmlNode,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const server = app.server;
  if (!server) return { delivered: false, attempts: 0, reply: null, error: 'no server URL configured' };
  const plainXml = renderWeChatXml({
    ToUserName: app.originalId,
    FromUserName: fan.openid,
    CreateTime: Math.floor(sim.now() / 1000),
    ...fields,
  });
  const timestamp = String(Math.floor(sim.now() / 1000));
  // Sent in the clear beside the signature, so not a secret: a CSPRNG call per push cost the
  // simulator a twentieth of its time at a million notices.
  const nonce = String(Math.floor(Math.random() * 0x1_0000_0000));
  const query = new URLSearchParams({
    signature: callbackSignature(server.token, timestamp, nonce),
    timestamp,
    nonce,
    openid: fan.openid,
  });
  let body = plainXml;
  const crypto =
    server.mode !== 'plain' && server.aesKey ? createMessageCrypto(server.aesKey, app.appId) : null;
  if (crypto) {
    const sealed = sealEnvelope(plainXml, crypto, server.token, timestamp, nonce);
    query.set('encrypt_type', 'aes');
    query.set('msg_signature', sealed.signature);
    body =
      server.mode === 'safe'
        ? renderWeChatXml({ ToUserName: app.originalId, Encrypt: sealed.encrypted })
        : plainXml.replace('</xml>', `<Encrypt><![CDATA[${sealed.encrypted}]]></Encrypt></xml>`);
  }
  const url = `${server.url}${server.url.includes('?') ? '&' : '?'}${query}`;
  const attempts = options.attempts ?? 3;
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await options.transport(url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body,
        timeoutMs: options.timeoutMs ?? 5000,
      });
      if (response.status !== 200) {
        lastError = `HTTP ${response.status}`;
        continue;
      }
      const text = response.body.trim();
      if (text === '' || text === 'success') return { delivered: true, attempts: attempt, reply: null };
      const replyXml = crypto ? openSealedReply(text, crypto, server.token) : parseWeChatXml(text);
      const reply = fromPassiveReplyXml(replyXml);
      sim.record(fan, {
        from: 'account',
        via: 'passive',
        message: reply as unknown as Record<string, unknown>,
      });
      return { delivered: true, attempts: attempt, reply };
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  sim.record(fan, { from: 'wechat', via: 'system', message: { type: 'text', content: SERVICE_UNAVAILABLE } });
  return { delivered: false, attempts, reply: null, error: lastError };
}

/** Checks a server URL the way WeChat's console does: GET with echostr, expect it back. */
export async function verifyServerUrl(url: string, token: string, transport: Transport): Promise<boolean> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  // Sent in the clear beside the signature, so not a secret: a CSPRNG call per push cost the
  // simulator a twentieth of its time at a million notices.
  const nonce = String(Math.floor(Math.random() * 0x1_0000_0000));
  const echostr = randomBytes(9).toString('hex');
  const query = new URLSearchParams({
    signature: callbackSignature(token, timestamp, nonce),
    timestamp,
    nonce,
    echostr,
  });
  try {
    const response = await transport(`${url}${url.includes('?') ? '&' : '?'}${query}`, {
      method: 'GET',
      headers: {},
      timeoutMs: 5000,
    });
    return response.status === 200 && response.body.trim() === echostr;
  } catch {
    return false;
  }
}
