import { type Kysely, sql, type Transaction } from 'kysely'
import { containsPattern } from '../../database/search.js'
import type { Database, Role } from '../../database/schema.js'
import type { NewUser, UserRow } from './tables.js'
import { type ConnectionArgs, type Page, type SortKey, paginateFiltered } from '../../graphql/pagination.js'

/** What createUser and resetUserPassword answer: the temporary password is shown this once. */
export interface UserCredentialsParent {
  user: UserRow
  temporaryPassword: string | null
}

export interface UserListFilter {
  role?: Role[]
  active?: boolean
  search?: string
}

export type UserSortField = 'NAME' | 'EMAIL' | 'CREATED_AT' | 'LAST_LOGIN_AT'

const SORT_COLUMNS: Record<UserSortField, Pick<SortKey<UserRow>, 'column' | 'type' | 'value' | 'nullsAs'>> = {
  NAME: { column: 'users.name', type: 'text', value: (u) => u.name },
  EMAIL: { column: 'users.email', type: 'text', value: (u) => u.email },
  CREATED_AT: { column: 'users.created_at', type: 'timestamptz', value: (u) => u.created_at },
  // Users who never signed in sort as if long ago: last when newest first.
  LAST_LOGIN_AT: { column: 'users.last_login_at', type: 'timestamptz', nullsAs: '-infinity', value: (u) => u.last_login_at ?? '-infinity' }
}

export function userSort (field: UserSortField, direction: 'asc' | 'desc'): SortKey<UserRow> {
  return { ...SORT_COLUMNS[field], name: `${field}_${direction.toUpperCase()}`, direction, idColumn: 'users.id' }
}

function filteredUsers (db: Kysely<Database>, organizationId: string, filter: UserListFilter) {
  let query = db.selectFrom('users').where('users.organization_id', '=', organizationId)
  if (filter.role !== undefined && filter.role.length > 0) query = query.where('users.role', 'in', filter.role)
  if (filter.active !== undefined) query = query.where('users.is_active', '=', filter.active)
  if (filter.search !== undefined) query = query.where(sql`lower(users.name || ' ' || users.email)`, 'like', containsPattern(filter.search))
  return query
}

export async function listUsers (db: Kysely<Database>, organizationId: string, filter: UserListFilter, sort: SortKey<UserRow>, args: ConnectionArgs): Promise<Page<UserRow>> {
  return await paginateFiltered(filteredUsers(db, organizationId, filter), (q) => q.selectAll('users'), args, sort)
}

export async function findUserByEmail (db: Kysely<Database>, email: string): Promise<UserRow | undefined> {
  return await db.selectFrom('users').selectAll()
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst()
}

export async function findUsersByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<UserRow[]> {
  return await db.selectFrom('users').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute()
}

export async function recordLogin (db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('users').set({ last_login_at: new Date() }).where('id', '=', id).execute()
}

export async function insertUser (db: Kysely<Database>, row: NewUser): Promise<UserRow> {
  return await db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow()
}

/** Reads a user and locks the row until the transaction ends. */
export async function lockUser (trx: Transaction<Database>, organizationId: string, id: string): Promise<UserRow | undefined> {
  return await trx.selectFrom('users').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

/**
 * The organization's active admins, locked: two admins demoting or deactivating each other at
 * once queue here, so the organization never ends up without one.
 */
export async function lockActiveAdmins (trx: Transaction<Database>, organizationId: string): Promise<string[]> {
  const rows = await trx.selectFrom('users').select('id')
    .where('organization_id', '=', organizationId)
    .where('role', '=', 'ADMIN')
    .where('is_active', '=', true)
    .orderBy('id')
    .forUpdate()
    .execute()
  return rows.map((row) => row.id)
}

/** Changes a user's row; `endSessions` also raises the session epoch (every access token stops working) and revokes every refresh token. */
export async function changeUser (db: Kysely<Database>, id: string, patch: Partial<Pick<UserRow, 'is_active' | 'deactivated_at' | 'password_hash' | 'must_change_password'>>, endSessions: boolean): Promise<UserRow> {
  const user = await db.updateTable('users')
    .set({ ...patch, ...(endSessions ? { session_epoch: sql<number>`session_epoch + 1` } : {}) })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  if (endSessions) {
    await db.updateTable('refresh_tokens').set({ revoked_at: sql`now()` })
      .where('user_id', '=', id)
      .where('revoked_at', 'is', null)
      .execute()
  }
  return user
}

/** Counts a change the user row does not hold (its driver link) as an edit: the version moves on. */
export async function touchUser (db: Kysely<Database>, id: string): Promise<UserRow> {
  return await db.updateTable('users').set({ updated_at: sql`now()` } as never).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/**
 * Links a driver record to a user, or unlinks the user's driver (null). A user has at most one
 * driver record and a record at most one user: previous links on either side are undone.
 * Returns null when the driver does not exist, else the user the driver was linked to before.
 */
export async function linkDriver (trx: Transaction<Database>, organizationId: string, userId: string, driverId: string | null): Promise<{ previousUser: string | null } | null> {
  const driver = driverId === null
    ? undefined
    : await trx.selectFrom('drivers').select('user_id').where('organization_id', '=', organizationId).where('id', '=', driverId).forUpdate().executeTakeFirst()
  if (driverId !== null && driver === undefined) return null
  await trx.updateTable('drivers').set({ user_id: null })
    .where('organization_id', '=', organizationId).where('user_id', '=', userId).where('id', 'is distinct from', driverId)
    .execute()
  if (driverId !== null) await trx.updateTable('drivers').set({ user_id: userId }).where('organization_id', '=', organizationId).where('id', '=', driverId).execute()
  return { previousUser: driver?.user_id === userId ? null : driver?.user_id ?? null }
}
