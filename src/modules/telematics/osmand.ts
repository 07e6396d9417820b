import type { PositionRejection } from '../../generated/graphql.js'
import { isoInstant } from '../../graphql/scalars.js'
import { decimal, parseTimestamp, type RawFix } from './fixes.js'

// The OsmAnd protocol as phone trackers send it (Traccar Client, OsmAnd's live tracking, GPS
// loggers), read with the meaning the Traccar project's reference decoder gives it
// (traccar/traccar OsmAndProtocolDecoder), so a phone set up for a Traccar server works here too.
//
// Parameters (query or form body; a repeated one counts by its last value, `cell` and `wifi` by
// every value; when both `lat`/`lon` and `location` come, the later wins, as there):
//   id | deviceid        the device token
//   timestamp            Unix seconds (below 2^31 - 1), else Unix milliseconds; `yyyy-MM-dd HH:mm:ss`;
//                        ISO-8601 with an offset; none at all: the time the request arrived
//   lat, lon | location=lat,lon
//   speed (knots, stored in km/h), bearing | heading, altitude, accuracy, batt (percent),
//   ignition, odometer (metres)
//   valid, charge        attributes, true for "true" (any case) and valid also for "1"
//   hdop                 attribute, a number
//   driverUniqueId       attribute, the text as sent
//   cell=mcc,mnc,lac,cid[,rssi], wifi=mac,rssi   attribute `network`: { cellTowers, wifiAccessPoints }
//   notificationToken    not kept: Traccar's channel for pushing commands, which this service sends none of
//   anything else        attribute: a number when the text is one, true/false, else the text
// Traccar Client's JSON body: { device_id, location: { timestamp, coords: { latitude, longitude,
// speed (m/s), heading, altitude, accuracy }, is_moving, odometer (m), battery: { level (0-1),
// is_charging }, event, activity: { type }, mock, alarm, extras } }; -1 (any negative) is the
// app's "unknown" for speed, heading, accuracy and the battery level. Attributes: motion, event,
// activity, mock, alarm, charge (only when charging), and the extras' numbers, texts and booleans
// (which take precedence, except over the location's own alarm).
//
// Where our rules differ from the reference, ours hold (docs/telematics.md): a fix needs a
// position (Traccar would reuse the device's last one), numbers are decimal text, dates are real
// calendar dates, `yyyy-MM-dd HH:mm:ss` is UTC (Traccar reads it in its server's zone; here the
// host's zone never decides), ranges, future and retention limits apply as to every fix, and
// accuracies under 10 m are kept (Traccar's osmand.minAccuracy drops them).

const KNOTS_TO_KMH = 1.852
const MPS_TO_KMH = 3.6
/** Integer.MAX_VALUE: the reference reads an integer timestamp below it as seconds, from it on as milliseconds. */
const SECONDS_BELOW = 2_147_483_647
const MAX_ATTRIBUTES = 32
const INTEGER = /^[+-]?\d+$/
const DATE_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/
const NO_POSITION = 'a fix without a position is not stored'

type Params = Record<string, unknown>

export interface Refusal {
  code: PositionRejection
  message: string
}

/** The fix a request carries, or why it carries none that could be read. */
export type OsmAndRequest = { fix: RawFix } | { refused: Refusal }

class Refused extends Error {
  constructor (readonly code: PositionRejection, message: string) { super(message) }
}

const isObject = (value: unknown): value is Params => typeof value === 'object' && value !== null && !Array.isArray(value)
const isJsonForm = (body: unknown): body is Params & { location: Params } => isObject(body) && isObject(body.location)
const blank = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
const isTrue = (value: unknown): boolean => value === true || (typeof value === 'string' && value.toLowerCase() === 'true')

function params (query: unknown, body: unknown): Params {
  return { ...(isObject(query) ? query : {}), ...(isObject(body) ? body : {}) }
}

/** The device token a request names (the rate limit's key is read from it before the body is checked). */
export function osmAndToken (query: unknown, body: unknown): string | undefined {
  if (isJsonForm(body)) return typeof body.device_id === 'string' ? body.device_id : undefined
  const given = params(query, body)
  const id = lastOf(given.id ?? given.deviceid)
  return typeof id === 'string' ? id : undefined
}

