import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Database } from '../../database/schema.js'
import { type Page, pageWindow, type SortKey, toPage } from '../../graphql/pagination.js'
import type { VehicleType } from '../vehicles/tables.js'

// What is due: for every pair of a live schedule and a vehicle it covers (not retired), in one
// statement for the whole fleet. A pair counts from the latest service record of the task on the
// vehicle; never serviced, from the schedule's start (or the vehicle's arrival, if later) and what
// its meters read then (the reading at or before that time, else the first after it, else 0).
// It is due at that point plus each interval the schedule has: OVERDUE once the date, the
// odometer or the engine hours reach it; DUE_SOON once any of them is within its threshold
// (the schedule's own, or the question's `within*`); OK otherwise. Nothing here is stored.

export type MaintenanceStatus = 'OK' | 'DUE_SOON' | 'OVERDUE'

export interface DueRow {
  /** Identifies the pair (md5 of schedule and vehicle ids, as a uuid): the keyset tiebreaker. */
  id: string
  schedule_id: string
  task_id: string
  vehicle_id: string
  organization_id: string
  /** The service record counted from; null when never serviced (counted from the start). */
  record_id: string | null
  /** Which due point: the record's id, or the start. Alerts are raised once per occurrence. */
  occurrence: string
  status: MaintenanceStatus
  due_at: Date | null
  due_km: string | null
  due_hours: string | null
  days_remaining: number | null
  km_remaining: string | null
  hours_remaining: string | null
  /** Status rank x 1000 + the smallest share of an interval left (days counted from today): the order of urgency. */
  sort_value: string
}

export interface DueQuestion {
  /** One organization, or every one (the alert job). */
  organizationId: string | null
  statuses: readonly MaintenanceStatus[]
  vehicleIds?: readonly string[]
  facilityId?: string
  vehicleTypes?: readonly VehicleType[]
  taskIds?: readonly string[]
  /** Due-soon windows replacing each schedule's own thresholds. */
  withinDays?: number
  withinKm?: number
  withinHours?: number
}

const DUE_SORT: SortKey<DueRow> = { name: 'URGENCY', column: 'd.sort_value', type: 'numeric', direction: 'asc', idColumn: 'd.id', value: (row) => row.sort_value }


/**
 * Every pair the question covers, with its due point, what is left, status and urgency. Shaped for
 * the whole fleet at once: the pairs are two hash joins (schedules of one vehicle, schedules of a
 * type), the latest service of each vehicle and task one pass over the records, and each pair's
 * anchor computed once (materialized) before status and urgency read it.
 */
