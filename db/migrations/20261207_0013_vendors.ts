import type { Kysely } from 'kysely'
import { runStatements, tenantWritePolicy } from '../ddl.js'

// Vendors: the businesses a fleet buys from (workshops, fuel stations, parts suppliers).

const KINDS = "ARRAY['WORKSHOP', 'FUEL_STATION', 'PARTS_SUPPLIER', 'DEALER', 'TOWING', 'OTHER']"

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    `CREATE TABLE vendors (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       name text NOT NULL,
       kinds text[] NOT NULL,
       contact_name text,
       email text,
       phone text,
       address text,
       website text,
       notes text,
       active boolean NOT NULL DEFAULT true,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT vendors_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT vendors_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
       CONSTRAINT vendors_kinds_valid CHECK (cardinality(kinds) BETWEEN 1 AND 6 AND kinds <@ ${KINDS}),
       CONSTRAINT vendors_contact_name_length CHECK (char_length(contact_name) BETWEEN 1 AND 200),
       CONSTRAINT vendors_email_format CHECK (email ~ '^[^@\\s]+@[^@\\s]+$' AND char_length(email) <= 254),
       CONSTRAINT vendors_phone_format CHECK (phone ~ '^\\+?[0-9 ().-]{5,32}$'),
       CONSTRAINT vendors_address_length CHECK (char_length(address) BETWEEN 1 AND 500),
       CONSTRAINT vendors_website_format CHECK (website ~ '^https?://' AND char_length(website) <= 500),
       CONSTRAINT vendors_notes_length CHECK (char_length(notes) BETWEEN 1 AND 2000)
     )`,
    'CREATE UNIQUE INDEX vendors_name_unique ON vendors (organization_id, lower(name))',
    'CREATE INDEX vendors_name ON vendors (organization_id, name, id)',
    'CREATE INDEX vendors_kinds ON vendors USING gin (kinds)',
    `CREATE INDEX vendors_search ON vendors USING gin (
       lower(name || ' ' || coalesce(contact_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')) gin_trgm_ops
     )`,
    'CREATE TRIGGER vendors_touch BEFORE UPDATE ON vendors FOR EACH ROW EXECUTE FUNCTION touch_row()',
    `CREATE TRIGGER vendors_audit AFTER INSERT OR UPDATE OR DELETE ON vendors FOR EACH ROW
     EXECUTE FUNCTION audit_row('Vendor', 'organization_id', '{}', '{}')`,
    ...tenantWritePolicy('vendors')
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, ['DROP TABLE vendors'])
}
