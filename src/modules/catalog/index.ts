/** Catalog: products and SKUs, stock, deals, stores, Chinese search. */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as catalog } from './migrations/0003_catalog.ts';

export const catalogMigrations: ModuleMigrations = { '0003_catalog': catalog };

export { catalogRoutes } from './catalog.routes.ts';
export type { CatalogTables } from './catalog.schema.ts';
export { cityIn } from './cities.ts';
export { dealsInCity, findGuide, merchantCities } from './deals.service.ts';
export {
  addSales,
  OutOfStockError,
  returnStock,
  shiftRating,
  skusForOrder,
  takeStock,
} from './inventory.service.ts';
export { createProduct, getProduct, type ProductInput, specText } from './products.service.ts';
export { addSynonyms, forgetSearchIndex, searchProducts } from './search.service.ts';
export { createStore, getStore, nearestStores } from './stores.service.ts';
