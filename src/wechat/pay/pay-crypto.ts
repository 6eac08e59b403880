import {
  createCipheriv,
  createDecipheriv,
  createSign,
  createVerify,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/** WeChat Pay v3's signing scheme name, first word of every Authorization header. */
export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

export function nonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

function rsaSign(message: string, privateKey: KeyObject | string): string {
  return createSign('RSA-SHA256').update(message).sign(privateKey, 'base64');
}

function rsaVerify(message: string, signature: string, publicKey: KeyObject | string): boolean {
  try {
    return createVerify('RSA-SHA256').update(message).verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** The string a request signature covers: method, path with query, timestamp, nonce, body; each line-terminated. */
export function requestMessage(
  method: string,
  pathWithQuery: string,
  timestamp: string,
  nonceStr: string,
  body: string,
): string {
  return `${method}\n${pathWithQuery}\n${timestamp}\n${nonceStr}\n${body}\n`;
}

export function authorizationHeader(input: {
  mchid: string;
  serialNo: string;
  privateKey: KeyObject | string;
  method: string;
  pathWithQuery: string;
  body: string;
  timestamp?: string;
  nonceStr?: string;
}): string {
  const timestamp = input.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonceStr = input.nonceStr ?? nonce();
  const signature = rsaSign(
    requestMessage(input.method, input.pathWithQuery, timestamp, nonceStr, input.body),
    input.privateKey,
  );
  return `${AUTH_SCHEME} mchid="${input.mchid}",nonce_str="${nonceStr}",signature="${signature}",timestamp="${timestamp}",serial_no="${input.serialNo}"`;
}

export interface ParsedAuthorization {
  mchid: string;
  nonceStr: string;
  signature: string;
  timestamp: string;
  serialNo: string;
}

export function parseAuthorization(header: string | undefined): ParsedAuthorization | null {
  if (!header?.startsWith(`${AUTH_SCHEME} `)) return null;
  const fields = Object.fromEntries(
    [...header.slice(AUTH_SCHEME.length + 1).matchAll(/(\w+)="([^"]*)"/g)].map(
      (m) => [m[1], m[2]] as [string, string],
    ),
  );
  if (!fields.mchid || !fields.nonce_str || !fields.signature || !fields.timestamp || !fields.serial_no)
    return null;
  return {
    mchid: fields.mchid,
    nonceStr: fields.nonce_str,
    signature: fields.signature,
    timestamp: fields.timestamp,
    serialNo: fields.serial_no,
  };
}

export function verifyRequest(
  auth: ParsedAuthorization,
  method: string,
  pathWithQuery: string,
  body: string,
  publicKey: KeyObject | string,
): boolean {
  return rsaVerify(
    requestMessage(method, pathWithQuery, auth.timestamp, auth.nonceStr, body),
    auth.signature,
    publicKey,
  );
}

/** The string a response or notice signature covers: timestamp, nonce, body. */
export function responseMessage(timestamp: string, nonceStr: string, body: string): string {
  return `${timestamp}\n${nonceStr}\n${body}\n`;
}

export function signResponse(
  body: string,
  privateKey: KeyObject | string,
  timestamp = String(Math.floor(Date.now() / 1000)),
  nonceStr = nonce(),
) {
  return {
    timestamp,
    nonce: nonceStr,
    signature: rsaSign(responseMessage(timestamp, nonceStr, body), privateKey),
  };
}

export function verifyResponse(
  input: { timestamp: string; nonce: string; body: string; signature: string },
  publicKey: KeyObject | string,
): boolean {
  return rsaVerify(responseMessage(input.timestamp, input.nonce, input.body), input.signature, publicKey);
}

/** JSAPI pay sheet parameters for `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` / `wx.chooseWXPay`. */
export function jsapiPayParams(
  appId: string,
  prepayId: string,
  privateKey: KeyObject | string,
  timeStamp = String(Math.floor(Date.now() / 1000)),
  nonceStr = nonce(),
) {
  const pkg = `prepay_id=${prepayId}`;
  return {
    appId,
    timeStamp,
    nonceStr,
    package: pkg,
    signType: 'RSA' as const,
    paySign: rsaSign(`${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, privateKey),
  };
}

export function verifyPaySign(
  params: ReturnType<typeof jsapiPayParams>,
  publicKey: KeyObject | string,
): boolean {
  return rsaVerify(
    `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`,
    params.paySign,
    publicKey,
  );
}

export interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  nonce: string;
  original_type: string;
}

/** Decrypts a notice's `resource` with the APIv3 key (AES-256-GCM; the last 16 bytes are the tag). */
export function decryptResource(resource: EncryptedResource, apiV3Key: string): string {
  if (resource.algorithm !== 'AEAD_AES_256_GCM')
    throw new Error(`unsupported algorithm ${resource.algorithm}`);
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length < 17) throw new Error('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(resource.nonce));
  decipher.setAuthTag(data.subarray(data.length - 16));
  decipher.setAAD(Buffer.from(resource.associated_data ?? ''));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString(
    'utf8',
  );
}

export function encryptResource(
  plaintext: string,
  apiV3Key: string,
  associatedData: string,
  originalType: string,
): EncryptedResource {
  const nonceStr = randomBytes(6).toString('hex');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(nonceStr));
  cipher.setAAD(Buffer.from(associatedData));
  const encrypted = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: encrypted.toString('base64'),
    associated_data: associatedData,
    nonce: nonceStr,
    original_type: originalType,
  };
}
