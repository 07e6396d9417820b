import type { Kysely } from 'kysely'
import type { Database } from '../../database/schema.js'
import type { OrganizationRow } from './tables.js'

export async function findOrganizationsByIds (db: Kysely<Database>, ids: readonly string[]): Promise<OrganizationRow[]> {
  return await db.selectFrom('organizations').selectAll().where('id', 'in', ids).execute()
}
