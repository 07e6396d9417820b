import type { Insertable, Selectable, Updateable } from 'kysely'
import type { TenantRow } from '../../database/schema.js'

// The facilities module's tables (facilities), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

export type FacilityType = 'DEPOT' | 'YARD' | 'MAINTENANCE_SHOP' | 'OFFICE' | 'FUEL_STATION' | 'CUSTOMER_SITE' | 'OTHER'

export interface FacilitiesTable extends TenantRow {
  code: string
  name: string
  type: FacilityType
  address: string | null
  latitude: number | null
  longitude: number | null
}

declare module '../../database/schema.js' {
  interface Database {
    facilities: FacilitiesTable
  }
}

export type FacilityRow = Selectable<FacilitiesTable>
export type NewFacility = Insertable<FacilitiesTable>
export type FacilityUpdate = Updateable<FacilitiesTable>
