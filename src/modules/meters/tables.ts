import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'
import type { TenantRow, Timestamp } from '../../database/schema.js'

// The meters module's table (meter readings of odometers and engine hours), created by
// db/migrations and merged into `Database` (src/database/schema.ts).

export type MeterKind = 'ODOMETER' | 'ENGINE_HOURS'
export type MeterReadingSource = 'MANUAL' | 'TELEMATICS' | 'FUEL' | 'WORK_ORDER' | 'IMPORT'

export interface MeterReadingsTable extends TenantRow {
  vehicle_id: string
  kind: MeterKind
  /** Kilometres (ODOMETER) or hours (ENGINE_HOURS), one decimal. */
  value: ColumnType<string, number | string, never>
  recorded_at: Timestamp
  source: MeterReadingSource
  replacement: Generated<boolean>
  note: string | null
  work_order_id: string | null
  recorded_by: string | null
  voided_at: Timestamp | null
  voided_by: string | null
  void_reason: string | null
}

declare module '../../database/schema.js' {
  interface Database {
    meter_readings: MeterReadingsTable
  }
}

export type MeterReadingRow = Selectable<MeterReadingsTable>
export type NewMeterReading = Insertable<MeterReadingsTable>
