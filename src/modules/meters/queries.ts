import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from '../../database/schema.js'
import { PARENT_ID, pagesPerParent, type PageWindow, type SortKey } from '../../graphql/pagination.js'
import type { MeterKind, MeterReadingRow, NewMeterReading } from './tables.js'

// The meters module's SQL. A meter is a vehicle's odometer or engine hours; its sequence is its
// valid (not voided) readings in time, served by the meter_readings_sequence index.

export const READING_SORT: SortKey<MeterReadingRow> = {
  name: 'RECORDED_AT_DESC',
  column: 'meter_readings.recorded_at',
  type: 'timestamptz',
  direction: 'desc',
  idColumn: 'meter_readings.id',
  value: (row) => row.recorded_at
}

export interface ReadingListFilter {
  kind: MeterKind | null
  includeVoided: boolean
}

export interface Neighbour {
  side: 'before' | 'after' | 'latest'
  id: string
  value: string
  recorded_at: Date
  replacement: boolean
}

/**
 * Around a moment of one meter, in one statement: the valid reading just before it (or at it) and
 * the one just after it among the readings that refuse (all sources but the tracker's), and the
 * latest valid reading of any source (the vehicle shows it).
 */
export async function meterNeighbours (trx: Transaction<Database>, organizationId: string, vehicleId: string, kind: MeterKind, at: Date): Promise<Neighbour[]> {
  const { rows } = await sql<Neighbour>`
    /* meters.meterNeighbours */
    (select 'before' as side, id, value, recorded_at, replacement from meter_readings
      where organization_id = ${organizationId} and vehicle_id = ${vehicleId} and kind = ${kind} and voided_at is null
        and source <> 'TELEMATICS' and recorded_at <= ${at.toISOString()}
      order by recorded_at desc, value desc limit 1)
    union all
    (select 'after', id, value, recorded_at, replacement from meter_readings
      where organization_id = ${organizationId} and vehicle_id = ${vehicleId} and kind = ${kind} and voided_at is null
        and source <> 'TELEMATICS' and recorded_at > ${at.toISOString()}
      order by recorded_at asc, value asc limit 1)
    union all
    (select 'latest', id, value, recorded_at, replacement from meter_readings
      where organization_id = ${organizationId} and vehicle_id = ${vehicleId} and kind = ${kind} and voided_at is null
      order by recorded_at desc, value desc limit 1)`.execute(trx)
  return rows
}

/** The latest valid reading of a meter, of any source. */
export async function latestReading (trx: Transaction<Database>, organizationId: string, vehicleId: string, kind: MeterKind): Promise<MeterReadingRow | undefined> {
  return await trx.selectFrom('meter_readings').selectAll()
    .where('organization_id', '=', organizationId)
    .where('vehicle_id', '=', vehicleId)
    .where('kind', '=', kind)
    .where('voided_at', 'is', null)
    .orderBy('recorded_at', 'desc').orderBy('value', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export async function insertReading (trx: Transaction<Database>, row: NewMeterReading): Promise<MeterReadingRow> {
  return await trx.insertInto('meter_readings').values(row).returningAll().executeTakeFirstOrThrow()
}

/** The tracker's readings at the ends of trips: once each, however often a trip is closed (meter_readings_telematics_once). */
export async function insertTelematicsReadings (trx: Transaction<Database>, organizationId: string, rows: ReadonlyArray<{ vehicleId: string, kind: MeterKind, value: number, recordedAt: Date }>): Promise<void> {
  if (rows.length === 0) return
  await sql`
    /* meters.insertTelematicsReadings */
    insert into meter_readings (organization_id, vehicle_id, kind, value, recorded_at, source)
    select ${organizationId}, r.vehicle_id, r.kind, r.value, r.recorded_at, 'TELEMATICS' from unnest(
      cast(${rows.map((r) => r.vehicleId)} as uuid[]),
      cast(${rows.map((r) => r.kind)} as text[]),
      cast(${rows.map((r) => r.value)} as numeric[]),
      cast(${rows.map((r) => r.recordedAt.toISOString())} as timestamptz[])
    ) as r(vehicle_id, kind, value, recorded_at)
    on conflict (vehicle_id, kind, recorded_at) where source = 'TELEMATICS' do nothing`.execute(trx)
}

export async function findReading (db: Kysely<Database>, organizationId: string, id: string): Promise<MeterReadingRow | undefined> {
  return await db.selectFrom('meter_readings').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/** Reads a reading and locks it until the transaction ends. */
export async function lockReading (trx: Transaction<Database>, organizationId: string, id: string): Promise<MeterReadingRow | undefined> {
  return await trx.selectFrom('meter_readings').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

export async function markVoided (trx: Transaction<Database>, id: string, voidedBy: string | null, reason: string | null): Promise<MeterReadingRow> {
  return await trx.updateTable('meter_readings')
    .set({ voided_at: sql`now()`, voided_by: voidedBy, void_reason: reason })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** One page of readings for each vehicle, newest first, in one statement. */
export async function findReadingPages (db: Kysely<Database>, organizationId: string, vehicleIds: readonly string[], filter: ReadingListFilter, window: PageWindow): Promise<MeterReadingRow[]> {
  const { kind, includeVoided } = filter
  return await pagesPerParent(db, vehicleIds, (eb) => eb.selectFrom('meter_readings').selectAll('meter_readings')
    .where('meter_readings.organization_id', '=', organizationId)
    .where('meter_readings.vehicle_id', '=', PARENT_ID)
    .$if(kind !== null, (q) => q.where('meter_readings.kind', '=', kind as MeterKind))
    .$if(!includeVoided, (q) => q.where('meter_readings.voided_at', 'is', null)), window, READING_SORT)
}

export async function countReadingsByVehicle (db: Kysely<Database>, organizationId: string, vehicleIds: readonly string[], filter: ReadingListFilter): Promise<Array<{ vehicle_id: string, count: number }>> {
  const { kind, includeVoided } = filter
  return await db.selectFrom('meter_readings')
    .select(['vehicle_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where('organization_id', '=', organizationId)
    .where('vehicle_id', 'in', vehicleIds)
    .$if(kind !== null, (q) => q.where('kind', '=', kind as MeterKind))
    .$if(!includeVoided, (q) => q.where('voided_at', 'is', null))
    .groupBy('vehicle_id')
    .execute()
}
