import type { RecordMeterReadingInput } from '../../generated/graphql.js'
import { badInput } from '../../errors.js'
import { toKilometers } from '../../graphql/units.js'
import { id, number, optionalText } from '../../graphql/validation.js'
import type { MeterKind } from './tables.js'

// The checks every reading passes, whoever records it (a person, a fuel transaction, a work order,
// an import). The database enforces the same ranges and lengths (the checks of migration 0012);
// checking here first names the field.

/** The vehicles table's own limits (src/modules/vehicles/validation.ts): a reading becomes the vehicle's value. */
export const MAX_VALUE: Record<MeterKind, number> = { ODOMETER: 10_000_000, ENGINE_HOURS: 1_000_000 }
/** A meter read a little ahead of the server clock (a phone's clock) is now; beyond, a mistake. */
const MAX_FUTURE_MS = 5 * 60_000
const EARLIEST = new Date('1990-01-01T00:00:00Z')
const NOTE_LENGTH = 1000
const VOID_REASON_LENGTH = 500

/** Constraints of meter_readings, by the input field they concern. */
export const meterConstraints = {
  meter_readings_vehicle_fk: { field: 'input.vehicleId', message: 'No such vehicle' },
  meter_readings_value_range: { field: 'input.value', message: `A reading is between 0 and ${MAX_VALUE.ODOMETER} km (${MAX_VALUE.ENGINE_HOURS} hours)` },
  meter_readings_note_length: { field: 'input.note', message: `A note is 1 to ${NOTE_LENGTH} characters` },
  meter_readings_void_reason_length: { field: 'reason', message: `A reason is 1 to ${VOID_REASON_LENGTH} characters` }
}

/** A meter's value as stored: kilometres or hours, one decimal. */
export function meterValue (value: number, kind: MeterKind, field: string): number {
  number(value, field, 0, MAX_VALUE[kind])
  return Math.round(value * 10) / 10
}

export function readingTime (value: Date, now: Date, field: string): Date {
  if (Number.isNaN(value.getTime())) throw badInput(`${field} is not a time`, field)
  if (value.getTime() - now.getTime() > MAX_FUTURE_MS) throw badInput(`${field} must not be in the future`, field)
  if (value < EARLIEST) throw badInput(`${field} must not be before ${EARLIEST.getUTCFullYear()}`, field)
  return value
}

export function note (value: string | null | undefined, field: string): string | null {
  return optionalText(value, field, NOTE_LENGTH)
}

export function voidReason (value: string | null | undefined): string | null {
  return optionalText(value, 'reason', VOID_REASON_LENGTH)
}

export interface ManualReading {
  vehicleId: string
  kind: MeterKind
  /** Kilometres or hours, unrounded: recordReadings checks and rounds it. */
  value: number
  recordedAt: Date
  replacement: boolean
  note: string | null
  unit: 'KILOMETERS' | 'MILES'
}

/** recordMeterReading's input, read: the odometer converted to kilometres as every distance is (src/graphql/units.ts). */
export function manualReading (input: RecordMeterReadingInput, now: Date): ManualReading {
  const unit = input.kind === 'ODOMETER' && input.unit === 'MILES' ? 'MILES' : 'KILOMETERS'
  return {
    vehicleId: id(input.vehicleId, 'input.vehicleId'),
    kind: input.kind,
    value: input.kind === 'ODOMETER' ? toKilometers(input.value, unit) : input.value,
    recordedAt: readingTime(input.recordedAt ?? now, now, 'input.recordedAt'),
    replacement: input.replacement ?? false,
    note: note(input.note, 'input.note'),
    unit
  }
}
