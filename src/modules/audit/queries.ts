import { type Kysely, sql } from 'kysely'
import type { Database } from '../../database/schema.js'
import type { AuditAction } from '../../database/audit.js'
import type { AuditLogRow } from './tables.js'
import { type ConnectionArgs, type Page, type SortKey, paginateFiltered } from '../../graphql/pagination.js'

export interface AuditFilter {
  entity?: string[]
  entityId?: string
  actorId?: string
  action?: AuditAction[]
  operation?: string
  from?: Date
  to?: Date
}

/** Newest first. The id (bigint) is the order of insertion, the same as of commit within a row's history. */
const NEWEST_FIRST: SortKey<AuditLogRow> = {
  name: 'NEWEST', column: 'audit_log.id', type: 'bigint', direction: 'desc', idColumn: 'audit_log.id', idType: 'bigint', value: (row) => row.id
}

function filtered (db: Kysely<Database>, organizationId: string, filter: AuditFilter) {
  let query = db.selectFrom('audit_log').where('audit_log.organization_id', '=', organizationId)
  if (filter.entity !== undefined && filter.entity.length > 0) query = query.where('audit_log.entity', 'in', filter.entity)
  if (filter.entityId !== undefined) query = query.where('audit_log.entity_id', '=', filter.entityId)
  if (filter.actorId !== undefined) query = query.where('audit_log.actor_id', '=', filter.actorId)
  if (filter.action !== undefined && filter.action.length > 0) query = query.where('audit_log.action', 'in', filter.action)
  if (filter.operation !== undefined) query = query.where('audit_log.operation', '=', filter.operation)
  if (filter.from !== undefined) query = query.where('audit_log.occurred_at', '>=', filter.from)
  if (filter.to !== undefined) query = query.where('audit_log.occurred_at', '<', filter.to)
  return query
}

export async function listAuditLog (db: Kysely<Database>, organizationId: string, filter: AuditFilter, args: ConnectionArgs): Promise<Page<AuditLogRow>> {
  return await paginateFiltered(filtered(db, organizationId, filter), (q) => q.select([
    sql<string>`audit_log.id::text`.as('id'),
    'organization_id', 'occurred_at', 'actor_id', 'actor_role', 'operation', 'request_id', 'entity', 'entity_id', 'action', 'changes', 'database_user'
  ]), args, NEWEST_FIRST)
}
