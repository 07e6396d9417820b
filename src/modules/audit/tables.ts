import type { ColumnType, Selectable } from 'kysely'
import type { AuditAction } from '../../database/audit.js'
import type { Role } from '../../database/schema.js'

// The audit module's tables (the audit trail), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

/** Written by triggers (row changes) and by the application (session events); never updated. */
export interface AuditLogTable {
  /** bigint; selected as text (see src/modules/audit/queries.ts) so it is exact and cursor-ready. */
  id: ColumnType<string, never, never>
  organization_id: string | null
  occurred_at: ColumnType<Date, never, never>
  actor_id: string | null
  actor_role: Role | null
  operation: string | null
  request_id: string | null
  entity: string
  entity_id: string | null
  action: AuditAction
  /** Column name -> { before, after }, or { redacted: true } for secrets. */
  changes: ColumnType<Record<string, AuditChangeValue>, string | undefined, never>
  database_user: ColumnType<string, never, never>
}

export type AuditChangeValue = { before: unknown, after: unknown } | { redacted: true }

declare module '../../database/schema.js' {
  interface Database {
    audit_log: AuditLogTable
  }
}

export type AuditLogRow = Selectable<AuditLogTable>
