import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// Extensions and the row-maintenance trigger shared by every table.
// btree_gist lets exclusion constraints mix uuid equality with range overlap;
// pg_trgm backs the substring `search` filters.

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'CREATE EXTENSION IF NOT EXISTS btree_gist',
    'CREATE EXTENSION IF NOT EXISTS pg_trgm',
    `CREATE FUNCTION touch_row() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       NEW.updated_at := now();
       NEW.version := OLD.version + 1;
       RETURN NEW;
     END
     $$`
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'DROP FUNCTION touch_row()',
    'DROP EXTENSION IF EXISTS pg_trgm',
    'DROP EXTENSION IF EXISTS btree_gist'
  ])
}
