import type { PositionRejection } from '../../generated/graphql.js'
import { isoInstant } from '../../graphql/scalars.js'

// A fix as the ingest pipeline takes it, whichever door it came in by (GraphQL, the JSON/NDJSON
// device endpoint, the OsmAnd protocol), and the checks every fix passes. A bad fix is rejected
// alone, with its index and reason; the rest of its batch is stored.

export interface Fix {
  /** Position in the caller's batch, for rejections. */
  index: number
  vehicleId: string
  recordedAt: Date
  latitude: number
  longitude: number
  speedKmh: number | null
  heading: number | null
  altitudeM: number | null
  accuracyM: number | null
  odometerKm: number | null
  ignition: boolean | null
  batteryPercent: number | null
  attributes: Record<string, unknown> | null
}

export interface Rejection {
  index: number
  code: PositionRejection
  message: string
}

export interface FixLimits {
  now: Date
  maxFutureSeconds: number
  retentionDays: number
}

/** A fix's fields as received, before any check: values may be of any type. */
export interface RawFix {
  vehicleId?: unknown
  recordedAt?: unknown
  latitude?: unknown
  longitude?: unknown
  speed?: unknown
  heading?: unknown
  altitude?: unknown
  accuracy?: unknown
  odometer?: unknown
  ignition?: unknown
  battery?: unknown
  attributes?: unknown
}

const MAX_ATTRIBUTES_BYTES = 4096
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

class Rejected extends Error {
  constructor (readonly code: PositionRejection, message: string) { super(message) }
}

/** A number as text: decimal, optionally with an exponent (not hex, not blank, which Number() reads as 0). */
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

/** The number a text spells in decimal (spaces around it allowed), or undefined when it spells none. */
export function decimal (text: string): number | undefined {
  const trimmed = text.trim()
  return NUMERIC.test(trimmed) ? Number(trimmed) : undefined
}

function optionalNumber (value: unknown, field: string, min: number, max: number): number | null {
  const text = typeof value === 'string' ? value.trim() : undefined
  if (value === undefined || value === null || text === '') return null
  const n = text !== undefined ? decimal(text) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Rejected('INVALID_VALUE', `${field} must be a number`)
  if (n < min || n > max) throw new Rejected('OUT_OF_RANGE', `${field} must be between ${min} and ${max}, got ${n}`)
  return n
}

function requiredNumber (value: unknown, field: string, min: number, max: number): number {
  const n = optionalNumber(value, field, min, max)
  if (n === null) throw new Rejected('INVALID_VALUE', `${field} is required`)
  return n
}

/** ISO-8601 with an offset, or Unix time in seconds (or milliseconds, when that large). */
export function parseTimestamp (value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value))) {
    const n = Number(value)
    const date = new Date(n > 1e11 ? n : n * 1000)
    // Beyond JavaScript's dates (year 275760): not a time at all.
    return Number.isNaN(date.getTime()) ? null : date
  }
  return typeof value === 'string' ? isoInstant(value) : null
}

function optionalBoolean (value: unknown, field: string): boolean | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === '1' || value === 1) return true
  if (value === 'false' || value === '0' || value === 0) return false
  throw new Rejected('INVALID_VALUE', `${field} must be true or false`)
}

const MAX_ATTRIBUTES_DEPTH = 16

/** Whether nested objects and arrays go no deeper than `depth` (checked before anything recurses through them all). */
function shallow (value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true
  if (depth === 0) return false
  return Object.values(value).every((item) => shallow(item, depth - 1))
}

function wellFormed (value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed()
  if (typeof value !== 'object' || value === null) return true
  return Object.entries(value).every(([key, item]) => key.isWellFormed() && wellFormed(item))
}

function attributesOf (value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'object' || Array.isArray(value)) throw new Rejected('INVALID_VALUE', 'attributes must be a JSON object')
  if (!shallow(value, MAX_ATTRIBUTES_DEPTH)) throw new Rejected('INVALID_VALUE', `attributes must nest at most ${MAX_ATTRIBUTES_DEPTH} levels`)
  const json = JSON.stringify(value)
  // A lone UTF-16 surrogate is no text jsonb can hold.
  if (!wellFormed(value)) throw new Rejected('INVALID_VALUE', 'attributes must be valid Unicode text')
  if (Buffer.byteLength(json) > MAX_ATTRIBUTES_BYTES) throw new Rejected('INVALID_VALUE', `attributes must be at most ${MAX_ATTRIBUTES_BYTES} bytes of JSON`)
  // \u0000 cannot be stored in jsonb.
  if (json.includes('\\u0000')) throw new Rejected('INVALID_VALUE', 'attributes must not contain NUL characters')
  return value as Record<string, unknown>
}

/**
 * Checks one raw fix. `vehicleId` is what the fix says, or what the door implies (the vehicle of
 * a device token).
 */
export function checkFix (raw: RawFix, index: number, limits: FixLimits, impliedVehicleId?: string): Fix | Rejection {
  try {
    let vehicleId = impliedVehicleId
    if (raw.vehicleId !== undefined && raw.vehicleId !== null) {
      if (typeof raw.vehicleId !== 'string' || !UUID.test(raw.vehicleId)) throw new Rejected('INVALID_VALUE', 'vehicleId must be a UUID')
      const named = raw.vehicleId.toLowerCase()
      if (impliedVehicleId !== undefined && named !== impliedVehicleId) throw new Rejected('UNKNOWN_VEHICLE', 'vehicleId is not the vehicle of this device')
      vehicleId = named
    }
    if (vehicleId === undefined) throw new Rejected('INVALID_VALUE', 'vehicleId is required')
    const recordedAt = parseTimestamp(raw.recordedAt)
    if (recordedAt === null) throw new Rejected('INVALID_VALUE', 'recordedAt must be an ISO-8601 time with an offset, or Unix seconds')
    const ahead = (recordedAt.getTime() - limits.now.getTime()) / 1000
    if (ahead > limits.maxFutureSeconds) throw new Rejected('TIMESTAMP_IN_FUTURE', `recordedAt is ${Math.round(ahead)} s ahead of the server clock (at most ${limits.maxFutureSeconds} s)`)
    if (limits.now.getTime() - recordedAt.getTime() > limits.retentionDays * 86_400_000) {
      throw new Rejected('TIMESTAMP_TOO_OLD', `recordedAt is older than the ${limits.retentionDays}-day retention`)
    }
    return {
      index,
      vehicleId,
      recordedAt,
      latitude: requiredNumber(raw.latitude, 'latitude', -90, 90),
      longitude: requiredNumber(raw.longitude, 'longitude', -180, 180),
      speedKmh: optionalNumber(raw.speed, 'speed', 0, 2000),
      heading: optionalNumber(raw.heading, 'heading', 0, 360),
      altitudeM: optionalNumber(raw.altitude, 'altitude', -12_000, 100_000),
      accuracyM: optionalNumber(raw.accuracy, 'accuracy', 0, 1_000_000),
      odometerKm: optionalNumber(raw.odometer, 'odometer', 0, 100_000_000),
      ignition: optionalBoolean(raw.ignition, 'ignition'),
      batteryPercent: optionalNumber(raw.battery, 'battery', 0, 100),
      attributes: attributesOf(raw.attributes)
    }
  } catch (err) {
    if (err instanceof Rejected) return { index, code: err.code, message: err.message }
    throw err
  }
}

export function isRejection (checked: Fix | Rejection): checked is Rejection {
  return 'code' in checked
}
