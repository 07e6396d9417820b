import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// The latest fix keeps its attributes: Vehicle.lastPosition (and fleetPositions) read
// vehicle_telemetry, which had no place for them, so the latest fix answered null where the
// history (positions) showed what the tracker sent with the very same fix.
//
// Each vehicle's latest fix takes its attributes from the history it was stored in (one primary
// key probe per vehicle); a row whose fix has left the history keeps null. The update changes
// tenant rows, so it says it runs in the system scope (migration 0009).

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'ALTER TABLE vehicle_telemetry ADD COLUMN attributes jsonb',
    "SELECT set_config('fleet.organization_id', '*', true)",
    `UPDATE vehicle_telemetry t SET attributes = p.attributes
       FROM positions p
      WHERE p.vehicle_id = t.vehicle_id AND p.recorded_at = t.recorded_at AND p.attributes IS NOT NULL`
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, ['ALTER TABLE vehicle_telemetry DROP COLUMN attributes'])
}
