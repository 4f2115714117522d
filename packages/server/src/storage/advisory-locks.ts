/**
 * Keys of the PostgreSQL advisory locks that nodes sharing one database take, kept in one
 * place so that no two uses pick the same number.
 */

/** Serializes appends to the audit chain. */
export const AUDIT_CHAIN_LOCK = 7_310_001;

/** Lets one of the nodes that start together on an empty database create the first signing key. */
export const FIRST_SIGNING_KEY_LOCK = 7_310_002;
