import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// Runtime switches an operator or an organization's admin flips without a deploy:
// feature flags (kill switches) and read-only maintenance mode. A row with organization_id NULL
// applies to the whole service; otherwise to one organization.

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    `CREATE TABLE feature_flags (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
       name text NOT NULL,
       enabled boolean NOT NULL,
       reason text,
       updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT feature_flags_scope_name_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
       CONSTRAINT feature_flags_name_format CHECK (name ~ '^[a-z][a-z0-9-]{1,62}$'),
       CONSTRAINT feature_flags_reason_length CHECK (char_length(reason) <= 500)
     )`,
    `CREATE TABLE maintenance_modes (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
       message text NOT NULL,
       enabled_by uuid REFERENCES users (id) ON DELETE SET NULL,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT maintenance_modes_scope_unique UNIQUE NULLS NOT DISTINCT (organization_id),
       CONSTRAINT maintenance_modes_message_length CHECK (char_length(message) BETWEEN 1 AND 500)
     )`,
    'CREATE TRIGGER feature_flags_touch BEFORE UPDATE ON feature_flags FOR EACH ROW EXECUTE FUNCTION touch_row()',
    'CREATE TRIGGER maintenance_modes_touch BEFORE UPDATE ON maintenance_modes FOR EACH ROW EXECUTE FUNCTION touch_row()'
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'DROP TABLE maintenance_modes',
    'DROP TABLE feature_flags'
  ])
}
