import { randomUUID } from 'node:crypto'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from '../../database/schema.js'
import type { RefreshTokenRow, UserRow } from './tables.js'
import { digestRefreshToken, newRefreshToken } from './tokens.js'

// Refresh-token families: a login starts a family; each refresh marks the presented token used
// and issues the next one in the same family. A used or revoked token presented again means it
// leaked (or a client is replaying it): the whole family is revoked, so the thief and the
// legitimate client both have to sign in again.

export interface IssuedRefreshToken {
  token: string
  expiresAt: Date
}

export type RotationOutcome =
  | { kind: 'rotated', user: UserRow, next: IssuedRefreshToken }
  | { kind: 'reused', owner: Pick<RefreshTokenRow, 'organization_id'> & { id: string } }
  | { kind: 'invalid', reason: string }

export async function startSession (db: Kysely<Database>, user: UserRow, ttlDays: number): Promise<IssuedRefreshToken> {
  return await issue(db, user, randomUUID(), ttlDays)
}

async function issue (db: Kysely<Database>, user: Pick<UserRow, 'id' | 'organization_id'>, familyId: string, ttlDays: number): Promise<IssuedRefreshToken> {
  const token = newRefreshToken()
  const expiresAt = new Date(Date.now() + ttlDays * 86_400_000)
  await db.insertInto('refresh_tokens').values({
    organization_id: user.organization_id,
    user_id: user.id,
    family_id: familyId,
    token_hash: digestRefreshToken(token),
    expires_at: expiresAt
  }).execute()
  return { token, expiresAt }
}

async function revokeFamily (db: Kysely<Database>, familyId: string): Promise<number> {
  const result = await db.updateTable('refresh_tokens')
    .set({ revoked_at: sql`now()` })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Must run in a transaction (the caller's, tagged for the audit trail). */
export async function rotateSession (trx: Transaction<Database>, presented: string, ttlDays: number): Promise<RotationOutcome> {
  // FOR UPDATE: two concurrent refreshes with one token must not both succeed.
  const row: RefreshTokenRow | undefined = await trx.selectFrom('refresh_tokens').selectAll()
    .where('token_hash', '=', digestRefreshToken(presented))
    .forUpdate()
    .executeTakeFirst()
  if (row === undefined) return { kind: 'invalid', reason: 'Refresh token is not valid' }
  if (row.used_at !== null) {
    await revokeFamily(trx, row.family_id)
    return { kind: 'reused', owner: { id: row.user_id, organization_id: row.organization_id } }
  }
  // Revoked but never used: signed out, or ended by an admin (deactivation, password reset). No theft.
  if (row.revoked_at !== null) return { kind: 'invalid', reason: 'This session has ended: sign in again' }
  if (row.expires_at.getTime() <= Date.now()) return { kind: 'invalid', reason: 'Refresh token has expired: sign in again' }
  const user = await trx.selectFrom('users').selectAll()
    .where('id', '=', row.user_id)
    .where('is_active', '=', true)
    .executeTakeFirst()
  if (user === undefined) {
    await revokeFamily(trx, row.family_id)
    return { kind: 'invalid', reason: 'Refresh token is not valid' }
  }
  await trx.updateTable('refresh_tokens').set({ used_at: sql`now()` }).where('id', '=', row.id).execute()
  return { kind: 'rotated', user, next: await issue(trx, user, row.family_id, ttlDays) }
}

/** Revokes the family of a refresh token: its user, or null when the token is unknown or already ended. */
export async function endSession (db: Kysely<Database>, presented: string): Promise<Pick<UserRow, 'id' | 'organization_id' | 'role'> | null> {
  const row = await db.selectFrom('refresh_tokens')
    .innerJoin('users', 'users.id', 'refresh_tokens.user_id')
    .select(['refresh_tokens.family_id', 'refresh_tokens.revoked_at', 'users.id', 'users.organization_id', 'users.role'])
    .where('refresh_tokens.token_hash', '=', digestRefreshToken(presented))
    .executeTakeFirst()
  if (row === undefined || row.revoked_at !== null) return null
  return await revokeFamily(db, row.family_id) > 0 ? { id: row.id, organization_id: row.organization_id, role: row.role } : null
}