/** Reads the fix of a request; `receivedAt` dates a fix sent without a time. */
export function osmAndFix (query: unknown, body: unknown, receivedAt: Date): OsmAndRequest {
  try {
    return { fix: isJsonForm(body) ? fromJson(body.location, receivedAt) : fromParams(params(query, body), receivedAt) }
  } catch (err) {
    if (err instanceof Refused) return { refused: { code: err.code, message: err.message } }
    throw err
  }
}

function lastOf (value: unknown): unknown {
  return Array.isArray(value) ? value.at(-1) : value
}

/** A number in a unit converted; anything else goes on as sent, for the fix's checks to refuse (a blank is missing, hex is no number). */
function scaled (value: unknown, factor: number): unknown {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? decimal(value) : undefined
  return n === undefined || !Number.isFinite(n) ? value : n * factor
}

function reading (value: unknown, name: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? decimal(value) : undefined
  if (n === undefined || !Number.isFinite(n)) throw new Refused('INVALID_VALUE', `${name} must be a number`)
  return n
}

/** A 32-bit whole number: the reference reads cells and signal strengths with Integer.parseInt, and refuses the fix otherwise. */
function int32 (text: string | undefined, refusal: string): number {
  const n = text !== undefined && INTEGER.test(text.trim()) ? Number(text) : NaN
  if (!(n >= -(2 ** 31) && n < 2 ** 31)) throw new Refused('INVALID_VALUE', refusal)
  return n
}

function time (value: unknown): Date {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : ''
  let date: Date | null
  if (INTEGER.test(text)) {
    const n = Number(text)
    date = new Date(n < SECONDS_BELOW ? n * 1000 : n)
  } else {
    const local = DATE_TIME.exec(text)
    // Fractional Unix seconds are ours (the reference refuses them); ISO-8601 needs an offset there too.
    date = local === null ? parseTimestamp(text) : isoInstant(`${local[1]}T${local[2]}Z`)
  }
  if (date === null || Number.isNaN(date.getTime())) {
    throw new Refused('INVALID_VALUE', 'timestamp must be Unix seconds or milliseconds, "yyyy-MM-dd HH:mm:ss" (UTC) or ISO-8601 with an offset, on a real date')
  }
  return date
}

function cellTower (value: unknown): Record<string, number> {
  const parts = typeof value === 'string' ? value.split(',') : []
  const format = 'cell must be mcc,mnc,lac,cid or mcc,mnc,lac,cid,rssi in whole numbers'
  if (parts.length < 4) throw new Refused('INVALID_VALUE', format)
  const [mcc, mnc, lac, cid, rssi] = parts.slice(0, 5).map((part) => int32(part, format))
  return { mobileCountryCode: mcc as number, mobileNetworkCode: mnc as number, locationAreaCode: lac as number, cellId: cid as number, ...(rssi === undefined ? {} : { signalStrength: rssi }) }
}

function wifiAccessPoint (value: unknown): { macAddress: string, signalStrength: number } {
  const parts = typeof value === 'string' ? value.split(',') : []
  const format = 'wifi must be mac,rssi (rssi a whole number)'
  if (parts.length < 2) throw new Refused('INVALID_VALUE', format)
  return { macAddress: (parts[0] as string).replaceAll('-', ':'), signalStrength: int32(parts[1], format) }
}

/** An unknown parameter as the reference keeps it: a number when the text is one, true or false, else the text. */
function typed (value: unknown): unknown {
  if (typeof value !== 'string') return value
  const n = decimal(value)
  // Whole numbers beyond 2^53 (a SIM card's ICCID) keep their digits as text; a double would lose them.
  if (n !== undefined && Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n))) return n
  return value === 'true' ? true : value === 'false' ? false : value
}

