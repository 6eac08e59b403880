import type { FastifyInstance } from 'fastify';

/**
 * A `fetch` that serves URLs under `base` from this Fastify app in process (no socket), and
 * sends everything else to the network. The embedded simulator and tests use it.
 */
export function injectFetch(app: FastifyInstance, base: string): typeof fetch {
  const origin = new URL(base).origin;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.origin !== origin) return fetch(request);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const response = await app.inject({
      method: request.method as 'GET',
      url: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(request.headers),
      ...(body ? { payload: body } : {}),
    });
    return new Response(response.rawPayload.length ? response.rawPayload : null, {
      status: response.statusCode,
      headers: Object.entries(response.headers).flatMap(([k, v]) =>
        v === undefined
          ? []
          : Array.isArray(v)
            ? v.map((x) => [k, x] as [string, string])
            : [[k, String(v)] as [string, string]],
      ),
    });
  }) as typeof fetch;
}
