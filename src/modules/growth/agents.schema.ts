/** Agents (层层代理): dealer levels with wholesale prices, agents in a tree, their stock and stock orders. */

export interface AgentLevelsTable {
  id: string;
  merchant_id: string;
  name: string;
  /** 1 is the top level; a child's rank is always greater than its parent's. */
  rank: number;
  /** Lifetime stock purchases (fen) that lift an agent to this level; 0 = by hand only. */
  upgrade_spend: number;
  created_at: number;
  updated_at: number;
}

/** The wholesale price of a SKU for agents of a level. */
export interface AgentPricesTable {
  merchant_id: string;
  level_id: string;
  sku_id: string;
  price: number;
  updated_at: number;
}

export interface AgentsTable {
  id: string;
  merchant_id: string;
  name: string;
  phone: string;
  level_id: string;
  /** The agent they buy from; null = the merchant. */
  parent_id: string | null;
  /** Lifetime stock purchases in fen (what upgrades read). */
  purchased: number;
  created_at: number;
  updated_at: number;
}

export interface AgentStockTable {
  merchant_id: string;
  agent_id: string;
  sku_id: string;
  quantity: number;
  updated_at: number;
}

export interface StockOrdersTable {
  id: string;
  merchant_id: string;
  agent_id: string;
  /** The agent that supplied it; null = the merchant's own stock. */
  supplier_id: string | null;
  total: number;
  created_at: number;
}

export interface StockOrderItemsTable {
  id: string;
  merchant_id: string;
  stock_order_id: string;
  sku_id: string;
  quantity: number;
  unit_price: number;
  subtotal: number;
}

/** Every change of an agent's level or parent, and why (audit). */
export interface AgentChangesTable {
  id: string;
  merchant_id: string;
  agent_id: string;
  from_level_id: string | null;
  to_level_id: string;
  from_parent_id: string | null;
  to_parent_id: string | null;
  reason: string;
  created_at: number;
}

export interface AgentTables {
  growth_agent_levels: AgentLevelsTable;
  growth_agent_prices: AgentPricesTable;
  growth_agents: AgentsTable;
  growth_agent_stock: AgentStockTable;
  growth_stock_orders: StockOrdersTable;
  growth_stock_order_items: StockOrderItemsTable;
  growth_agent_changes: AgentChangesTable;
}
