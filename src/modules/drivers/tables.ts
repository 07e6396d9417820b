import type { Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { TenantRow, Timestamp } from '../../database/schema.js'

// The drivers module's tables (drivers), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

export type DriverStatus = 'ACTIVE' | 'ON_LEAVE' | 'SUSPENDED' | 'INACTIVE'

export interface DriversTable extends TenantRow {
  user_id: string | null
  name: string
  email: string | null
  phone: string | null
  license_number: string
  license_class: string | null
  license_expires_at: Timestamp | null
  status: Generated<DriverStatus>
}

declare module '../../database/schema.js' {
  interface Database {
    drivers: DriversTable
  }
}

export type DriverRow = Selectable<DriversTable>
export type NewDriver = Insertable<DriversTable>
export type DriverUpdate = Updateable<DriversTable>