function pairs (question: DueQuestion): RawBuilder<DueRow> {
  const org = (alias: string) => question.organizationId === null ? sql`true` : sql`${sql.ref(`${alias}.organization_id`)} = ${question.organizationId}`
  // Lists travel as one array parameter each (an empty one matches nothing).
  const vehicleIds = question.vehicleIds === undefined ? undefined : [...question.vehicleIds]
  const vehicles = vehicleIds === undefined ? sql`` : sql`AND v.id = ANY(cast(${vehicleIds} as uuid[]))`
  const facility = question.facilityId === undefined ? sql`` : sql`AND v.facility_id = ${question.facilityId}`
  const types = question.vehicleTypes === undefined ? sql`` : sql`AND v.type = ANY(cast(${[...question.vehicleTypes]} as text[]))`
  const tasks = question.taskIds === undefined ? sql`` : sql`AND s.service_task_id = ANY(cast(${[...question.taskIds]} as uuid[]))`
  const covered = sql`s.deleted_at IS NULL AND v.status <> 'RETIRED' ${vehicles} ${facility} ${types} ${tasks}`
  const recordsOf = vehicleIds === undefined ? sql`` : sql`AND r.vehicle_id = ANY(cast(${vehicleIds} as uuid[]))`
  const soonDays = question.withinDays === undefined ? sql`coalesce(due_soon_days, 0)` : sql`${question.withinDays}::integer`
  const soonKm = question.withinKm === undefined ? sql`coalesce(due_soon_km, 0)` : sql`${question.withinKm}::numeric`
  const soonHours = question.withinHours === undefined ? sql`coalesce(due_soon_hours, 0)` : sql`${question.withinHours}::numeric`
  const columns = sql`s.id AS schedule_id, s.organization_id, s.service_task_id, s.interval_km, s.interval_hours, s.interval_days,
         s.due_soon_km, s.due_soon_hours, s.due_soon_days, greatest(s.starts_at, v.created_at) AS start_at,
         v.id AS vehicle_id, v.odometer_km, v.engine_hours`
  // A meter's value at the start: the reading at or before it, else the first after it, else 0.
  const startReading = (kind: string) => sql`coalesce(
    (SELECT m.value FROM meter_readings m WHERE m.organization_id = p.organization_id AND m.vehicle_id = p.vehicle_id AND m.kind = ${kind}
       AND m.voided_at IS NULL AND m.recorded_at <= p.start_at ORDER BY m.recorded_at DESC, m.id DESC LIMIT 1),
    (SELECT m.value FROM meter_readings m WHERE m.organization_id = p.organization_id AND m.vehicle_id = p.vehicle_id AND m.kind = ${kind}
       AND m.voided_at IS NULL AND m.recorded_at > p.start_at ORDER BY m.recorded_at, m.id LIMIT 1),
    0)`
  return sql<DueRow>`
    WITH pair AS (
      SELECT ${columns} FROM maintenance_schedules s
        JOIN vehicles v ON v.organization_id = s.organization_id AND v.id = s.vehicle_id
       WHERE ${org('s')} AND ${covered}
      UNION ALL
      SELECT ${columns} FROM maintenance_schedules s
        JOIN vehicles v ON v.organization_id = s.organization_id AND v.type = s.vehicle_type
       WHERE ${org('s')} AND s.vehicle_id IS NULL AND ${covered}
    ), latest AS (
      SELECT DISTINCT ON (r.organization_id, r.vehicle_id, r.service_task_id) r.organization_id, r.vehicle_id, r.service_task_id,
             r.id, r.performed_at, r.odometer_km, r.engine_hours
        FROM service_records r WHERE ${org('r')} ${recordsOf}
       ORDER BY r.organization_id, r.vehicle_id, r.service_task_id, r.performed_at DESC, r.id DESC
    ), due AS MATERIALIZED (
      SELECT p.*, last.id AS record_id,
             coalesce(last.performed_at, p.start_at) + p.interval_days * interval '1 day' AS due_at,
             CASE WHEN p.interval_km IS NULL THEN NULL WHEN last.id IS NOT NULL THEN coalesce(last.odometer_km, 0) ELSE ${startReading('ODOMETER')} END
               + p.interval_km AS due_km,
             CASE WHEN p.interval_hours IS NULL THEN NULL WHEN last.id IS NOT NULL THEN coalesce(last.engine_hours, 0) ELSE ${startReading('ENGINE_HOURS')} END
               + p.interval_hours AS due_hours
        FROM pair p
        LEFT JOIN latest last ON last.organization_id = p.organization_id AND last.vehicle_id = p.vehicle_id AND last.service_task_id = p.service_task_id
    ), judged AS (
      SELECT due.*, CASE
               WHEN due_at <= now() OR odometer_km >= due_km OR engine_hours >= due_hours THEN 'OVERDUE'
               WHEN due_at - ${soonDays} * interval '1 day' <= now() OR odometer_km >= due_km - ${soonKm}
                 OR engine_hours >= due_hours - ${soonHours} THEN 'DUE_SOON'
               ELSE 'OK' END AS status
        FROM due
    )
    SELECT md5(schedule_id::text || vehicle_id::text)::uuid AS id, schedule_id, service_task_id AS task_id, vehicle_id, organization_id,
           record_id, coalesce(record_id::text, 'start ' || to_char(start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS occurrence,
           status, due_at, due_km, due_hours,
           floor(extract(epoch FROM due_at - now()) / 86400)::integer AS days_remaining,
           due_km - odometer_km AS km_remaining, due_hours - engine_hours AS hours_remaining,
           (CASE status WHEN 'OVERDUE' THEN 0 WHEN 'DUE_SOON' THEN 1 ELSE 2 END) * 1000
             + round(greatest(-99, least(99,
                 -- In whole days from today: the order must not move between two pages of one listing.
                 (due_at::date - current_date)::numeric / interval_days,
                 (due_km - odometer_km) / interval_km,
                 (due_hours - engine_hours) / interval_hours)), 6) AS sort_value
      FROM judged`
}

