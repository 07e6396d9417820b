import type { Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { TenantRow } from '../../database/schema.js'

// The vendors module's table, created by db/migrations and merged into `Database`
// (src/database/schema.ts).

export type VendorKind = 'WORKSHOP' | 'FUEL_STATION' | 'PARTS_SUPPLIER' | 'DEALER' | 'TOWING' | 'OTHER'

export interface VendorsTable extends TenantRow {
  name: string
  kinds: VendorKind[]
  contact_name: string | null
  email: string | null
  phone: string | null
  address: string | null
  website: string | null
  notes: string | null
  active: Generated<boolean>
}

declare module '../../database/schema.js' {
  interface Database {
    vendors: VendorsTable
  }
}

export type VendorRow = Selectable<VendorsTable>
export type NewVendor = Insertable<VendorsTable>
export type VendorUpdate = Updateable<VendorsTable>
