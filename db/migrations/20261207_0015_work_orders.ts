import type { Kysely } from 'kysely'
import { runStatements, tenantWritePolicy } from '../ddl.js'

// Work orders: work on one vehicle, with the service tasks it does, the parts it used and the
// labour it took. Money is numeric, summed exactly by the database, in the currency the order was
// opened in (the organization's then). Numbers are per organization (WO-000042): one counter row
// per organization, advanced in the creating transaction, so numbers are unique and, as long as
// no creation rolls back, without gaps.

const OPEN = "('OPEN', 'IN_PROGRESS', 'ON_HOLD')"

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    `CREATE TABLE work_order_numbers (
       organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
       last_number integer NOT NULL
     )`,
    ...tenantWritePolicy('work_order_numbers'),

    `CREATE TABLE work_orders (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       number integer NOT NULL,
       vehicle_id uuid NOT NULL,
       kind text NOT NULL,
       priority text NOT NULL DEFAULT 'NORMAL',
       -- The order of priorities (LOW < NORMAL < HIGH < URGENT), to sort and page by.
       priority_rank integer GENERATED ALWAYS AS (CASE priority WHEN 'URGENT' THEN 4 WHEN 'HIGH' THEN 3 WHEN 'NORMAL' THEN 2 ELSE 1 END) STORED,
       status text NOT NULL DEFAULT 'OPEN',
       title text NOT NULL,
       description text,
       assignee_id uuid,
       vendor_id uuid,
       facility_id uuid,
       takes_vehicle_off_road boolean NOT NULL DEFAULT true,
       scheduled_for timestamptz(3),
       started_at timestamptz(3),
       completed_at timestamptz(3),
       cancelled_at timestamptz(3),
       status_reason text,
       odometer_in_km numeric(12, 1),
       odometer_out_km numeric(12, 1),
       engine_hours_in numeric(10, 1),
       engine_hours_out numeric(10, 1),
       currency text NOT NULL,
       completion_notes text,
       created_by uuid,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       updated_at timestamptz(3) NOT NULL DEFAULT now(),
       version integer NOT NULL DEFAULT 1,
       CONSTRAINT work_orders_organization_id_id_unique UNIQUE (organization_id, id),
       CONSTRAINT work_orders_number_unique UNIQUE (organization_id, number),
       CONSTRAINT work_orders_vehicle_fk FOREIGN KEY (organization_id, vehicle_id)
         REFERENCES vehicles (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT work_orders_assignee_fk FOREIGN KEY (organization_id, assignee_id)
         REFERENCES users (organization_id, id) ON DELETE SET NULL (assignee_id),
       CONSTRAINT work_orders_vendor_fk FOREIGN KEY (organization_id, vendor_id)
         REFERENCES vendors (organization_id, id),
       CONSTRAINT work_orders_facility_fk FOREIGN KEY (organization_id, facility_id)
         REFERENCES facilities (organization_id, id),
       CONSTRAINT work_orders_created_by_fk FOREIGN KEY (organization_id, created_by)
         REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by),
       CONSTRAINT work_orders_number_positive CHECK (number > 0),
       CONSTRAINT work_orders_kind_valid CHECK (kind IN ('PREVENTIVE', 'CORRECTIVE', 'DEFECT', 'RECALL', 'ACCIDENT')),
       CONSTRAINT work_orders_priority_valid CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
       CONSTRAINT work_orders_status_valid CHECK (status IN ('OPEN', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'CANCELLED')),
       CONSTRAINT work_orders_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
       CONSTRAINT work_orders_description_length CHECK (char_length(description) BETWEEN 1 AND 4000),
       CONSTRAINT work_orders_status_reason_length CHECK (char_length(status_reason) BETWEEN 1 AND 1000),
       CONSTRAINT work_orders_completion_notes_length CHECK (char_length(completion_notes) BETWEEN 1 AND 4000),
       CONSTRAINT work_orders_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
       CONSTRAINT work_orders_started CHECK (CASE status WHEN 'OPEN' THEN started_at IS NULL WHEN 'CANCELLED' THEN true ELSE started_at IS NOT NULL END),
       CONSTRAINT work_orders_completed CHECK ((status = 'COMPLETED') = (completed_at IS NOT NULL)),
       CONSTRAINT work_orders_cancelled CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL)),
       CONSTRAINT work_orders_completed_after_start CHECK (completed_at >= started_at),
       CONSTRAINT work_orders_odometer_range CHECK (odometer_in_km >= 0 AND odometer_out_km >= 0 AND odometer_out_km >= odometer_in_km),
       CONSTRAINT work_orders_engine_hours_range CHECK (engine_hours_in >= 0 AND engine_hours_out >= 0 AND engine_hours_out >= engine_hours_in)
     )`,
    'CREATE INDEX work_orders_number ON work_orders (organization_id, number, id)',
    'CREATE INDEX work_orders_created_at ON work_orders (organization_id, created_at, id)',
    'CREATE INDEX work_orders_updated_at ON work_orders (organization_id, updated_at, id)',
    'CREATE INDEX work_orders_scheduled_for ON work_orders (organization_id, (coalesce(scheduled_for, \'-infinity\'::timestamptz)), id)',
    'CREATE INDEX work_orders_priority ON work_orders (organization_id, priority_rank, id)',
    'CREATE INDEX work_orders_vehicle ON work_orders (organization_id, vehicle_id, created_at, id)',
    'CREATE INDEX work_orders_assignee ON work_orders (organization_id, assignee_id, status)',
    `CREATE INDEX work_orders_open ON work_orders (organization_id, vehicle_id) WHERE status IN ${OPEN}`,
    "CREATE INDEX work_orders_search ON work_orders USING gin (lower(title) gin_trgm_ops)",
    'CREATE TRIGGER work_orders_touch BEFORE UPDATE ON work_orders FOR EACH ROW EXECUTE FUNCTION touch_row()',
    `CREATE TRIGGER work_orders_audit AFTER INSERT OR UPDATE OR DELETE ON work_orders FOR EACH ROW
     EXECUTE FUNCTION audit_row('WorkOrder', 'organization_id', '{priority_rank}', '{}')`,
    ...tenantWritePolicy('work_orders'),

    `CREATE TABLE work_order_tasks (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       work_order_id uuid NOT NULL,
       service_task_id uuid NOT NULL,
       maintenance_schedule_id uuid,
       notes text,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       CONSTRAINT work_order_tasks_order_fk FOREIGN KEY (organization_id, work_order_id)
         REFERENCES work_orders (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT work_order_tasks_task_fk FOREIGN KEY (organization_id, service_task_id)
         REFERENCES service_tasks (organization_id, id),
       CONSTRAINT work_order_tasks_schedule_fk FOREIGN KEY (organization_id, maintenance_schedule_id)
         REFERENCES maintenance_schedules (organization_id, id) ON DELETE SET NULL (maintenance_schedule_id),
       CONSTRAINT work_order_tasks_unique UNIQUE (work_order_id, service_task_id),
       CONSTRAINT work_order_tasks_notes_length CHECK (char_length(notes) BETWEEN 1 AND 1000)
     )`,
    'CREATE INDEX work_order_tasks_order ON work_order_tasks (organization_id, work_order_id, created_at, id)',
    `CREATE TRIGGER work_order_tasks_audit AFTER INSERT OR UPDATE OR DELETE ON work_order_tasks FOR EACH ROW
     EXECUTE FUNCTION audit_row('WorkOrderTask', 'organization_id', '{}', '{}')`,
    ...tenantWritePolicy('work_order_tasks'),

    `CREATE TABLE work_order_parts (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       work_order_id uuid NOT NULL,
       part_number text,
       description text NOT NULL,
       quantity numeric(12, 3) NOT NULL,
       unit_cost numeric(14, 4) NOT NULL,
       created_by uuid,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       CONSTRAINT work_order_parts_order_fk FOREIGN KEY (organization_id, work_order_id)
         REFERENCES work_orders (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT work_order_parts_created_by_fk FOREIGN KEY (organization_id, created_by)
         REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by),
       CONSTRAINT work_order_parts_part_number_length CHECK (char_length(part_number) BETWEEN 1 AND 64),
       CONSTRAINT work_order_parts_description_length CHECK (char_length(description) BETWEEN 1 AND 500),
       CONSTRAINT work_order_parts_quantity_range CHECK (quantity > 0 AND quantity < 1000000),
       CONSTRAINT work_order_parts_unit_cost_range CHECK (unit_cost >= 0 AND unit_cost < 10000000000)
     )`,
    'CREATE INDEX work_order_parts_order ON work_order_parts (organization_id, work_order_id, created_at, id)',
    `CREATE TRIGGER work_order_parts_audit AFTER INSERT OR UPDATE OR DELETE ON work_order_parts FOR EACH ROW
     EXECUTE FUNCTION audit_row('WorkOrderPart', 'organization_id', '{}', '{}')`,
    ...tenantWritePolicy('work_order_parts'),

    `CREATE TABLE work_order_labor (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
       work_order_id uuid NOT NULL,
       technician_id uuid,
       technician_name text,
       description text,
       hours numeric(8, 2) NOT NULL,
       rate numeric(14, 4) NOT NULL,
       performed_at timestamptz(3),
       created_by uuid,
       created_at timestamptz(3) NOT NULL DEFAULT now(),
       CONSTRAINT work_order_labor_order_fk FOREIGN KEY (organization_id, work_order_id)
         REFERENCES work_orders (organization_id, id) ON DELETE CASCADE,
       CONSTRAINT work_order_labor_technician_fk FOREIGN KEY (organization_id, technician_id)
         REFERENCES users (organization_id, id) ON DELETE SET NULL (technician_id),
       CONSTRAINT work_order_labor_created_by_fk FOREIGN KEY (organization_id, created_by)
         REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by),
       CONSTRAINT work_order_labor_technician_name_length CHECK (char_length(technician_name) BETWEEN 1 AND 200),
       CONSTRAINT work_order_labor_description_length CHECK (char_length(description) BETWEEN 1 AND 500),
       CONSTRAINT work_order_labor_hours_range CHECK (hours > 0 AND hours <= 10000),
       CONSTRAINT work_order_labor_rate_range CHECK (rate >= 0 AND rate < 10000000000)
     )`,
    'CREATE INDEX work_order_labor_order ON work_order_labor (organization_id, work_order_id, created_at, id)',
    `CREATE TRIGGER work_order_labor_audit AFTER INSERT OR UPDATE OR DELETE ON work_order_labor FOR EACH ROW
     EXECUTE FUNCTION audit_row('WorkOrderLabor', 'organization_id', '{}', '{}')`,
    ...tenantWritePolicy('work_order_labor'),

    // Readings and service records a work order made point back at it.
    `ALTER TABLE meter_readings ADD CONSTRAINT meter_readings_work_order_fk FOREIGN KEY (organization_id, work_order_id)
       REFERENCES work_orders (organization_id, id) ON DELETE SET NULL (work_order_id)`,
    `ALTER TABLE service_records ADD CONSTRAINT service_records_work_order_fk FOREIGN KEY (organization_id, work_order_id)
       REFERENCES work_orders (organization_id, id) ON DELETE SET NULL (work_order_id)`,
    'CREATE UNIQUE INDEX service_records_work_order_task ON service_records (work_order_id, service_task_id) WHERE work_order_id IS NOT NULL'
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'DROP INDEX service_records_work_order_task',
    'ALTER TABLE service_records DROP CONSTRAINT service_records_work_order_fk',
    'ALTER TABLE meter_readings DROP CONSTRAINT meter_readings_work_order_fk',
    'DROP TABLE work_order_labor',
    'DROP TABLE work_order_parts',
    'DROP TABLE work_order_tasks',
    'DROP TABLE work_orders',
    'DROP TABLE work_order_numbers'
  ])
}
