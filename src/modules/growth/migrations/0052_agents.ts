import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema of their own time
type AnyDb = Kysely<any>;

const merchant = 'merchants.id';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('growth_agent_levels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('rank', 'integer', (c) => c.notNull())
    .addColumn('upgrade_spend', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_agent_levels_rank')
    .on('growth_agent_levels')
    .columns(['merchant_id', 'rank'])
    .unique()
    .execute();

  await db.schema
    .createTable('growth_agent_prices')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('level_id', 'text', (c) =>
      c.notNull().references('growth_agent_levels.id').onDelete('cascade'),
    )
    .addColumn('sku_id', 'text', (c) => c.notNull())
    .addColumn('price', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('growth_agent_prices_pk', ['level_id', 'sku_id'])
    .execute();

  await db.schema
    .createTable('growth_agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('level_id', 'text', (c) => c.notNull().references('growth_agent_levels.id'))
    .addColumn('parent_id', 'text')
    .addColumn('purchased', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_agents_parent')
    .on('growth_agents')
    .columns(['merchant_id', 'parent_id'])
    .execute();

  await db.schema
    .createTable('growth_agent_stock')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('agent_id', 'text', (c) => c.notNull().references('growth_agents.id').onDelete('cascade'))
    .addColumn('sku_id', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('growth_agent_stock_pk', ['agent_id', 'sku_id'])
    .execute();

  await db.schema
    .createTable('growth_stock_orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('agent_id', 'text', (c) => c.notNull().references('growth_agents.id').onDelete('cascade'))
    .addColumn('supplier_id', 'text')
    .addColumn('total', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_stock_orders_agent')
    .on('growth_stock_orders')
    .columns(['merchant_id', 'agent_id', 'id'])
    .execute();
  await db.schema
    .createTable('growth_stock_order_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('stock_order_id', 'text', (c) =>
      c.notNull().references('growth_stock_orders.id').onDelete('cascade'),
    )
    .addColumn('sku_id', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('unit_price', 'bigint', (c) => c.notNull())
    .addColumn('subtotal', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_stock_order_items_order')
    .on('growth_stock_order_items')
    .column('stock_order_id')
    .execute();

  await db.schema
    .createTable('growth_agent_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references(merchant).onDelete('cascade'))
    .addColumn('agent_id', 'text', (c) => c.notNull().references('growth_agents.id').onDelete('cascade'))
    .addColumn('from_level_id', 'text')
    .addColumn('to_level_id', 'text', (c) => c.notNull())
    .addColumn('from_parent_id', 'text')
    .addColumn('to_parent_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('growth_agent_changes_agent')
    .on('growth_agent_changes')
    .columns(['agent_id', 'id'])
    .execute();
}