function fromParams (given: Params, receivedAt: Date): RawFix {
  const fix: RawFix = {}
  const attributes = new Map<string, unknown>()
  const cellTowers: unknown[] = []
  const wifiAccessPoints: unknown[] = []
  let unknown = 0
  for (const [key, values] of Object.entries(given)) {
    const value = lastOf(values)
    switch (key) {
      case 'id': case 'deviceid': case 'notificationToken': break
      case 'valid': attributes.set('valid', isTrue(value) || value === '1'); break
      case 'timestamp': fix.recordedAt = time(value); break
      case 'lat': fix.latitude = value; break
      case 'lon': fix.longitude = value; break
      case 'location': {
        const parts = typeof value === 'string' ? value.split(',') : []
        // Parts beyond the second are ignored, as by the reference.
        if (parts.length < 2) throw new Refused('INVALID_VALUE', 'location must be lat,lon')
        fix.latitude = parts[0]
        fix.longitude = parts[1]
        break
      }
      case 'cell': cellTowers.push(...(Array.isArray(values) ? values : [values]).map(cellTower)); break
      case 'wifi': wifiAccessPoints.push(...(Array.isArray(values) ? values : [values]).map(wifiAccessPoint)); break
      case 'speed': fix.speed = scaled(value, KNOTS_TO_KMH); break
      case 'bearing': case 'heading': fix.heading = value; break
      case 'altitude': fix.altitude = value; break
      case 'accuracy': fix.accuracy = value; break
      case 'batt': fix.battery = value; break
      case 'ignition': fix.ignition = value; break
      case 'odometer': fix.odometer = scaled(value, 0.001); break
      case 'hdop': if (!blank(value)) attributes.set('hdop', reading(value, 'hdop')); break
      case 'charge': attributes.set('charge', isTrue(value)); break
      case 'driverUniqueId': attributes.set('driverUniqueId', value); break
      default:
        // At most 32 kept: a sender's long tail of parameters should not fill every fix it sends.
        if (unknown++ < MAX_ATTRIBUTES) attributes.set(key, typed(value))
    }
  }
  if (fix.latitude === undefined && fix.longitude === undefined) throw new Refused('INVALID_VALUE', `No position: send lat and lon, or location=lat,lon (${NO_POSITION})`)
  if (cellTowers.length + wifiAccessPoints.length > 0) {
    attributes.set('network', { ...(cellTowers.length > 0 ? { cellTowers } : {}), ...(wifiAccessPoints.length > 0 ? { wifiAccessPoints } : {}) })
  }
  fix.recordedAt ??= receivedAt
  fix.attributes = attributes.size === 0 ? null : Object.fromEntries(attributes)
  return fix
}

/** The app's -1 (any negative value) for what it does not know. */
function known (value: unknown): unknown {
  return typeof value === 'number' && value < 0 ? null : value
}

function fromJson (location: Params, receivedAt: Date): RawFix {
  if (!isObject(location.coords)) throw new Refused('INVALID_VALUE', `No position: location.coords with latitude and longitude is required (${NO_POSITION})`)
  const coords = location.coords
  const battery = isObject(location.battery) ? location.battery : {}
  const attributes = new Map<string, unknown>()
  const keep = (key: string, value: unknown): void => { if (value !== undefined && value !== null) attributes.set(key, value) }
  keep('event', location.event)
  keep('motion', location.is_moving)
  keep('mock', location.mock)
  keep('activity', isObject(location.activity) ? location.activity.type : location.activity)
  if (battery.is_charging === true) attributes.set('charge', true)
  keep('alarm', location.alarm)
  if (location.extras !== undefined && location.extras !== null) {
    if (!isObject(location.extras)) throw new Refused('INVALID_VALUE', 'location.extras must be a JSON object')
    for (const [key, value] of Object.entries(location.extras)) {
      if (key === 'alarm' && attributes.has('alarm')) continue
      // Numbers, texts and booleans, as the reference keeps them; objects, arrays and null are left out.
      if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') attributes.set(key, value)
    }
  }
  return {
    recordedAt: location.timestamp === undefined || location.timestamp === null ? receivedAt : time(location.timestamp),
    latitude: coords.latitude,
    longitude: coords.longitude,
    speed: known(scaled(coords.speed, MPS_TO_KMH)),
    heading: known(coords.heading),
    altitude: coords.altitude,
    accuracy: known(coords.accuracy),
    battery: known(scaled(battery.level, 100)),
    odometer: scaled(location.odometer, 0.001),
    attributes: attributes.size === 0 ? null : Object.fromEntries(attributes)
  }
}
