import { type Kysely, sql } from 'kysely'
import type { Database } from '../../database/schema.js'
import { containsPattern } from '../../database/search.js'
import { type ConnectionArgs, type Page, paginateFiltered, type SortKey } from '../../graphql/pagination.js'
import type { NewVendor, VendorKind, VendorRow } from './tables.js'

const VENDOR_SORT: SortKey<VendorRow> = { name: 'NAME_ASC', column: 'vendors.name', type: 'text', direction: 'asc', idColumn: 'vendors.id', value: (v) => v.name }

export interface VendorFilter {
  kind?: VendorKind[]
  active?: boolean
  search?: string
}

export async function listVendors (db: Kysely<Database>, organizationId: string, filter: VendorFilter, args: ConnectionArgs): Promise<Page<VendorRow>> {
  let query = db.selectFrom('vendors').where('vendors.organization_id', '=', organizationId)
  // Overlap (&&) with the kinds asked for: the GIN index on kinds answers it.
  if (filter.kind !== undefined) query = query.where(sql<boolean>`vendors.kinds && cast(${filter.kind} as text[])`)
  if (filter.active !== undefined) query = query.where('vendors.active', '=', filter.active)
  if (filter.search !== undefined) {
    // The same expression as the vendors_search trigram index.
    query = query.where(sql`lower(vendors.name || ' ' || coalesce(vendors.contact_name, '') || ' ' || coalesce(vendors.email, '') || ' ' || coalesce(vendors.phone, ''))`, 'like', containsPattern(filter.search))
  }
  return await paginateFiltered(query, (q) => q.selectAll('vendors'), args, VENDOR_SORT)
}

export async function findVendorsByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<VendorRow[]> {
  return await db.selectFrom('vendors').selectAll().where('organization_id', '=', organizationId).where('id', 'in', ids).execute()
}

export async function insertVendor (db: Kysely<Database>, row: NewVendor): Promise<VendorRow> {
  return await db.insertInto('vendors').values(row).returningAll().executeTakeFirstOrThrow()
}
