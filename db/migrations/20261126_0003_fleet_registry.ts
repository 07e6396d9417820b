import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// Facilities, vehicles, drivers and who drives what when.
// Composite foreign keys on (organization_id, id) make a cross-tenant reference impossible
// even for a buggy write path. Every list filter and sort of the API has an index that starts
// with organization_id and ends with id (the keyset tiebreaker).

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    `CREATE TABLE facilities (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       code text NOT NULL,
       name text NOT NULL,
       type text NOT NULL,
       address text,
       latitude double precision,
       longitude double precision,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT facilities_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT facilities_code_unique UNIQUE (organization_id, code),
       CONSTRAINT facilities_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$'),
       CONSTRAINT facilities_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
       CONSTRAINT facilities_type_valid CHECK (type IN ('DEPOT', 'YARD', 'MAINTENANCE_SHOP', 'OFFICE', 'FUEL_STATION', 'CUSTOMER_SITE', 'OTHER')),
       CONSTRAINT facilities_address_length CHECK (char_length(address) <= 500),
       CONSTRAINT facilities_latitude_range CHECK (latitude BETWEEN -90 AND 90),
       CONSTRAINT facilities_longitude_range CHECK (longitude BETWEEN -180 AND 180),
       CONSTRAINT facilities_coordinates_paired CHECK ((latitude IS NULL) = (longitude IS NULL))
     )`,
    'CREATE INDEX facilities_name ON facilities (organization_id, name, id)',
    'CREATE INDEX facilities_created_at ON facilities (organization_id, created_at, id)',

    `CREATE TABLE vehicles (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       number text NOT NULL,
       name text NOT NULL,
       vin text NOT NULL,
       make text NOT NULL,
       model text NOT NULL,
       year integer NOT NULL,
       license_plate text,
       type text NOT NULL,
       status text NOT NULL DEFAULT 'ACTIVE',
       fuel_type text NOT NULL,
       odometer_km numeric(12, 1) NOT NULL DEFAULT 0,
       engine_hours numeric(10, 1) NOT NULL DEFAULT 0,
       facility_id uuid,
       retired_at timestamptz(3),
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT vehicles_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT vehicles_number_unique UNIQUE (organization_id, number),
       CONSTRAINT vehicles_vin_unique UNIQUE (organization_id, vin),
       CONSTRAINT vehicles_facility_fk FOREIGN KEY (organization_id, facility_id)
         REFERENCES facilities (organization_id, id),
       CONSTRAINT vehicles_number_length CHECK (char_length(number) BETWEEN 1 AND 32),
       CONSTRAINT vehicles_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
       CONSTRAINT vehicles_vin_format CHECK (vin ~ '^[A-HJ-NPR-Z0-9]{17}$'),
       CONSTRAINT vehicles_make_length CHECK (char_length(make) BETWEEN 1 AND 100),
       CONSTRAINT vehicles_model_length CHECK (char_length(model) BETWEEN 1 AND 100),
       CONSTRAINT vehicles_year_range CHECK (year BETWEEN 1900 AND 2100),
       CONSTRAINT vehicles_license_plate_length CHECK (char_length(license_plate) BETWEEN 1 AND 20),
       CONSTRAINT vehicles_type_valid CHECK (type IN ('CAR', 'VAN', 'PICKUP', 'TRUCK', 'BUS', 'EQUIPMENT', 'TRAILER', 'OTHER')),
       CONSTRAINT vehicles_status_valid CHECK (status IN ('ACTIVE', 'IN_SHOP', 'OUT_OF_SERVICE', 'RETIRED')),
       CONSTRAINT vehicles_fuel_type_valid CHECK (fuel_type IN ('GASOLINE', 'DIESEL', 'ELECTRIC', 'HYBRID', 'CNG', 'PROPANE', 'HYDROGEN', 'OTHER')),
       CONSTRAINT vehicles_odometer_range CHECK (odometer_km >= 0),
       CONSTRAINT vehicles_engine_hours_range CHECK (engine_hours >= 0),
       CONSTRAINT vehicles_retired_consistent CHECK ((status = 'RETIRED') = (retired_at IS NOT NULL))
     )`,
    'CREATE INDEX vehicles_status ON vehicles (organization_id, status)',
    'CREATE INDEX vehicles_type ON vehicles (organization_id, type)',
    'CREATE INDEX vehicles_facility_id ON vehicles (organization_id, facility_id, number, id)',
    'CREATE INDEX vehicles_number_order ON vehicles (organization_id, number, id)',
    'CREATE INDEX vehicles_name ON vehicles (organization_id, name, id)',
    'CREATE INDEX vehicles_year ON vehicles (organization_id, year, id)',
    'CREATE INDEX vehicles_odometer ON vehicles (organization_id, odometer_km, id)',
    'CREATE INDEX vehicles_created_at ON vehicles (organization_id, created_at, id)',
    'CREATE INDEX vehicles_updated_at ON vehicles (organization_id, updated_at, id)',
    `CREATE INDEX vehicles_search ON vehicles USING gin (
       lower(number || ' ' || name || ' ' || vin || ' ' || coalesce(license_plate, '')) gin_trgm_ops
     )`,

    `CREATE TABLE drivers (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       user_id uuid,
       name text NOT NULL,
       email text,
       phone text,
       license_number text NOT NULL,
       license_class text,
       license_expires_at timestamptz(3),
       status text NOT NULL DEFAULT 'ACTIVE',
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT drivers_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT drivers_license_number_unique UNIQUE (organization_id, license_number),
       CONSTRAINT drivers_user_unique UNIQUE (user_id),
       CONSTRAINT drivers_user_fk FOREIGN KEY (organization_id, user_id)
         REFERENCES users (organization_id, id) ON DELETE SET NULL (user_id),
       CONSTRAINT drivers_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
       CONSTRAINT drivers_email_format CHECK (email ~ '^[^@\\s]+@[^@\\s]+$' AND char_length(email) <= 254),
       CONSTRAINT drivers_phone_format CHECK (phone ~ '^\\+?[0-9 ().-]{5,32}$'),
       CONSTRAINT drivers_license_number_length CHECK (char_length(license_number) BETWEEN 1 AND 32),
       CONSTRAINT drivers_license_class_length CHECK (char_length(license_class) BETWEEN 1 AND 16),
       CONSTRAINT drivers_status_valid CHECK (status IN ('ACTIVE', 'ON_LEAVE', 'SUSPENDED', 'INACTIVE'))
     )`,
    'CREATE INDEX drivers_status ON drivers (organization_id, status)',
    'CREATE INDEX drivers_license_expires_at ON drivers (organization_id, license_expires_at, id)',
    'CREATE INDEX drivers_name ON drivers (organization_id, name, id)',
    'CREATE INDEX drivers_created_at ON drivers (organization_id, created_at, id)',
    'CREATE INDEX drivers_updated_at ON drivers (organization_id, updated_at, id)',
    `CREATE INDEX drivers_search ON drivers USING gin (
       lower(name || ' ' || license_number || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')) gin_trgm_ops
     )`,

    // A vehicle has one driver at a time and a driver one vehicle at a time: two exclusion
    // constraints over the half-open period [starts_at, ends_at), an open end meaning "until further notice".
    `CREATE TABLE vehicle_assignments (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       vehicle_id uuid NOT NULL,
       driver_id uuid NOT NULL,
       starts_at timestamptz(3) NOT NULL,
       ends_at timestamptz(3),
       notes text,
       created_by uuid,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT vehicle_assignments_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT vehicle_assignments_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id),
       CONSTRAINT vehicle_assignments_driver_fk FOREIGN KEY (organization_id, driver_id)
         REFERENCES drivers (organization_id, id),
       CONSTRAINT vehicle_assignments_created_by_fk FOREIGN KEY (organization_id, created_by)
         REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by),
       CONSTRAINT vehicle_assignments_period_valid CHECK (ends_at IS NULL OR ends_at > starts_at),
       CONSTRAINT vehicle_assignments_notes_length CHECK (char_length(notes) <= 2000),
       CONSTRAINT vehicle_assignments_vehicle_no_overlap
         EXCLUDE USING gist (vehicle_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&),
       CONSTRAINT vehicle_assignments_driver_no_overlap
         EXCLUDE USING gist (driver_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
     )`,
    'CREATE INDEX vehicle_assignments_vehicle ON vehicle_assignments (organization_id, vehicle_id, starts_at DESC, id DESC)',
    'CREATE INDEX vehicle_assignments_driver ON vehicle_assignments (organization_id, driver_id, starts_at DESC, id DESC)',
    'CREATE INDEX vehicle_assignments_starts_at ON vehicle_assignments (organization_id, starts_at DESC, id DESC)',

    'CREATE TRIGGER facilities_touch BEFORE UPDATE ON facilities FOR EACH ROW EXECUTE FUNCTION touch_row()',
    'CREATE TRIGGER vehicles_touch BEFORE UPDATE ON vehicles FOR EACH ROW EXECUTE FUNCTION touch_row()',
    'CREATE TRIGGER drivers_touch BEFORE UPDATE ON drivers FOR EACH ROW EXECUTE FUNCTION touch_row()',
    'CREATE TRIGGER vehicle_assignments_touch BEFORE UPDATE ON vehicle_assignments FOR EACH ROW EXECUTE FUNCTION touch_row()'
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'DROP TABLE vehicle_assignments',
    'DROP TABLE drivers',
    'DROP TABLE vehicles',
    'DROP TABLE facilities'
  ])
}
