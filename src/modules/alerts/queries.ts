import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'
import { anyOf } from '../../database/filters.js'
import type { Database } from '../../database/schema.js'
import type { AlertKind, AlertRow, AlertSeverity, AlertStatus } from './tables.js'
import { conflict, notFound } from '../../errors.js'
import { type ConnectionArgs, type Page, paginateFiltered, type SortKey } from '../../graphql/pagination.js'

// Alerts are raised by ingestion (src/modules/telematics) and handled by people here.

const ALERT_SORT: SortKey<AlertRow> = { name: 'RAISED_AT_DESC', column: 'alerts.raised_at', type: 'timestamptz', direction: 'desc', idColumn: 'alerts.id', value: (a) => a.raised_at }

export interface AlertFilter {
  status?: AlertStatus[]
  kind?: AlertKind[]
  severity?: AlertSeverity[]
  vehicleIds?: string[]
  from?: Date
  to?: Date
}

export async function listAlerts (db: Kysely<Database>, organizationId: string, filter: AlertFilter, args: ConnectionArgs): Promise<Page<AlertRow>> {
  let query = db.selectFrom('alerts').where('alerts.organization_id', '=', organizationId)
  if (filter.status !== undefined) query = query.where('alerts.status', 'in', anyOf(filter.status))
  if (filter.kind !== undefined) query = query.where('alerts.kind', 'in', anyOf(filter.kind))
  if (filter.severity !== undefined) query = query.where('alerts.severity', 'in', anyOf(filter.severity))
  if (filter.vehicleIds !== undefined) query = query.where('alerts.vehicle_id', 'in', anyOf(filter.vehicleIds))
  if (filter.from !== undefined) query = query.where('alerts.raised_at', '>=', filter.from)
  if (filter.to !== undefined) query = query.where('alerts.raised_at', '<', filter.to)
  return await paginateFiltered(query, (q) => q.selectAll('alerts'), args, ALERT_SORT)
}

export async function findAlertsByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<AlertRow[]> {
  return await db.selectFrom('alerts').selectAll().where('organization_id', '=', organizationId).where('id', 'in', ids).execute()
}

/**
 * Moves an alert on: OPEN -> ACKNOWLEDGED -> RESOLVED (or OPEN -> RESOLVED). Acknowledging a
 * resolved alert is a CONFLICT; repeating a step returns the alert unchanged.
 */
export async function advanceAlert (trx: Transaction<Database>, organizationId: string, alertId: string, to: 'ACKNOWLEDGED' | 'RESOLVED', userId: string): Promise<AlertRow> {
  const current = await trx.selectFrom('alerts').selectAll().where('organization_id', '=', organizationId).where('id', '=', alertId).forUpdate().executeTakeFirst()
  if (current === undefined) throw notFound('Alert', alertId)
  if (current.status === to) return current
  if (current.status === 'RESOLVED') throw conflict('The alert is resolved', 'id')
  const acknowledge = current.acknowledged_at === null ? { acknowledged_at: sql<Date>`now()`, acknowledged_by: userId } : {}
  const resolve = to === 'RESOLVED' ? { resolved_at: sql<Date>`now()`, resolved_by: userId } : {}
  return await trx.updateTable('alerts').set({ status: to, ...acknowledge, ...resolve })
    .where('id', '=', alertId).returningAll().executeTakeFirstOrThrow()
}

export async function countOpenAlerts (db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db.selectFrom('alerts').select(sql<string>`count(*)`.as('count'))
    .where('organization_id', '=', organizationId).where('status', '<>', 'RESOLVED').executeTakeFirstOrThrow()
  return Number(row.count)
}

/**
 * Resolves the open alerts of maintenance schedules (all their vehicles, or one): the service was
 * done, or the schedule ended, so what they announced is over.
 */
export async function resolveScheduleAlerts (
  trx: Transaction<Database>,
  organizationId: string,
  which: { scheduleIds: readonly string[], vehicleId?: string },
  userId: string | null
): Promise<number> {
  if (which.scheduleIds.length === 0) return 0
  let update = trx.updateTable('alerts')
    .set({ status: 'RESOLVED', resolved_at: sql<Date>`now()`, resolved_by: userId })
    .where('organization_id', '=', organizationId)
    .where('maintenance_schedule_id', 'in', which.scheduleIds)
    .where('status', '<>', 'RESOLVED')
  if (which.vehicleId !== undefined) update = update.where('vehicle_id', '=', which.vehicleId)
  const result = await update.executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * Maintenance alerts to raise, as a query producing (organization_id, vehicle_id,
 * maintenance_schedule_id, occurrence, kind, message, details jsonb): the schedules module's due
 * pairs, which it knows how to compute.
 */
export type MaintenanceAlertCandidates = RawBuilder<unknown>

/**
 * Raises the candidates not raised before, in one statement: once per schedule, vehicle, occurrence
 * and kind (the unique index alerts_maintenance_once decides, so replicas running the job at once
 * raise each once). A due-soon alert overtaken by its occurrence's overdue one is resolved.
 * Returns the alerts raised now.
 */
export async function raiseMaintenanceAlerts (trx: Transaction<Database>, candidates: MaintenanceAlertCandidates): Promise<Array<Pick<AlertRow, 'id' | 'organization_id'>>> {
  const { rows: raised } = await sql<{ id: string, organization_id: string, kind: string, maintenance_schedule_id: string, vehicle_id: string, occurrence: string }>`
    INSERT INTO alerts (id, organization_id, vehicle_id, maintenance_schedule_id, occurrence, kind, severity, message, details, raised_at)
    SELECT gen_random_uuid(), c.organization_id, c.vehicle_id, c.maintenance_schedule_id, c.occurrence, c.kind,
           CASE c.kind WHEN 'MAINTENANCE_OVERDUE' THEN 'WARNING' ELSE 'INFO' END, c.message, c.details, now()
      FROM (${candidates}) c
     WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.organization_id = c.organization_id AND a.maintenance_schedule_id = c.maintenance_schedule_id
                          AND a.vehicle_id = c.vehicle_id AND a.occurrence = c.occurrence AND a.kind = c.kind)
    ON CONFLICT (organization_id, maintenance_schedule_id, vehicle_id, occurrence, kind) WHERE maintenance_schedule_id IS NOT NULL DO NOTHING
    RETURNING id, organization_id, kind, maintenance_schedule_id, vehicle_id, occurrence`.execute(trx)
  const overdue = raised.filter((a) => a.kind === 'MAINTENANCE_OVERDUE')
  if (overdue.length > 0) {
    await sql`
      UPDATE alerts SET status = 'RESOLVED', resolved_at = now(), resolved_by = NULL
        FROM unnest(cast(${overdue.map((a) => a.maintenance_schedule_id)} as uuid[]), cast(${overdue.map((a) => a.vehicle_id)} as uuid[]),
                    cast(${overdue.map((a) => a.occurrence)} as text[])) AS o (schedule_id, vehicle_id, occurrence)
       WHERE alerts.maintenance_schedule_id = o.schedule_id AND alerts.vehicle_id = o.vehicle_id AND alerts.occurrence = o.occurrence
         AND alerts.kind = 'MAINTENANCE_DUE_SOON' AND alerts.status <> 'RESOLVED'`.execute(trx)
  }
  return raised.map((a) => ({ id: a.id, organization_id: a.organization_id }))
}
