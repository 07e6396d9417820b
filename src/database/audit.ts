import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database, Role } from './schema.js'


// The audit trail's application side. Row changes are recorded by the audit_row trigger
// (db/migrations/20261128_0006_security.ts) in the changing transaction; the trigger reads who
// and what from transaction-local settings, which `tagTransaction` sets. The same statement says
// whose rows the transaction may write, which the write policies check (migration 0009). Being
// local (set_config(..., true)), they end with the transaction: a pooled connection, or PgBouncer
// in transaction mode, never carries one request's tag or scope into another's.

/** What an audit record says happened: a row change (written by triggers) or a session event. */
export type AuditAction = 'CREATE' | 'UPDATE' | 'DELETE' | 'SIGN_IN' | 'SIGN_OUT' | 'SESSION_REVOKED'

/** The scope of work that is no one organization's: seeds, `npm run ops`. */
export const SYSTEM_SCOPE = '*'

export interface AuditTag {
  actorId: string | null
  actorRole: Role | null
  /** The GraphQL mutation, or the command (`seed`, `ops ...`) outside the API. */
  operation: string
  requestId: string | null
}

/**
 * Tags the current transaction and sets its write scope: the organization whose rows it may
 * change, SYSTEM_SCOPE, or null (no tenant row at all: sign-out, a refresh). Must run inside it.
 */
export async function tagTransaction (trx: Transaction<Database>, tag: AuditTag, scope: string | null): Promise<void> {
  await sql`select set_config('fleet.actor_id', ${tag.actorId ?? ''}, true),
    set_config('fleet.actor_role', ${tag.actorRole ?? ''}, true),
    set_config('fleet.operation', ${tag.operation}, true),
    set_config('fleet.request_id', ${tag.requestId ?? ''}, true),
    set_config('fleet.organization_id', ${scope ?? ''}, true)`.execute(trx)
}

export interface AuditEvent extends AuditTag {
  organizationId: string
  entity: string
  entityId: string
  action: Extract<AuditAction, 'SIGN_IN' | 'SIGN_OUT' | 'SESSION_REVOKED'>
}

/** Records an event that changes no audited row (sign-in, sign-out, a revoked session). */
export async function recordEvent (db: Kysely<Database>, event: AuditEvent): Promise<void> {
  await db.insertInto('audit_log').values({
    organization_id: event.organizationId,
    actor_id: event.actorId,
    actor_role: event.actorRole,
    operation: event.operation,
    request_id: event.requestId,
    entity: event.entity,
    entity_id: event.entityId,
    action: event.action
  }).execute()
}

/**
 * Deletes records older than `before`: the only deletion the audit_log trigger lets through,
 * because this transaction says it is the retention job.
 */
export async function pruneAuditLog (db: Kysely<Database>, before: Date): Promise<number> {
  return await db.transaction().execute(async (trx) => {
    await sql`select set_config('fleet.audit_retention', 'on', true)`.execute(trx)
    const result = await trx.deleteFrom('audit_log').where('occurred_at', '<', before).executeTakeFirst()
    return Number(result.numDeletedRows)
  })
}
