import type { Kysely } from 'kysely'
import type { Database, OrganizationRow } from '../../database/schema.js'

export async function findOrganizationsByIds (db: Kysely<Database>, ids: readonly string[]): Promise<OrganizationRow[]> {
  return await db.selectFrom('organizations').selectAll().where('id', 'in', ids).execute()
}
