import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Database } from '../../database/schema.js'
import type { FacilityRow, NewFacility } from './tables.js'
import { type ConnectionArgs, type Page, type SortKey, paginateFiltered } from '../../graphql/pagination.js'

export type FacilitySortField = 'NAME' | 'CODE' | 'CREATED_AT'

const SORT_COLUMNS: Record<FacilitySortField, Pick<SortKey<FacilityRow>, 'column' | 'type' | 'value'>> = {
  NAME: { column: 'facilities.name', type: 'text', value: (f) => f.name },
  CODE: { column: 'facilities.code', type: 'text', value: (f) => f.code },
  CREATED_AT: { column: 'facilities.created_at', type: 'timestamptz', value: (f) => f.created_at }
}

export function facilitySort (field: FacilitySortField, direction: 'asc' | 'desc'): SortKey<FacilityRow> {
  return { ...SORT_COLUMNS[field], name: `${field}_${direction.toUpperCase()}`, direction, idColumn: 'facilities.id' }
}

function organizationFacilities (db: Kysely<Database>, organizationId: string) {
  return db.selectFrom('facilities').where('facilities.organization_id', '=', organizationId)
}

export async function listFacilities (db: Kysely<Database>, organizationId: string, sort: SortKey<FacilityRow>, args: ConnectionArgs): Promise<Page<FacilityRow>> {
  return await paginateFiltered(organizationFacilities(db, organizationId), (q) => q.selectAll('facilities'), args, sort)
}

/**
 * The facility a row of another table points at, as JSON: a list brings it in its own statement
 * when the query selects it (src/graphql/selection.ts).
 */
export function facilityJson (facilityIdColumn: string, organizationColumn: string): RawBuilder<unknown> {
  return sql`(select to_json(f) from facilities f where f.organization_id = ${sql.ref(organizationColumn)} and f.id = ${sql.ref(facilityIdColumn)})`
}

export async function findFacilitiesByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<FacilityRow[]> {
  return await db.selectFrom('facilities').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute()
}

export async function insertFacility (db: Kysely<Database>, row: NewFacility): Promise<FacilityRow> {
  return await db.insertInto('facilities').values(row).returningAll().executeTakeFirstOrThrow()
}
