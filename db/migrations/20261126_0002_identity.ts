import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// Tenants, their users and refresh-token families.

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    `CREATE TABLE organizations (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       slug text NOT NULL,
       name text NOT NULL,
       vin_check_digit_required boolean NOT NULL DEFAULT true,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT organizations_slug_unique UNIQUE (slug),
       CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
       CONSTRAINT organizations_name_length CHECK (char_length(name) BETWEEN 1 AND 200)
     )`,
    `CREATE TABLE users (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       email text NOT NULL,
       name text NOT NULL,
       role text NOT NULL,
       password_hash text NOT NULL,
       is_active boolean NOT NULL DEFAULT true,
       last_login_at timestamptz(3),
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT users_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT users_role_valid CHECK (role IN ('ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC', 'DRIVER', 'VIEWER')),
       CONSTRAINT users_email_format CHECK (email = lower(email) AND email ~ '^[^@\\s]+@[^@\\s]+$' AND char_length(email) <= 254),
       CONSTRAINT users_name_length CHECK (char_length(name) BETWEEN 1 AND 200)
     )`,
    // Sign-in is by email alone, so an address identifies one user across all tenants.
    'CREATE UNIQUE INDEX users_email_unique ON users (email)',
    'CREATE INDEX users_organization_id_name ON users (organization_id, name, id)',
    `CREATE TABLE refresh_tokens (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL,
       user_id uuid NOT NULL,
       family_id uuid NOT NULL,
       token_hash text NOT NULL,
       expires_at timestamptz(3) NOT NULL,
       used_at timestamptz(3),
       revoked_at timestamptz(3),
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT refresh_tokens_token_hash_unique UNIQUE (token_hash),
       CONSTRAINT refresh_tokens_user_fk FOREIGN KEY (organization_id, user_id)
         REFERENCES users (organization_id, id) ON DELETE CASCADE
     )`,
    'CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id)',
    'CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id)',
    'CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at)',
    'CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION touch_row()',
    'CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_row()',
    'CREATE TRIGGER refresh_tokens_touch BEFORE UPDATE ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION touch_row()'
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'DROP TABLE refresh_tokens',
    'DROP TABLE users',
    'DROP TABLE organizations'
  ])
}
