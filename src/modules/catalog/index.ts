/** Catalog: products and SKUs, stock, deals, stores, Chinese search. */
import type { ModuleMigrations } from '../../platform/db/migrate.ts';
import { up as catalog } from './migrations/0003_catalog.ts';
import { up as search } from './migrations/0012_search.ts';

export const catalogMigrations: ModuleMigrations = { '0003_catalog': catalog, '0012_search': search };

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
export { createProduct, getProduct, type ProductInput, specText, updateProduct } from './products.service.ts';
export { addSynonyms, searchProducts } from './search.service.ts';
/** The words search cuts a text into (jieba): what benchmarks feed a reference index. */
export { terms as searchTerms } from './segmenter.ts';
export { createStore, getStore, listStores, nearestStores } from './stores.service.ts';
