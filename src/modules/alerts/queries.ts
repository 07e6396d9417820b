import { type Kysely, sql, type Transaction } from 'kysely'
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
