/** One data key per merchant, stored only wrapped (encrypted) by the master key. */
export interface DataKeysTable {
  merchant_id: string;
  /** base64url of iv (12) | tag (16) | the AES-256-GCM encryption of the 32-byte data key. */
  wrapped_key: string;
  /** Which master key wrapped it (its fingerprint), so a rotation can be finished or resumed. */
  master_key_id: string;
  created_at: number;
  rotated_at: number | null;
}

export interface VaultTables {
  data_keys: DataKeysTable;
}
