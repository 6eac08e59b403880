import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

/**
 * Every growth admin route, as each role: the roles that may use it never get 403, the others
 * always do (and before any lookup, so an id's existence does not leak). The routes come from the
 * OpenAPI document, so a new growth route fails here until its roles are written below.
 */

type Role = 'owner' | 'operator' | 'agent' | 'clerk';
const OWNER: Role[] = ['owner'];
const OPERATOR: Role[] = ['owner', 'operator'];
const READS_TREE: Role[] = ['owner', 'operator', 'agent'];

const ROUTES: Record<string, Role[]> = {
  'GET /growth/trials': OPERATOR,
  'POST /growth/trials': OPERATOR,
  'GET /growth/trials/{id}': OPERATOR,
  'GET /growth/trials/{id}/entries': OPERATOR,
  'POST /growth/trials/{id}/draw': OPERATOR,
  'GET /growth/trials/{id}/audit': OPERATOR,
  'GET /growth/red-packets': OPERATOR,
  'POST /growth/red-packets': OPERATOR,
  'GET /growth/red-packets/{id}': OPERATOR,
  'GET /growth/red-packets/{id}/packets': OPERATOR,
  'GET /growth/share-campaigns': OPERATOR,
  'POST /growth/share-campaigns': OPERATOR,
  'GET /growth/share-campaigns/{id}': OPERATOR,
  'POST /growth/share-campaigns/{id}/end': OPERATOR,
  'GET /growth/share-campaigns/{id}/shares': OPERATOR,
  'GET /growth/draws': OPERATOR,
  'POST /growth/draws': OPERATOR,
  'GET /growth/draws/{id}': OPERATOR,
  'POST /growth/draws/{id}/end': OPERATOR,
  'GET /growth/draws/{id}/audit': OPERATOR,
  'GET /growth/distribution/settings': OPERATOR,
  'PUT /growth/distribution/settings': OWNER,
  // Agents (customer service) see who distributes and the tree, nothing of money.
  'GET /growth/distributors': READS_TREE,
  'GET /growth/distributors/tree': READS_TREE,
  'POST /growth/distributors': OPERATOR,
  'GET /growth/distributors/{id}/statement': OPERATOR,
  'POST /growth/distributors/{id}/review': OWNER,
  'PUT /growth/distributors/{id}/parent': OWNER,
  'GET /growth/distribution/flags': OPERATOR,
  'GET /growth/distribution/rules': OPERATOR,
  'POST /growth/distribution/rules': OWNER,
  'DELETE /growth/distribution/rules/{id}': OWNER,
  'GET /growth/commissions': OPERATOR,
  'GET /growth/withdrawals': OPERATOR,
  'POST /growth/withdrawals/{id}/review': OWNER,
  'GET /growth/agent-levels': OPERATOR,
  'POST /growth/agent-levels': OWNER,
  'PUT /growth/agent-levels/{id}': OWNER,
  'GET /growth/agent-levels/{id}/prices': OPERATOR,
  'PUT /growth/agent-levels/{id}/prices': OWNER,
  'GET /growth/agents': OPERATOR,
  'POST /growth/agents': OPERATOR,
  'GET /growth/agents/{id}': OPERATOR,
  'PUT /growth/agents/{id}/level': OWNER,
  'POST /growth/agents/{id}/stock-orders': OPERATOR,
};

type JsonSchema = {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  minLength?: number;
  minimum?: number;
};

/** The smallest body the route's schema accepts, so the request reaches the role check. */
function sample(schema: JsonSchema | undefined): unknown {
  if (!schema) return undefined;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return sample(alternatives.find((a) => a.type !== 'null') ?? alternatives[0]);
  switch (schema.type) {
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((k) => [k, sample(schema.properties?.[k])]));
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(schema.items));
    case 'string':
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

let t: TestApp;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('growth-roles');
  tokens.owner = m.token;
  for (const role of ['operator', 'agent', 'clerk'] as const)
    tokens[role] = (await t.call(m.token, 'POST', '/api/v1/tokens', { name: role, role })).body.token;
});
afterAll(() => t.close());

describe('growth admin routes by role', () => {
  it('each role may use exactly the routes written for it', async () => {
    const doc = (await t.call(null, 'GET', '/api/v1/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content?: Record<string, { schema: JsonSchema }> } }>
      >;
    };
    const seen: string[] = [];
    const wrong: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/growth/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const key = `${method.toUpperCase()} ${path.slice('/api/v1'.length)}`;
        seen.push(key);
        const allowed = ROUTES[key];
        if (!allowed) {
          wrong.push(`${key}: no roles written in this test`);
          continue;
        }
        const body = sample(operation.requestBody?.content?.['application/json']?.schema);
        const url = path.replace(/\{[^}]+\}/g, 'no_such_id');
        for (const role of ['owner', 'operator', 'agent', 'clerk'] as const) {
          const verb = method.toUpperCase() as Parameters<TestApp['call']>[1];
          const { status, body: answer } = await t.call(tokens[role], verb, url, body);
          // A 400 would mean the sampled body never reached the role check.
          if (status === 400) wrong.push(`${key} as ${role}: 400 ${JSON.stringify(answer)}`);
          else if (allowed.includes(role) === (status === 403))
            wrong.push(
              `${key} as ${role}: ${status}, expected ${allowed.includes(role) ? 'allowed' : '403'}`,
            );
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(seen.sort()).toEqual(Object.keys(ROUTES).sort());
  });
});