function statusFilter (statuses: readonly string[]): RawBuilder<unknown> {
  return sql`d.status = ANY(cast(${[...statuses]} as text[]))`
}

/**
 * maintenanceDue: a page of the question's pairs, most urgent first (forward paging), and how many
 * there are in the same statement: every pair is computed for the order anyway, so counting them
 * as well costs next to nothing, and a second statement would compute them all again.
 */
export async function pageOfDue (db: Kysely<Database>, question: DueQuestion, args: { first?: number | null, after?: string | null }): Promise<Page<DueRow>> {
  const window = pageWindow(args, DUE_SORT)
  const after = window.after === null ? sql`` : sql`AND (d.sort_value, d.id) > (${window.after.value}::numeric, ${window.after.id}::uuid)`
  const { rows } = await sql<DueRow & { total: number }>`
    /* maintenance due: page */
    SELECT d.* FROM (
      SELECT d.*, count(*) OVER () AS total FROM (${pairs(question)}) d WHERE ${statusFilter(question.statuses)}
    ) d
     WHERE true ${after}
     ORDER BY d.sort_value, d.id LIMIT ${window.size + 1}`.execute(db)
  const total = rows[0]?.total
  return toPage<DueRow>(rows, window, DUE_SORT, async () => total ?? (window.after === null ? 0 : await countDue(db, question)))
}

export async function countDue (db: Kysely<Database>, question: DueQuestion): Promise<number> {
  const { rows } = await sql<{ count: number }>`
    /* maintenance due: count */
    SELECT count(*)::integer AS count FROM (${pairs(question)}) d WHERE ${statusFilter(question.statuses)}`.execute(db)
  return rows[0]?.count ?? 0
}

/** Every pair of these vehicles (all statuses), most urgent first: Vehicle.maintenanceDue and maintenanceStatus. */
export async function dueOfVehicles (db: Kysely<Database>, organizationId: string, vehicleIds: readonly string[]): Promise<DueRow[]> {
  const { rows } = await sql<DueRow>`
    /* maintenance due: vehicles */
    SELECT d.* FROM (${pairs({ organizationId, statuses: [], vehicleIds })}) d ORDER BY d.sort_value, d.id`.execute(db)
  return rows
}

/** How many pairs are overdue and due soon (fleetSummary). */
export async function dueCounts (db: Kysely<Database>, organizationId: string): Promise<{ overdue: number, dueSoon: number }> {
  const { rows } = await sql<{ overdue: number, due_soon: number }>`
    /* maintenance due: counts */
    SELECT count(*) FILTER (WHERE d.status = 'OVERDUE')::integer AS overdue, count(*) FILTER (WHERE d.status = 'DUE_SOON')::integer AS due_soon
      FROM (${pairs({ organizationId, statuses: [] })}) d`.execute(db)
  return { overdue: rows[0]?.overdue ?? 0, dueSoon: rows[0]?.due_soon ?? 0 }
}

/** The SQL of every organization's overdue and due-soon pairs, for the alert job to insert from. */
export function alertablePairs (): RawBuilder<DueRow> {
  return sql<DueRow>`SELECT d.* FROM (${pairs({ organizationId: null, statuses: [] })}) d WHERE d.status <> 'OK'`
}

