/**
 * The one UUID check: ids in the canonical 8-4-4-4-12 hex form that Postgres' uuid columns store.
 * Checked before a query, so a malformed id is "not found" or a 400, never a database error.
 */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
