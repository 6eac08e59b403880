/** goods are shipped; deals are redeemed in a store; services (a paid membership) are neither. */
export type ProductKind = 'goods' | 'deal' | 'service';
export type ProductStatus = 'draft' | 'on_sale' | 'off_shelf';

export interface ProductsTable {
  id: string;
  merchant_id: string;
  /** goods are shipped; deals (group-buy vouchers) are redeemed in a store. */
  kind: ProductKind;
  title: string;
  subtitle: string;
  description: string;
  /** A path such as "女装/连衣裙". */
  category: string;
  /** JSON array of strings. */
  tags: string;
  /** JSON array of image URLs. */
  images: string;
  status: ProductStatus;
  /** Lowest SKU price and its original price, in fen; kept in step with the SKUs. */
  price: number;
  original_price: number;
  /** Sum of SKU stock. */
  stock: number;
  sales: number;
  rating_sum: number;
  rating_count: number;
  guide_install: string | null;
  guide_maintenance: string | null;
  /** Deals: the city they are sold in and the window they can be redeemed in. */
  city: string | null;
  valid_from: number | null;
  valid_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface SkusTable {
  id: string;
  merchant_id: string;
  product_id: string;
  /** JSON object such as {"颜色":"红","尺码":"M"}. */
  spec: string;
  price: number;
  original_price: number;
  stock: number;
  created_at: number;
}

export interface StoresTable {
  id: string;
  merchant_id: string;
  name: string;
  address: string;
  city: string;
  latitude: number;
  longitude: number;
  phone: string;
  /** "HH:MM" in the merchant's time zone; closes_at before opens_at means past midnight. */
  opens_at: string;
  closes_at: string;
  created_at: number;
}

export interface ProductStoresTable {
  product_id: string;
  store_id: string;
  merchant_id: string;
}

export interface SearchSynonymsTable {
  id: string;
  merchant_id: string;
  /** JSON array: words a fan may use for the same thing, e.g. ["连衣裙","裙子"]. */
  words: string;
  created_at: number;
}

export interface CatalogTables {
  products: ProductsTable;
  skus: SkusTable;
  stores: StoresTable;
  product_stores: ProductStoresTable;
  search_synonyms: SearchSynonymsTable;
}
