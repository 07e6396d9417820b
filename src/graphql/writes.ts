import type { Transaction } from 'kysely'
import { tagTransaction } from '../database/audit.js'
import type { Database, Role } from '../database/schema.js'
import type { GraphQLContext } from './context.js'

/**
 * Runs a mutation's writes in one transaction tagged for the audit trail: the audit_row trigger
 * records every changed row with the viewer (or `actor`, for sign-in), the mutation's name and
 * the request id, and commits or rolls back with the change itself. The transaction may write
 * the rows of the viewer's (or actor's) organization only (migration 0009). Inside a transaction
 * already (a write calling another), the work joins it.
 */
export async function write<T> (
  ctx: GraphQLContext,
  work: (trx: Transaction<Database>) => Promise<T>,
  actor?: { id: string, role: Role, organization_id: string }
): Promise<T> {
  // ctx.db is the transaction itself when a write runs inside another (Kysely types it as Kysely).
  if (ctx.db.isTransaction) return await work(ctx.db as Transaction<Database>)
  return await ctx.db.transaction().execute(async (trx) => {
    await tagTransaction(trx, {
      actorId: actor?.id ?? ctx.viewer?.userId ?? null,
      actorRole: actor?.role ?? ctx.viewer?.role ?? null,
      operation: ctx.field ?? 'unknown',
      requestId: ctx.requestId
    }, actor?.organization_id ?? ctx.viewer?.organizationId ?? null)
    return await work(trx)
  })
}
