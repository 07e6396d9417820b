import type { Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { Decimal, TenantRow, Timestamp } from '../../database/schema.js'

// The vehicles module's tables (vehicles), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

export type VehicleStatus = 'ACTIVE' | 'IN_SHOP' | 'OUT_OF_SERVICE' | 'RETIRED'

export type VehicleType = 'CAR' | 'VAN' | 'PICKUP' | 'TRUCK' | 'BUS' | 'EQUIPMENT' | 'TRAILER' | 'OTHER'

export type FuelType = 'GASOLINE' | 'DIESEL' | 'ELECTRIC' | 'HYBRID' | 'CNG' | 'PROPANE' | 'HYDROGEN' | 'OTHER'

export interface VehiclesTable extends TenantRow {
  number: string
  name: string
  vin: string
  make: string
  model: string
  year: number
  license_plate: string | null
  type: VehicleType
  status: Generated<VehicleStatus>
  fuel_type: FuelType
  odometer_km: Decimal
  engine_hours: Decimal
  facility_id: string | null
  retired_at: Timestamp | null
  speed_limit_kmh: number | null
}

declare module '../../database/schema.js' {
  interface Database {
    vehicles: VehiclesTable
  }
}

export type VehicleRow = Selectable<VehiclesTable>
export type NewVehicle = Insertable<VehiclesTable>
export type VehicleUpdate = Updateable<VehiclesTable>
