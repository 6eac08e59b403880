import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';

/** WeChat pads to 32-byte blocks (not AES's 16), so padding is done by hand. */
const BLOCK = 32;

export class MessageCryptoError extends Error {}

export interface MessageCrypto {
  encrypt(xml: string, random?: Buffer): string;
  /** Returns the inner XML; throws if the padding, length or appid is wrong. */
  decrypt(encrypted: string): string;
}

export function isEncodingAesKey(value: string): boolean {
  return /^[A-Za-z0-9+/]{43}$/.test(value);
}

/**
 * Safe-mode message encryption: AES-256-CBC with key = base64(EncodingAESKey + "="),
 * IV = the key's first 16 bytes, plaintext = random(16) + length(4, big-endian) + xml + appid.
 */
export function createMessageCrypto(encodingAesKey: string, appId: string): MessageCrypto {
  if (!isEncodingAesKey(encodingAesKey))
    throw new MessageCryptoError('EncodingAESKey must be 43 base64 characters');
  const raw = Buffer.from(`${encodingAesKey}=`, 'base64');
  const iv = raw.subarray(0, 16);
  // A KeyObject made once: building one from raw bytes on every message is a measurable cost.
  const key = createSecretKey(raw);
  const appIdBytes = Buffer.from(appId);

  return {
    encrypt(xml, random = randomBytes(16)) {
      const body = Buffer.from(xml);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(body.length, 0);
      const plain = Buffer.concat([random, length, body, appIdBytes]);
      const pad = BLOCK - (plain.length % BLOCK);
      const cipher = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
      return Buffer.concat([
        cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])),
        cipher.final(),
      ]).toString('base64');
    },
    decrypt(encrypted) {
      const data = Buffer.from(encrypted, 'base64');
      if (data.length === 0 || data.length % 16 !== 0) throw new MessageCryptoError('ciphertext length');
      const decipher = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
      const plain = Buffer.concat([decipher.update(data), decipher.final()]);
      const pad = plain[plain.length - 1] ?? 0;
      if (pad < 1 || pad > BLOCK || pad > plain.length) throw new MessageCryptoError('padding');
      for (let i = plain.length - pad; i < plain.length; i++) {
        if (plain[i] !== pad) throw new MessageCryptoError('padding');
      }
      const content = plain.subarray(16, plain.length - pad);
      if (content.length < 4) throw new MessageCryptoError('length');
      const xmlLength = content.readUInt32BE(0);
      if (4 + xmlLength > content.length) throw new MessageCryptoError('length');
      const xml = content.subarray(4, 4 + xmlLength);
      const fromAppId = content.subarray(4 + xmlLength);
      if (!fromAppId.equals(appIdBytes)) throw new MessageCryptoError('appid mismatch');
      return xml.toString('utf8');
    },
  };
}
