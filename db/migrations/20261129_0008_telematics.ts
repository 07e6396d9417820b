import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// Telematics: where every vehicle is, where it has been, its trips, geofences and alerts.
//
// positions is range-partitioned by day on recorded_at. Partitions are created ahead (and on
// demand for late fixes) by the service and dropped when older than POSITION_RETENTION_DAYS
// (src/modules/telematics/partitions.ts); this migration creates only the parent. Its primary key
// (vehicle_id, recorded_at) is both the per-vehicle time-range index and what makes ingestion
// idempotent (the same fix twice is a conflict, counted as a duplicate). It has no foreign key:
// fixes are only written for vehicles the ingest path has just resolved through the caller's
// organization, vehicles are retired and never deleted, and a per-row foreign-key check would
// cost the hottest insert in the system a lookup per fix.
//
// vehicle_telemetry is one row per vehicle: the latest fix (the live map) and the state the
// ingest pipeline carries from one batch to the next (open trip, speeding episode). Locking it
// serializes concurrent batches of one vehicle.
//
// Telemetry advances vehicles.odometer_km without counting as an edit: the ingest transaction
// sets fleet.telemetry, and then neither the version (an editor holding the version they read
// must not get CONFLICT because the vehicle drove on) nor the audit trail (a row per fix) moves.
// vehicle_telemetry keeps the exact odometer; vehicles gets it every kilometre and when a trip
// ends (vehicle_odometer_km: what telemetry last wrote there, so a person's correction shows).

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'ALTER TABLE vehicles ADD COLUMN speed_limit_kmh real',
    'ALTER TABLE vehicles ADD CONSTRAINT vehicles_speed_limit_range CHECK (speed_limit_kmh > 0 AND speed_limit_kmh <= 400)',
    `CREATE FUNCTION touch_vehicle() RETURNS trigger LANGUAGE plpgsql AS $$
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
    'DROP TRIGGER vehicles_touch ON vehicles',
    'CREATE TRIGGER vehicles_touch BEFORE UPDATE ON vehicles FOR EACH ROW EXECUTE FUNCTION touch_vehicle()',
    'DROP TRIGGER vehicles_audit ON vehicles',
    `CREATE TRIGGER vehicles_audit AFTER INSERT OR UPDATE OR DELETE ON vehicles FOR EACH ROW
     WHEN (current_setting('fleet.telemetry', true) IS DISTINCT FROM 'on')
     EXECUTE FUNCTION audit_row('Vehicle', 'organization_id', '{}', '{}')`,

    // One tracker secret per vehicle, stored as its SHA-256; issuing a new one replaces the row.
    `CREATE TABLE device_tokens (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL,
       vehicle_id uuid NOT NULL,
       token_hash text NOT NULL,
       issued_at timestamptz(3) NOT NULL DEFAULT now(),
       issued_by uuid,
       CONSTRAINT device_tokens_vehicle_unique UNIQUE (vehicle_id),
       CONSTRAINT device_tokens_hash_unique UNIQUE (token_hash),
       CONSTRAINT device_tokens_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT device_tokens_hash_format CHECK (token_hash ~ '^[0-9a-f]{64}$')
     )`,
    `CREATE TRIGGER device_tokens_audit AFTER INSERT OR UPDATE OR DELETE ON device_tokens FOR EACH ROW
     EXECUTE FUNCTION audit_row('DeviceToken', 'organization_id', '{issued_at}', '{token_hash}')`,

    `CREATE TABLE positions (
       organization_id uuid NOT NULL,
       vehicle_id uuid NOT NULL,
       recorded_at timestamptz(3) NOT NULL,
       received_at timestamptz(3) NOT NULL DEFAULT now(),
       latitude double precision NOT NULL,
       longitude double precision NOT NULL,
       speed_kmh real,
       heading real,
       altitude_m real,
       accuracy_m real,
       odometer_km double precision,
       ignition boolean,
       battery_percent real,
       attributes jsonb,
       CONSTRAINT positions_pkey PRIMARY KEY (vehicle_id, recorded_at),
       CONSTRAINT positions_latitude_range CHECK (latitude BETWEEN -90 AND 90),
       CONSTRAINT positions_longitude_range CHECK (longitude BETWEEN -180 AND 180)
     ) PARTITION BY RANGE (recorded_at)`,

    `CREATE TABLE vehicle_telemetry (
       vehicle_id uuid PRIMARY KEY,
       organization_id uuid NOT NULL,
       recorded_at timestamptz(3) NOT NULL,
       received_at timestamptz(3) NOT NULL,
       latitude double precision NOT NULL,
       longitude double precision NOT NULL,
       speed_kmh real,
       heading real,
       altitude_m real,
       accuracy_m real,
       ignition boolean,
       battery_percent real,
       odometer_km double precision NOT NULL,
       vehicle_odometer_km double precision NOT NULL,
       last_moving_at timestamptz(3),
       trip_id uuid,
       speeding_since timestamptz(3),
       speeding_max_kmh real,
       speeding_alerted boolean NOT NULL DEFAULT false,
       CONSTRAINT vehicle_telemetry_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id) ON DELETE CASCADE
     )`,
    // The live map: every vehicle of an organization inside a bounding box.
    'CREATE INDEX vehicle_telemetry_map ON vehicle_telemetry (organization_id, latitude, longitude)',

    `CREATE TABLE trips (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL,
       vehicle_id uuid NOT NULL,
       driver_id uuid,
       started_at timestamptz(3) NOT NULL,
       ended_at timestamptz(3),
       last_fix_at timestamptz(3) NOT NULL,
       start_latitude double precision NOT NULL,
       start_longitude double precision NOT NULL,
       end_latitude double precision NOT NULL,
       end_longitude double precision NOT NULL,
       start_odometer_km double precision NOT NULL,
       distance_km double precision NOT NULL DEFAULT 0,
       moving_seconds double precision NOT NULL DEFAULT 0,
       idle_seconds double precision NOT NULL DEFAULT 0,
       max_speed_kmh real NOT NULL DEFAULT 0,
       position_count integer NOT NULL DEFAULT 1,
       CONSTRAINT trips_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT trips_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT trips_driver_fk FOREIGN KEY (organization_id, driver_id)
         REFERENCES drivers (organization_id, id),
       CONSTRAINT trips_time_order CHECK (ended_at IS NULL OR ended_at >= started_at),
       CONSTRAINT trips_totals_range CHECK (distance_km >= 0 AND moving_seconds >= 0 AND idle_seconds >= 0)
     )`,
    'CREATE INDEX trips_vehicle ON trips (organization_id, vehicle_id, started_at, id)',
    'CREATE INDEX trips_started_at ON trips (organization_id, started_at, id)',
    'CREATE INDEX trips_driver ON trips (organization_id, driver_id, started_at, id)',
    // At most one trip in progress per vehicle; the sweeper finds the stale ones through it.
    'CREATE UNIQUE INDEX trips_one_open_per_vehicle ON trips (vehicle_id) WHERE ended_at IS NULL',

    `CREATE TABLE geofences (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       facility_id uuid,
       name text NOT NULL,
       shape text NOT NULL,
       center_latitude double precision,
       center_longitude double precision,
       radius_m double precision,
       polygon jsonb,
       min_latitude double precision NOT NULL,
       max_latitude double precision NOT NULL,
       min_longitude double precision NOT NULL,
       max_longitude double precision NOT NULL,
       dwell_seconds integer NOT NULL DEFAULT 30,
       margin_m double precision NOT NULL DEFAULT 25,
       speed_limit_kmh real,
       alert_on_enter boolean NOT NULL DEFAULT false,
       alert_on_exit boolean NOT NULL DEFAULT false,
       deleted_at timestamptz(3),
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT geofences_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT geofences_facility_fk FOREIGN KEY (organization_id, facility_id)
         REFERENCES facilities (organization_id, id),
       CONSTRAINT geofences_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
       CONSTRAINT geofences_shape_valid CHECK (
         (shape = 'CIRCLE' AND center_latitude BETWEEN -90 AND 90 AND center_longitude BETWEEN -180 AND 180
           AND radius_m > 0 AND radius_m <= 100000 AND polygon IS NULL)
         OR (shape = 'POLYGON' AND jsonb_typeof(polygon) = 'array' AND jsonb_array_length(polygon) BETWEEN 3 AND 1000
           AND center_latitude IS NULL AND center_longitude IS NULL AND radius_m IS NULL)
       ),
       CONSTRAINT geofences_dwell_range CHECK (dwell_seconds BETWEEN 0 AND 86400),
       CONSTRAINT geofences_margin_range CHECK (margin_m BETWEEN 0 AND 10000),
       CONSTRAINT geofences_speed_limit_range CHECK (speed_limit_kmh > 0 AND speed_limit_kmh <= 400)
     )`,
    'CREATE UNIQUE INDEX geofences_name_unique ON geofences (organization_id, name) WHERE deleted_at IS NULL',
    'CREATE INDEX geofences_name ON geofences (organization_id, name, id) WHERE deleted_at IS NULL',
    'CREATE TRIGGER geofences_touch BEFORE UPDATE ON geofences FOR EACH ROW EXECUTE FUNCTION touch_row()',
    `CREATE TRIGGER geofences_audit AFTER INSERT OR UPDATE OR DELETE ON geofences FOR EACH ROW
     EXECUTE FUNCTION audit_row('Geofence', 'organization_id', '{}', '{}')`,

    // Which geofences a vehicle is inside, and a transition waiting out its dwell time. A row
    // exists only while the vehicle is inside or a transition is pending.
    `CREATE TABLE vehicle_geofence_states (
       vehicle_id uuid NOT NULL,
       geofence_id uuid NOT NULL REFERENCES geofences (id) ON DELETE CASCADE,
       organization_id uuid NOT NULL,
       inside boolean NOT NULL,
       pending_since timestamptz(3),
       pending_latitude double precision,
       pending_longitude double precision,
       CONSTRAINT vehicle_geofence_states_pkey PRIMARY KEY (vehicle_id, geofence_id)
     )`,

    `CREATE TABLE geofence_events (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL,
       geofence_id uuid NOT NULL,
       vehicle_id uuid NOT NULL,
       kind text NOT NULL,
       occurred_at timestamptz(3) NOT NULL,
       confirmed_at timestamptz(3) NOT NULL,
       latitude double precision NOT NULL,
       longitude double precision NOT NULL,
       CONSTRAINT geofence_events_geofence_fk FOREIGN KEY (organization_id, geofence_id)
         REFERENCES geofences (organization_id, id),
       CONSTRAINT geofence_events_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT geofence_events_kind_valid CHECK (kind IN ('ENTER', 'EXIT'))
     )`,
    'CREATE INDEX geofence_events_occurred_at ON geofence_events (organization_id, occurred_at, id)',
    'CREATE INDEX geofence_events_vehicle ON geofence_events (organization_id, vehicle_id, occurred_at, id)',
    'CREATE INDEX geofence_events_geofence ON geofence_events (organization_id, geofence_id, occurred_at, id)',

    `CREATE TABLE alerts (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       vehicle_id uuid,
       geofence_id uuid,
       kind text NOT NULL,
       severity text NOT NULL,
       status text NOT NULL DEFAULT 'OPEN',
       message text NOT NULL,
       details jsonb NOT NULL DEFAULT '{}',
       raised_at timestamptz(3) NOT NULL,
       acknowledged_at timestamptz(3),
       acknowledged_by uuid,
       resolved_at timestamptz(3),
       resolved_by uuid,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT alerts_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT alerts_geofence_fk FOREIGN KEY (organization_id, geofence_id)
         REFERENCES geofences (organization_id, id),
       CONSTRAINT alerts_kind_valid CHECK (kind IN ('SPEEDING', 'GEOFENCE_ENTER', 'GEOFENCE_EXIT')),
       CONSTRAINT alerts_severity_valid CHECK (severity IN ('INFO', 'WARNING', 'CRITICAL')),
       CONSTRAINT alerts_status_valid CHECK (status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')),
       CONSTRAINT alerts_status_consistent CHECK (
         (status = 'OPEN' AND resolved_at IS NULL)
         OR (status = 'ACKNOWLEDGED' AND acknowledged_at IS NOT NULL AND resolved_at IS NULL)
         OR (status = 'RESOLVED' AND resolved_at IS NOT NULL)
       )
     )`,
    'CREATE INDEX alerts_raised_at ON alerts (organization_id, raised_at, id)',
    'CREATE INDEX alerts_open ON alerts (organization_id, raised_at, id) WHERE status <> \'RESOLVED\'',
    'CREATE INDEX alerts_vehicle ON alerts (organization_id, vehicle_id, raised_at, id)',
    'CREATE TRIGGER alerts_touch BEFORE UPDATE ON alerts FOR EACH ROW EXECUTE FUNCTION touch_row()',
    // Raising an alert is the system's doing (recorded on the alert itself); acknowledging and
    // resolving are people's, and audited.
    `CREATE TRIGGER alerts_audit AFTER UPDATE OR DELETE ON alerts FOR EACH ROW
     EXECUTE FUNCTION audit_row('Alert', 'organization_id', '{}', '{}')`
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'DROP TABLE alerts',
    'DROP TABLE geofence_events',
    'DROP TABLE vehicle_geofence_states',
    'DROP TABLE geofences',
    'DROP TABLE trips',
    'DROP TABLE vehicle_telemetry',
    // Dropping the parent drops every partition with it.
    'DROP TABLE positions',
    'DROP TABLE device_tokens',
    'DROP TRIGGER vehicles_audit ON vehicles',
    `CREATE TRIGGER vehicles_audit AFTER INSERT OR UPDATE OR DELETE ON vehicles FOR EACH ROW
     EXECUTE FUNCTION audit_row('Vehicle', 'organization_id', '{}', '{}')`,
    'DROP TRIGGER vehicles_touch ON vehicles',
    'CREATE TRIGGER vehicles_touch BEFORE UPDATE ON vehicles FOR EACH ROW EXECUTE FUNCTION touch_row()',
    'DROP FUNCTION touch_vehicle()',
    'ALTER TABLE vehicles DROP CONSTRAINT vehicles_speed_limit_range',
    'ALTER TABLE vehicles DROP COLUMN speed_limit_kmh'
  ])
}
