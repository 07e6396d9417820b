import type { Kysely } from 'kysely'
import { runStatements, tenantWritePolicy } from '../ddl.js'

// Meter readings: the odometer and engine-hour meters of each vehicle, read by people, trackers
// (one reading at the end of each trip), fuel transactions, work orders and imports. A meter's
// readings never go down in time unless one is marked as a replacement; wrong ones are voided,
// never deleted. vehicles.odometer_km and engine_hours hold the current values.
//
// A reading moves the vehicle's meters without counting as an edit of the vehicle: the writing
// transaction sets fleet.meters (telemetry already sets fleet.telemetry), and then neither the
// vehicle's version nor its audit trail moves; the reading itself is audited, except telematics'.

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    `CREATE TABLE meter_readings (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       vehicle_id uuid NOT NULL,
       kind text NOT NULL,
       value numeric(12, 1) NOT NULL,
       recorded_at timestamptz(3) NOT NULL,
       source text NOT NULL,
       replacement boolean NOT NULL DEFAULT false,
       note text,
       work_order_id uuid,
       recorded_by uuid,
       voided_at timestamptz(3),
       voided_by uuid,
       void_reason text,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT meter_readings_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT meter_readings_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT meter_readings_recorded_by_fk FOREIGN KEY (organization_id, recorded_by)
         REFERENCES users (organization_id, id) ON DELETE SET NULL (recorded_by),
       CONSTRAINT meter_readings_voided_by_fk FOREIGN KEY (organization_id, voided_by)
         REFERENCES users (organization_id, id) ON DELETE SET NULL (voided_by),
       CONSTRAINT meter_readings_kind_valid CHECK (kind IN ('ODOMETER', 'ENGINE_HOURS')),
       CONSTRAINT meter_readings_source_valid CHECK (source IN ('MANUAL', 'TELEMATICS', 'FUEL', 'WORK_ORDER', 'IMPORT')),
       CONSTRAINT meter_readings_value_range CHECK (value >= 0 AND value < 100000000),
       CONSTRAINT meter_readings_note_length CHECK (char_length(note) BETWEEN 1 AND 1000),
       CONSTRAINT meter_readings_void_reason_length CHECK (char_length(void_reason) BETWEEN 1 AND 500),
       CONSTRAINT meter_readings_void_consistent CHECK (voided_at IS NOT NULL OR (voided_by IS NULL AND void_reason IS NULL))
     )`,
    // The sequence of a meter (its valid readings in time) and the vehicle's list, newest first.
    'CREATE INDEX meter_readings_sequence ON meter_readings (organization_id, vehicle_id, kind, recorded_at, id) WHERE voided_at IS NULL',
    'CREATE INDEX meter_readings_vehicle ON meter_readings (organization_id, vehicle_id, recorded_at, id)',
    // A tracker's reading at the end of a trip is written once, however often the trip is closed.
    "CREATE UNIQUE INDEX meter_readings_telematics_once ON meter_readings (vehicle_id, kind, recorded_at) WHERE source = 'TELEMATICS'",
    'CREATE TRIGGER meter_readings_touch BEFORE UPDATE ON meter_readings FOR EACH ROW EXECUTE FUNCTION touch_row()',
    `CREATE TRIGGER meter_readings_audit AFTER INSERT OR UPDATE OR DELETE ON meter_readings FOR EACH ROW
     WHEN (current_setting('fleet.telemetry', true) IS DISTINCT FROM 'on')
     EXECUTE FUNCTION audit_row('MeterReading', 'organization_id', '{}', '{}')`,
    ...tenantWritePolicy('meter_readings'),

    // Engine hours kept by telemetry, as the odometer is (vehicle_telemetry.engine_hours exact,
    // vehicle_engine_hours what telemetry last wrote to vehicles.engine_hours).
    'ALTER TABLE vehicle_telemetry ADD COLUMN engine_hours double precision',
    'ALTER TABLE vehicle_telemetry ADD COLUMN vehicle_engine_hours double precision',
    `CREATE OR REPLACE FUNCTION touch_vehicle() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF (current_setting('fleet.telemetry', true) = 'on' OR current_setting('fleet.meters', true) = 'on')
          AND (to_jsonb(NEW) - 'odometer_km' - 'engine_hours') = (to_jsonb(OLD) - 'odometer_km' - 'engine_hours') THEN
         RETURN NEW;
       END IF;
       NEW.updated_at := now();
       NEW.version := OLD.version + 1;
       RETURN NEW;
     END
     $$`,
    'DROP TRIGGER vehicles_audit ON vehicles',
    `CREATE TRIGGER vehicles_audit AFTER INSERT OR UPDATE OR DELETE ON vehicles FOR EACH ROW
     WHEN (current_setting('fleet.telemetry', true) IS DISTINCT FROM 'on' AND current_setting('fleet.meters', true) IS DISTINCT FROM 'on')
     EXECUTE FUNCTION audit_row('Vehicle', 'organization_id', '{}', '{}')`
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'DROP TRIGGER vehicles_audit ON vehicles',
    `CREATE TRIGGER vehicles_audit AFTER INSERT OR UPDATE OR DELETE ON vehicles FOR EACH ROW
     WHEN (current_setting('fleet.telemetry', true) IS DISTINCT FROM 'on')
     EXECUTE FUNCTION audit_row('Vehicle', 'organization_id', '{}', '{}')`,
    `CREATE OR REPLACE FUNCTION touch_vehicle() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF current_setting('fleet.telemetry', true) = 'on'
          AND (to_jsonb(NEW) - 'odometer_km') = (to_jsonb(OLD) - 'odometer_km') THEN
         RETURN NEW;
       END IF;
       NEW.updated_at := now();
       NEW.version := OLD.version + 1;
       RETURN NEW;
     END
     $$`,
    'ALTER TABLE vehicle_telemetry DROP COLUMN vehicle_engine_hours',
    'ALTER TABLE vehicle_telemetry DROP COLUMN engine_hours',
    'DROP TABLE meter_readings'
  ])
}
