import type { Kysely } from 'kysely'
import type { Database, UserRow } from '../../database/schema.js'

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

export async function findActiveUser (db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return await db.selectFrom('users').selectAll()
    .where('id', '=', id)
    .where('is_active', '=', true)
    .executeTakeFirst()
}

export async function recordLogin (db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('users').set({ last_login_at: new Date() }).where('id', '=', id).execute()
}
