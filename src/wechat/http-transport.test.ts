import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepAliveTransport } from './http-transport.ts';

let server: http.Server;
let base: string;
let connections = 0;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    if (request.url === '/silent') return; // never answers
    if (request.url === '/endless') {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const more = () => {
        while (response.write(chunk)) if (response.destroyed) return;
        response.once('drain', more);
      };
      response.on('error', () => {});
      return more();
    }
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      response.writeHead(request.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ method: request.method, body, type: request.headers['content-type'] }));
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('keepAliveTransport', () => {
  it('sends the body and headers and answers the status and text, UTF-8 intact', async () => {
    const send = keepAliveTransport();
    const answer = await send(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"content":"您好，订单已支付"}',
      timeoutMs: 2000,
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      method: 'POST',
      body: '{"content":"您好，订单已支付"}',
      type: 'application/json',
    });
    expect((await send(`${base}/missing`, { method: 'GET', headers: {}, timeoutMs: 2000 })).status).toBe(404);
  });

  it('keeps one connection alive across calls made one after another', async () => {
    const send = keepAliveTransport();
    const before = connections;
    for (let i = 0; i < 10; i++) await send(`${base}/echo`, { method: 'GET', headers: {}, timeoutMs: 2000 });
    expect(connections - before).toBe(1);
  });

  it('gives up at the deadline when the server never answers', async () => {
    const send = keepAliveTransport();
    const started = Date.now();
    await expect(send(`${base}/silent`, { method: 'GET', headers: {}, timeoutMs: 200 })).rejects.toThrow(
      /timed out after 200 ms/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects a refused connection instead of hanging', async () => {
    const send = keepAliveTransport();
    await expect(
      send('http://127.0.0.1:1/', { method: 'GET', headers: {}, timeoutMs: 2000 }),
    ).rejects.toThrow();
  });

  it('stops reading an answer past its size limit (an endless body from a broken upstream)', async () => {
    const send = keepAliveTransport(4, 1024 * 1024);
    await expect(send(`${base}/endless`, { method: 'GET', headers: {}, timeoutMs: 5000 })).rejects.toThrow(
      /larger than 1048576 bytes/,
    );
  });
});
