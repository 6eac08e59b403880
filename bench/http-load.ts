// A small keep-alive HTTP load generator for the benches: N lanes, each sends its next request as
// soon as the last one answered, recording latencies. Runs in the bench's own process, apart from
// the server's, so each has a core.
import { Agent, request } from 'node:http';

export function httpClient(base: string, concurrency: number) {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  function send(
    method: 'GET' | 'POST',
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const r = request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method,
          agent,
          headers: {
            ...headers,
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      r.on('error', reject);
      r.end(body);
    });
  }
  return { send, close: () => agent.destroy() };
}

/** Runs `total` calls of `work(i)` over `concurrency` lanes; returns requests/s and sorted latencies (ms). */
export async function runLoad(
  total: number,
  concurrency: number,
  work: (i: number, lane: number) => Promise<void>,
): Promise<{ perSecond: number; seconds: number; latencies: number[] }> {
  const latencies = new Array<number>(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await work(i, lane);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: Math.round(total / seconds), seconds, latencies };
}

export const pct = (sorted: number[], p: number) =>
  Number((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0).toFixed(2));
