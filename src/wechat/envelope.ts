import { type MessageCrypto, MessageCryptoError } from './message-crypto.ts';
import { messageSignature, verifyCallbackSignature, verifyMessageSignature } from './signature.ts';
import { parseWeChatXml, renderWeChatXml } from './xml.ts';

/** plain: no encryption; compatible: both, per message; safe: AES only. */
export type MessageMode = 'plain' | 'compatible' | 'safe';

export interface CallbackQuery {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
  openid?: string;
  encrypt_type?: string;
  msg_signature?: string;
}

export class EnvelopeError extends Error {
  readonly reason: 'signature' | 'decrypt' | 'xml' | 'mode';
  constructor(reason: EnvelopeError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface OpenedEnvelope {
  /** The message's own fields. */
  message: Record<string, unknown>;
  /** Whether the reply must be encrypted too. */
  encrypted: boolean;
}

/**
 * Verifies and opens one push from WeChat. The query `signature` is checked in every mode; an
 * encrypted body also needs a valid `msg_signature`, and a safe-mode account refuses plaintext.
 */
export function openEnvelope(
  body: string,
  query: CallbackQuery,
  account: { token: string; mode: MessageMode; crypto: MessageCrypto | null },
): OpenedEnvelope {
  const { timestamp = '', nonce = '' } = query;
  if (!query.signature || !verifyCallbackSignature(account.token, timestamp, nonce, query.signature)) {
    throw new EnvelopeError('signature', 'bad signature');
  }
  let outer: Record<string, unknown>;
  try {
    outer = parseWeChatXml(body);
  } catch (error) {
    throw new EnvelopeError('xml', (error as Error).message);
  }
  const wantsEncrypted = query.encrypt_type === 'aes';
  if (!wantsEncrypted) {
    if (account.mode === 'safe')
      throw new EnvelopeError('mode', 'this account accepts encrypted messages only');
    return { message: outer, encrypted: false };
  }
  if (!account.crypto) throw new EnvelopeError('mode', 'no EncodingAESKey for an encrypted message');
  const encrypted = typeof outer.Encrypt === 'string' ? outer.Encrypt : '';
  if (!encrypted || !query.msg_signature)
    throw new EnvelopeError('signature', 'missing Encrypt or msg_signature');
  if (!verifyMessageSignature(account.token, timestamp, nonce, encrypted, query.msg_signature)) {
    throw new EnvelopeError('signature', 'bad msg_signature');
  }
  let inner: string;
  try {
    inner = account.crypto.decrypt(encrypted);
  } catch (error) {
    throw new EnvelopeError(
      'decrypt',
      error instanceof MessageCryptoError ? error.message : 'decrypt failed',
    );
  }
  try {
    return { message: parseWeChatXml(inner), encrypted: true };
  } catch (error) {
    throw new EnvelopeError('xml', (error as Error).message);
  }
}

/** Wraps a reply (or, on WeChat's side, a push) as `<xml><Encrypt/><MsgSignature/>…`. */
export function sealEnvelope(
  xml: string,
  crypto: MessageCrypto,
  token: string,
  timestamp: string,
  nonce: string,
): { xml: string; signature: string; encrypted: string } {
  const encrypted = crypto.encrypt(xml);
  const signature = messageSignature(token, timestamp, nonce, encrypted);
  return {
    encrypted,
    signature,
    xml: renderWeChatXml({ Encrypt: encrypted, MsgSignature: signature, TimeStamp: timestamp, Nonce: nonce }),
  };
}

/** Reads an encrypted reply the way WeChat does: check MsgSignature, decrypt, parse. */
export function openSealedReply(xml: string, crypto: MessageCrypto, token: string): Record<string, unknown> {
  const outer = parseWeChatXml(xml);
  const encrypted = String(outer.Encrypt ?? '');
  const ok = verifyMessageSignature(
    token,
    String(outer.TimeStamp ?? ''),
    String(outer.Nonce ?? ''),
    encrypted,
    String(outer.MsgSignature ?? ''),
  );
  if (!ok) throw new EnvelopeError('signature', 'bad reply MsgSignature');
  return parseWeChatXml(crypto.decrypt(encrypted));
}
