import type { Kysely } from 'kysely'
import { runStatements, tenantWritePolicy } from '../ddl.js'

// Preventive maintenance: service tasks, the schedules that repeat them (one vehicle, or every
// vehicle of a type; by distance, engine hours and/or days, whichever comes first), and the
// service records that say when a task was done on a vehicle, which the schedules count from.
// Whether a vehicle is due is computed when asked, for the whole fleet in one statement
// (src/modules/maintenance-schedules/due.ts); nothing about it is stored but the alerts raised.

const VEHICLE_TYPES = "('CAR', 'VAN', 'PICKUP', 'TRUCK', 'BUS', 'EQUIPMENT', 'TRAILER', 'OTHER')"

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    `CREATE TABLE service_tasks (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       name text NOT NULL,
       description text,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT service_tasks_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT service_tasks_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
       CONSTRAINT service_tasks_description_length CHECK (char_length(description) BETWEEN 1 AND 2000)
     )`,
    'CREATE UNIQUE INDEX service_tasks_name_unique ON service_tasks (organization_id, lower(name))',
    'CREATE INDEX service_tasks_name ON service_tasks (organization_id, name, id)',
    'CREATE TRIGGER service_tasks_touch BEFORE UPDATE ON service_tasks FOR EACH ROW EXECUTE FUNCTION touch_row()',
    `CREATE TRIGGER service_tasks_audit AFTER INSERT OR UPDATE OR DELETE ON service_tasks FOR EACH ROW
     EXECUTE FUNCTION audit_row('ServiceTask', 'organization_id', '{}', '{}')`,
    ...tenantWritePolicy('service_tasks'),

    `CREATE TABLE maintenance_schedules (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       service_task_id uuid NOT NULL,
       vehicle_id uuid,
       vehicle_type text,
       interval_km numeric(10, 1),
       interval_hours numeric(8, 1),
       interval_days integer,
       due_soon_km numeric(10, 1),
       due_soon_hours numeric(8, 1),
       due_soon_days integer,
       starts_at timestamptz(3) NOT NULL DEFAULT now(),
       deleted_at timestamptz(3),
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT maintenance_schedules_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT maintenance_schedules_task_fk FOREIGN KEY (organization_id, service_task_id)
         REFERENCES service_tasks (organization_id, id),
       CONSTRAINT maintenance_schedules_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT maintenance_schedules_target CHECK ((vehicle_id IS NULL) <> (vehicle_type IS NULL)),
       CONSTRAINT maintenance_schedules_vehicle_type_valid CHECK (vehicle_type IN ${VEHICLE_TYPES}),
       CONSTRAINT maintenance_schedules_interval_required CHECK (interval_km IS NOT NULL OR interval_hours IS NOT NULL OR interval_days IS NOT NULL),
       CONSTRAINT maintenance_schedules_interval_km_range CHECK (interval_km > 0 AND interval_km <= 10000000),
       CONSTRAINT maintenance_schedules_interval_hours_range CHECK (interval_hours > 0 AND interval_hours <= 1000000),
       CONSTRAINT maintenance_schedules_interval_days_range CHECK (interval_days BETWEEN 1 AND 36500),
       CONSTRAINT maintenance_schedules_due_soon_km_range CHECK (due_soon_km >= 0 AND due_soon_km <= interval_km),
       CONSTRAINT maintenance_schedules_due_soon_hours_range CHECK (due_soon_hours >= 0 AND due_soon_hours <= interval_hours),
       CONSTRAINT maintenance_schedules_due_soon_days_range CHECK (due_soon_days >= 0 AND due_soon_days <= interval_days)
     )`,
    // One live schedule of a task per vehicle and per vehicle type.
    'CREATE UNIQUE INDEX maintenance_schedules_vehicle_task_unique ON maintenance_schedules (organization_id, service_task_id, vehicle_id) WHERE deleted_at IS NULL AND vehicle_id IS NOT NULL',
    'CREATE UNIQUE INDEX maintenance_schedules_type_task_unique ON maintenance_schedules (organization_id, service_task_id, vehicle_type) WHERE deleted_at IS NULL AND vehicle_type IS NOT NULL',
    'CREATE INDEX maintenance_schedules_vehicle ON maintenance_schedules (organization_id, vehicle_id) WHERE deleted_at IS NULL',
    'CREATE INDEX maintenance_schedules_type ON maintenance_schedules (organization_id, vehicle_type) WHERE deleted_at IS NULL',
    'CREATE INDEX maintenance_schedules_created_at ON maintenance_schedules (organization_id, created_at, id) WHERE deleted_at IS NULL',
    'CREATE TRIGGER maintenance_schedules_touch BEFORE UPDATE ON maintenance_schedules FOR EACH ROW EXECUTE FUNCTION touch_row()',
    `CREATE TRIGGER maintenance_schedules_audit AFTER INSERT OR UPDATE OR DELETE ON maintenance_schedules FOR EACH ROW
     EXECUTE FUNCTION audit_row('MaintenanceSchedule', 'organization_id', '{}', '{}')`,
    ...tenantWritePolicy('maintenance_schedules'),

    // A task done on a vehicle: written when a work order completes, or given as a schedule's last service.
    `CREATE TABLE service_records (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       vehicle_id uuid NOT NULL,
       service_task_id uuid NOT NULL,
       performed_at timestamptz(3) NOT NULL,
       odometer_km numeric(12, 1),
       engine_hours numeric(10, 1),
       work_order_id uuid,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       CONSTRAINT service_records_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT service_records_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT service_records_task_fk FOREIGN KEY (organization_id, service_task_id)
         REFERENCES service_tasks (organization_id, id),
       CONSTRAINT service_records_odometer_range CHECK (odometer_km >= 0),
       CONSTRAINT service_records_engine_hours_range CHECK (engine_hours >= 0)
     )`,
    // The latest record of a task on a vehicle (what its schedules count from), and its history.
    'CREATE INDEX service_records_latest ON service_records (organization_id, vehicle_id, service_task_id, performed_at DESC, id DESC)',
    'CREATE INDEX service_records_vehicle ON service_records (organization_id, vehicle_id, performed_at, id)',
    `CREATE TRIGGER service_records_audit AFTER INSERT OR UPDATE OR DELETE ON service_records FOR EACH ROW
     EXECUTE FUNCTION audit_row('ServiceRecord', 'organization_id', '{}', '{}')`,
    ...tenantWritePolicy('service_records'),

    // Maintenance alerts name their schedule, and are raised once per occurrence: the due point
    // counted from one service record (or the schedule's start), whichever run of the job sees it.
    'ALTER TABLE alerts DROP CONSTRAINT alerts_kind_valid',
    `ALTER TABLE alerts ADD CONSTRAINT alerts_kind_valid
       CHECK (kind IN ('SPEEDING', 'GEOFENCE_ENTER', 'GEOFENCE_EXIT', 'MAINTENANCE_DUE_SOON', 'MAINTENANCE_OVERDUE'))`,
    'ALTER TABLE alerts ADD COLUMN maintenance_schedule_id uuid',
    'ALTER TABLE alerts ADD COLUMN occurrence text',
    `ALTER TABLE alerts ADD CONSTRAINT alerts_maintenance_schedule_fk FOREIGN KEY (organization_id, maintenance_schedule_id)
       REFERENCES maintenance_schedules (organization_id, id) ON DELETE CASCADE`,
    `ALTER TABLE alerts ADD CONSTRAINT alerts_maintenance_consistent
       CHECK ((kind IN ('MAINTENANCE_DUE_SOON', 'MAINTENANCE_OVERDUE')) = (maintenance_schedule_id IS NOT NULL AND occurrence IS NOT NULL))`,
    `CREATE UNIQUE INDEX alerts_maintenance_once ON alerts (organization_id, maintenance_schedule_id, vehicle_id, occurrence, kind)
       WHERE maintenance_schedule_id IS NOT NULL`
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    // Tenant rows change here: the system scope of the write policies (migration 0009).
    "SELECT set_config('fleet.organization_id', '*', true)",
    "DELETE FROM alerts WHERE kind IN ('MAINTENANCE_DUE_SOON', 'MAINTENANCE_OVERDUE')",
    'DROP INDEX alerts_maintenance_once',
    'ALTER TABLE alerts DROP CONSTRAINT alerts_maintenance_consistent',
    'ALTER TABLE alerts DROP CONSTRAINT alerts_maintenance_schedule_fk',
    'ALTER TABLE alerts DROP COLUMN occurrence',
    'ALTER TABLE alerts DROP COLUMN maintenance_schedule_id',
    'ALTER TABLE alerts DROP CONSTRAINT alerts_kind_valid',
    "ALTER TABLE alerts ADD CONSTRAINT alerts_kind_valid CHECK (kind IN ('SPEEDING', 'GEOFENCE_ENTER', 'GEOFENCE_EXIT'))",
    'DROP TABLE service_records',
    'DROP TABLE maintenance_schedules',
    'DROP TABLE service_tasks'
  ])
}
