import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// User administration and the audit trail.
//
// users.session_epoch is carried in every access token; raising it (deactivation, password reset)
// ends every session of the user at once. users.must_change_password holds a user with a
// temporary password to changing it.
//
// audit_log is written by triggers, in the transaction of the change itself, so no write path
// can forget it: the application tags its transactions with who and what (set_config of the
// fleet.* settings, see src/database/audit.ts); changes made outside the API are recorded with
// the database user and no actor. Records cannot be updated, deleted or truncated, except old
// ones by the retention command (`npm run ops -- audit-prune`), which says so in its transaction.

const AUDITED: ReadonlyArray<{ table: string, entity: string, tenant: string, ignored?: string[], secret?: string[] }> = [
  { table: 'organizations', entity: 'Organization', tenant: 'id' },
  { table: 'users', entity: 'User', tenant: 'organization_id', ignored: ['last_login_at'], secret: ['password_hash'] },
  { table: 'facilities', entity: 'Facility', tenant: 'organization_id' },
  { table: 'vehicles', entity: 'Vehicle', tenant: 'organization_id' },
  { table: 'drivers', entity: 'Driver', tenant: 'organization_id' },
  { table: 'vehicle_assignments', entity: 'VehicleAssignment', tenant: 'organization_id' },
  { table: 'feature_flags', entity: 'FeatureFlag', tenant: 'organization_id' },
  { table: 'maintenance_modes', entity: 'MaintenanceMode', tenant: 'organization_id' }
]

const array = (items: readonly string[] = []): string => `'{${items.join(',')}}'`

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'ALTER TABLE users ADD COLUMN session_epoch integer NOT NULL DEFAULT 0',
    'ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false',
    'ALTER TABLE users ADD COLUMN deactivated_at timestamptz(3)',
    // A sign-in records last_login_at without counting as an edit: an admin editing the user with
    // the version they read must not get CONFLICT because the user signed in meanwhile.
    `CREATE FUNCTION touch_user() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF (to_jsonb(NEW) - 'last_login_at') = (to_jsonb(OLD) - 'last_login_at') THEN
         RETURN NEW;
       END IF;
       NEW.updated_at := now();
       NEW.version := OLD.version + 1;
       RETURN NEW;
     END
     $$`,
    'DROP TRIGGER users_touch ON users',
    'CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_user()',
    `CREATE TABLE audit_log (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       organization_id uuid,
       occurred_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
       actor_id uuid,
       actor_role text,
       operation text,
       request_id text,
       entity text NOT NULL,
       entity_id uuid,
       action text NOT NULL,
       changes jsonb NOT NULL DEFAULT '{}',
       database_user text NOT NULL DEFAULT current_user,
       CONSTRAINT audit_log_action_valid CHECK (action IN ('CREATE', 'UPDATE', 'DELETE', 'SIGN_IN', 'SIGN_OUT', 'SESSION_REVOKED'))
     )`,
    // Newest first, per organization; by entity; by actor.
    'CREATE INDEX audit_log_organization ON audit_log (organization_id, id DESC)',
    'CREATE INDEX audit_log_entity ON audit_log (organization_id, entity_id, id DESC)',
    'CREATE INDEX audit_log_actor ON audit_log (organization_id, actor_id, id DESC)',
    'CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at)',
    // TG_ARGV: entity name, tenant column, columns left out, secret columns (recorded as changed, values never).
    `CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
     DECLARE
       old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
       new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
       row_data jsonb := coalesce(to_jsonb(NEW), to_jsonb(OLD));
       ignored text[] := ARRAY['id', 'organization_id', 'created_at', 'updated_at', 'version'] || TG_ARGV[2]::text[];
       secret text[] := TG_ARGV[3]::text[];
       diff jsonb;
     BEGIN
       SELECT coalesce(jsonb_object_agg(key, CASE WHEN key = ANY (secret)
                 THEN jsonb_build_object('redacted', true)
                 ELSE jsonb_build_object('before', old_row -> key, 'after', new_row -> key) END), '{}')
         INTO diff
         FROM jsonb_object_keys(row_data) AS key
        WHERE key <> ALL (ignored)
          AND (old_row -> key) IS DISTINCT FROM (new_row -> key)
          AND NOT (TG_OP = 'INSERT' AND new_row -> key = 'null'::jsonb);
       IF TG_OP = 'UPDATE' AND diff = '{}' THEN
         RETURN NULL;
       END IF;
       INSERT INTO audit_log (organization_id, actor_id, actor_role, operation, request_id, entity, entity_id, action, changes)
       VALUES (
         (row_data ->> TG_ARGV[1])::uuid,
         nullif(current_setting('fleet.actor_id', true), '')::uuid,
         nullif(current_setting('fleet.actor_role', true), ''),
         nullif(current_setting('fleet.operation', true), ''),
         nullif(current_setting('fleet.request_id', true), ''),
         TG_ARGV[0],
         (row_data ->> 'id')::uuid,
         CASE TG_OP WHEN 'INSERT' THEN 'CREATE' WHEN 'UPDATE' THEN 'UPDATE' ELSE 'DELETE' END,
         diff
       );
       RETURN NULL;
     END
     $$`,
    `CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'DELETE' AND current_setting('fleet.audit_retention', true) = 'on' THEN
         RETURN OLD;
       END IF;
       RAISE EXCEPTION 'audit_log records cannot be changed (%)', TG_OP USING ERRCODE = 'insufficient_privilege';
     END
     $$`,
    'CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_immutable()',
    'CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable()',
    ...AUDITED.map(({ table, entity, tenant, ignored, secret }) =>
      `CREATE TRIGGER ${table}_audit AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW ` +
      `EXECUTE FUNCTION audit_row('${entity}', '${tenant}', ${array(ignored)}, ${array(secret)})`)
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    ...AUDITED.map(({ table }) => `DROP TRIGGER ${table}_audit ON ${table}`),
    'DROP TABLE audit_log',
    'DROP FUNCTION audit_log_immutable()',
    'DROP FUNCTION audit_row()',
    'DROP TRIGGER users_touch ON users',
    'CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_row()',
    'DROP FUNCTION touch_user()',
    'ALTER TABLE users DROP COLUMN deactivated_at',
    'ALTER TABLE users DROP COLUMN must_change_password',
    'ALTER TABLE users DROP COLUMN session_epoch'
  ])
}
