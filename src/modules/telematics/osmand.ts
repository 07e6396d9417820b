import type { RawFix } from './fixes.js'

// The OsmAnd protocol as phone tracker apps speak it (Traccar Client, OsmAnd's live tracking):
// one fix as query or form parameters, `id` being the device's identifier (here: its device
// token), `lat`, `lon`, `timestamp` (Unix seconds or ISO-8601), `speed` in knots, `bearing`
// (or `heading`), `altitude`, `accuracy`, `batt` (percent); any other parameter is kept in the
// fix's attributes. Recent Traccar Client versions send the same as a JSON body instead:
// { device_id, location: { timestamp, coords: { latitude, longitude, speed (m/s), heading,
// altitude, accuracy }, battery: { level (0-1) }, is_moving, odometer (m) } }.

const KNOTS_TO_KMH = 1.852
const MPS_TO_KMH = 3.6
const KNOWN = new Set(['id', 'deviceid', 'lat', 'lon', 'timestamp', 'speed', 'bearing', 'heading', 'altitude', 'accuracy', 'batt', 'ignition', 'odometer'])
const MAX_ATTRIBUTES = 32

type Params = Record<string, unknown>

const isObject = (value: unknown): value is Params => typeof value === 'object' && value !== null && !Array.isArray(value)

function scaled (value: unknown, factor: number): unknown {
  if (value === undefined || value === null || value === '') return value
  const n = Number(value)
  return Number.isFinite(n) ? n * factor : value
}

export interface OsmAndRequest {
  token: string | undefined
  fix: RawFix
}

export function osmAndFix (query: unknown, body: unknown): OsmAndRequest {
  if (isObject(body) && isObject(body.location)) return fromJson(body)
  const params: Params = { ...(isObject(query) ? query : {}), ...(isObject(body) ? body : {}) }
  const id = params.id ?? params.deviceid
  const attributes: Params = {}
  for (const [key, value] of Object.entries(params)) {
    if (!KNOWN.has(key) && Object.keys(attributes).length < MAX_ATTRIBUTES) attributes[key] = value
  }
  return {
    token: typeof id === 'string' ? id : undefined,
    fix: {
      recordedAt: params.timestamp,
      latitude: params.lat,
      longitude: params.lon,
      speed: scaled(params.speed, KNOTS_TO_KMH),
      heading: params.bearing ?? params.heading,
      altitude: params.altitude,
      accuracy: params.accuracy,
      battery: params.batt,
      ignition: params.ignition,
      odometer: scaled(params.odometer, 0.001),
      attributes: Object.keys(attributes).length === 0 ? null : attributes
    }
  }
}

function fromJson (body: Params): OsmAndRequest {
  const location = body.location as Params
  const coords = isObject(location.coords) ? location.coords : {}
  const battery = isObject(location.battery) ? location.battery : {}
  const id = body.device_id
  const speed = coords.speed === -1 ? null : scaled(coords.speed, MPS_TO_KMH)
  return {
    token: typeof id === 'string' ? id : undefined,
    fix: {
      recordedAt: location.timestamp,
      latitude: coords.latitude,
      longitude: coords.longitude,
      speed,
      heading: coords.heading === -1 ? null : coords.heading,
      altitude: coords.altitude,
      accuracy: coords.accuracy,
      // The app reports -1 when it does not know the level.
      battery: typeof battery.level === 'number' && battery.level < 0 ? null : scaled(battery.level, 100),
      odometer: scaled(location.odometer, 0.001),
      attributes: typeof location.is_moving === 'boolean' ? { moving: location.is_moving } : null
    }
  }
}
