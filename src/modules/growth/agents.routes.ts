import { Type } from '@fastify/type-provider-typebox';
import type { Api } from '../../deps.ts';
import { IdParams, withErrors } from '../../platform/http/schemas.ts';
import { levelPrices, listAgentLevels, saveAgentLevel, setLevelPrices } from './agent-levels.service.ts';
import { agentDetail, agentTree, createAgent, placeStockOrder, setAgentLevel } from './agents.service.ts';

const tags = ['growth'];
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Level = Type.Object({
  id: Type.String(),
  name: Type.String(),
  rank: Type.Integer(),
  upgrade_spend: Type.Integer(),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});
const LevelBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 20 }),
  rank: Type.Integer({ minimum: 1, maximum: 20, description: '1 = the top level' }),
  upgrade_spend: Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'fen; 0 = by hand only' }),
});
const Prices = Type.Array(Type.Object({ sku_id: Type.String(), price: Type.Integer() }));
const Agent = Type.Object({
  id: Type.String(),
  name: Type.String(),
  phone: Type.String(),
  level_id: Type.String(),
  parent_id: Nullable(Type.String()),
  purchased: Type.Integer(),
  created_at: Type.Integer(),
});
const StockOrder = Type.Object({
  id: Type.String(),
  agent_id: Type.String(),
  supplier_id: Nullable(Type.String()),
  total: Type.Integer(),
  created_at: Type.Integer(),
  items: Type.Optional(
    Type.Array(Type.Object({ sku_id: Type.String(), quantity: Type.Integer(), unit_price: Type.Integer() })),
  ),
});

/** Admin: dealer levels and wholesale prices, agents in a tree, stock orders and upgrades (层层代理). */
export function agentAdminRoutes(app: Api): void {
  app.get(
    '/growth/agent-levels',
    {
      schema: { tags, summary: '代理等级 / Agent levels', response: withErrors({ 200: Type.Array(Level) }) },
    },
    async (request) => listAgentLevels(request.ctx),
  );
  app.post(
    '/growth/agent-levels',
    { schema: { tags, body: LevelBody, response: withErrors({ 201: Level }) } },
    async (request, reply) => reply.status(201).send(await saveAgentLevel(request.ctx, request.body)),
  );
  app.put(
    '/growth/agent-levels/:id',
    { schema: { tags, params: IdParams, body: LevelBody, response: withErrors({ 200: Level }) } },
    async (request) => saveAgentLevel(request.ctx, request.body, request.params.id),
  );
  app.get(
    '/growth/agent-levels/:id/prices',
    {
      schema: {
        tags,
        summary: '拿货价 / Wholesale prices',
        params: IdParams,
        response: withErrors({ 200: Prices }),
      },
    },
    async (request) => levelPrices(request.ctx, request.params.id),
  );
  app.put(
    '/growth/agent-levels/:id/prices',
    {
      schema: {
        tags,
        params: IdParams,
        body: Type.Object({
          prices: Type.Array(
            Type.Object({
              sku_id: Type.String({ maxLength: 64 }),
              price: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
            }),
            { maxItems: 500 },
          ),
        }),
        response: withErrors({ 200: Prices }),
      },
    },
    async (request) => setLevelPrices(request.ctx, request.params.id, request.body.prices),
  );
  app.get(
    '/growth/agents',
    {
      schema: {
        tags,
        summary: '代理树 / The agent tree',
        response: withErrors({
          200: Type.Object({
            nodes: Type.Array(
              Type.Object({
                ...Agent.properties,
                level_name: Type.String(),
                rank: Type.Integer(),
                stock: Type.Integer(),
              }),
            ),
            truncated: Type.Boolean(),
          }),
        }),
      },
    },
    async (request) => agentTree(request.ctx),
  );
  app.post(
    '/growth/agents',
    {
      schema: {
        tags,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 40 }),
          phone: Type.String({ maxLength: 20 }),
          level_id: Type.String({ maxLength: 64 }),
          parent_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
        }),
        response: withErrors({ 201: Agent }),
      },
    },
    async (request, reply) => reply.status(201).send(await createAgent(request.ctx, request.body)),
  );
  app.get(
    '/growth/agents/:id',
    {
      schema: {
        tags,
        params: IdParams,
        response: withErrors({
          200: Type.Object({
            ...Agent.properties,
            stock: Type.Array(Type.Object({ sku_id: Type.String(), quantity: Type.Integer() })),
            orders: Type.Array(StockOrder),
            changes: Type.Array(
              Type.Object({
                id: Type.String(),
                from_level_id: Nullable(Type.String()),
                to_level_id: Type.String(),
                from_parent_id: Nullable(Type.String()),
                to_parent_id: Nullable(Type.String()),
                reason: Type.String(),
                created_at: Type.Integer(),
              }),
            ),
          }),
        }),
      },
    },
    async (request) => agentDetail(request.ctx, request.params.id),
  );
  app.put(
    '/growth/agents/:id/level',
    {
      schema: {
        tags,
        summary: '调整等级（店主）/ Set the level (owner)',
        params: IdParams,
        body: Type.Object({ level_id: Type.String({ maxLength: 64 }) }),
        response: withErrors({ 200: Agent }),
      },
    },
    async (request) => setAgentLevel(request.ctx, request.params.id, request.body.level_id),
  );
  app.post(
    '/growth/agents/:id/stock-orders',
    {
      schema: {
        tags,
        summary: '进货：向上级或总部 / Order stock from the level above or the merchant',
        params: IdParams,
        body: Type.Object({
          from: Type.Union([Type.Literal('parent'), Type.Literal('merchant')]),
          items: Type.Array(
            Type.Object({
              sku_id: Type.String({ maxLength: 64 }),
              quantity: Type.Integer({ minimum: 1, maximum: 100_000 }),
            }),
            { minItems: 1, maxItems: 100 },
          ),
        }),
        response: withErrors({ 201: StockOrder }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await placeStockOrder(request.ctx, request.params.id, request.body)),
  );
}
