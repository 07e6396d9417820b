import t, { type Test } from 'tap'
import { buildTestApp, type TestApp } from './helpers/app.js'
import { ok } from './helpers/graphql.js'

// The OsmAnd door as phones and trackers really send it: the request lines of the reference
// decoder's tests (traccar/traccar, OsmAndProtocolDecoderTest), each read back through GraphQL.
// Their device ids are our device token, and their times are moved into the retention window,
// written in the same form; where our rules differ from Traccar's, the test says so.

// A zone that is not UTC, so that reading `yyyy-MM-dd HH:mm:ss` in the host's zone would show.
process.env.TZ = 'America/New_York'

const MINUTE = 60_000

const POSITION = 'recordedAt latitude longitude speed knots: speed(unit: KNOTS) mps: speed(unit: METERS_PER_SECOND) heading altitude accuracy ignition battery odometer attributes'
const FIXES = `query ($id: ID!, $f: DateTime!, $t: DateTime!) { vehicle(id: $id) {
  lastPosition { ${POSITION} }
  positions(from: $f, to: $t, first: 50) { nodes { ${POSITION} } }
} }`

interface Answer { status: number, json: any }

interface Setup extends TestApp {
  manager: string
  tokens: string[]
  vehicleIds: string[]
  /** GET /ingest/osmand?<query>, as the reference's request lines. */
  get: (query: string) => Promise<Answer>
  /** POST /ingest/osmand with a JSON body, as Traccar Client sends it. */
  json: (body: unknown) => Promise<Answer>
  form: (body: string) => Promise<Answer>
  /** The fixes of a vehicle in [from, to) and its latest. */
  fixes: (vehicleId: string, from: number, to: number) => Promise<{ lastPosition: any, nodes: any[] }>
  /** The one fix stored at that millisecond. */
  fixAt: (vehicleId: string, at: number) => Promise<any>
  /** How many requests were answered 400 (every one a rejected fix in the metrics). */
  refusals: () => number
}

async function setup (t: Test): Promise<Setup> {
  const app = await buildTestApp(t, { env: { TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0', POSITION_PUBLISH_INTERVAL_MS: '0' } })
  const manager = await app.login('fleet_manager@fleet.example')
  // Vehicles the demo's tracks left alone: no fix yet.
  const vehicleIds = ok(await app.gql<any>('{ vehicles(first: 50, filter: { status: [ACTIVE] }) { nodes { id lastPosition { recordedAt } } } }', {}, manager)).vehicles.nodes
    .filter((v: { lastPosition: unknown }) => v.lastPosition === null).slice(0, 4).map((v: { id: string }) => v.id)
  const tokens: string[] = []
  for (const v of vehicleIds) tokens.push(ok(await app.gql<any>('mutation ($v: ID!) { issueDeviceToken(vehicleId: $v) { token } }', { v }, manager)).issueDeviceToken.token)
  let refused = 0
  const send = async (options: { method: 'GET' | 'POST', url: string, headers?: Record<string, string>, payload?: string }): Promise<Answer> => {
    const response = await app.app.inject(options)
    if (response.statusCode === 400) refused++
    return { status: response.statusCode, json: response.body === '' ? null : response.json() }
  }
  const fixes = async (vehicleId: string, from: number, to: number) => {
    const { vehicle } = ok(await app.gql<any>(FIXES, { id: vehicleId, f: new Date(from).toISOString(), t: new Date(to).toISOString() }, manager))
    return { lastPosition: vehicle.lastPosition, nodes: vehicle.positions.nodes }
  }
  return {
    ...app,
    manager,
    tokens,
    vehicleIds,
    get: async (query) => await send({ method: 'GET', url: `/ingest/osmand?${query}` }),
    json: async (body) => await send({ method: 'POST', url: '/ingest/osmand', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) }),
    form: async (body) => await send({ method: 'POST', url: '/ingest/osmand', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body }),
    fixes,
    fixAt: async (vehicleId, at) => {
      const { nodes } = await fixes(vehicleId, at, at + 1)
      return nodes.length === 1 ? nodes[0] : nodes
    },
    refusals: () => refused
  }
}

/** Whole seconds, some minutes ago: every time the tests send lies in the retention window. */
const base = Math.floor((Date.now() - 60 * MINUTE) / 1000) * 1000
const at = (minute: number, ms = 0): number => base + minute * MINUTE + ms
const seconds = (ms: number): number => Math.floor(ms / 1000)
/** `2016-01-27T18%3A55%3A47Z`, as in the reference's request line. */
const isoQuery = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(':', '%3A')
/** `2014-06-04+09%3A10%3A11`: yyyy-MM-dd HH:mm:ss, form-encoded. */
const dateTimeQuery = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', '+').replaceAll(':', '%3A')

void t.test('the reference\'s query-string request lines', async (t) => {
  t.not(new Date(base).getTimezoneOffset(), 0, 'the test runs in a zone that is not UTC')
  const s = await setup(t)
  const [a, b, c] = s.vehicleIds as [string, string, string]
  const [ta, tb, tc] = s.tokens as [string, string, string]

  // /?id=123456&timestamp=1377177267&cell=257,02,16,2224&cell=257,02,16,2223,-90&wifi=...: Traccar
  // locates such a fix by its last position; ours needs a position of its own.
  const cells = 'cell=257,02,16,2224&cell=257,02,16,2223,-90&wifi=00-14-22-01-23-45,-80&wifi=00-1C-B3-09-85-15,-70'
  const network = {
    cellTowers: [
      { mobileCountryCode: 257, mobileNetworkCode: 2, locationAreaCode: 16, cellId: 2224 },
      { mobileCountryCode: 257, mobileNetworkCode: 2, locationAreaCode: 16, cellId: 2223, signalStrength: -90 }
    ],
    wifiAccessPoints: [{ macAddress: '00:14:22:01:23:45', signalStrength: -80 }, { macAddress: '00:1C:B3:09:85:15', signalStrength: -70 }]
  }
  const cellsOnly = await s.get(`id=${ta}&timestamp=${seconds(at(1))}&${cells}`)
  t.equal(cellsOnly.status, 400, 'cells and wifi without a position: refused (our rule)')
  t.match(cellsOnly.json, { error: { code: 'BAD_USER_INPUT', reason: 'INVALID_VALUE', message: /^No position: send lat and lon, or location=lat,lon/ } })
  t.equal((await s.get(`id=${ta}&timestamp=${seconds(at(1))}&${cells}&lat=60.0&lon=30.0`)).status, 200, 'with a position: stored')
  t.same((await s.fixAt(a, at(1))).attributes, { network }, 'every cell and access point, in the network attribute')

  // /?timestamp=1377177267&lat=60.0&lon=30.0: no device.
  t.match(await s.get(`timestamp=${seconds(at(2))}&lat=60.0&lon=30.0`), { status: 401, json: { error: { code: 'UNAUTHENTICATED' } } }, 'no id: refused (Traccar 400, ours 401)')

  // /?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0&altitude=224.0&speed=0.0
  t.equal((await s.get(`id=${ta}&lat=42.06288&lon=-88.23412&timestamp=${isoQuery(at(3))}&hdop=6.0&altitude=224.0&speed=0.0`)).status, 200)
  t.match(await s.fixAt(a, at(3)), { recordedAt: new Date(at(3)).toISOString(), latitude: 42.06288, longitude: -88.23412, altitude: 224, speed: 0, attributes: { hdop: 6 } }, 'ISO-8601 time; hdop a number')

  // /?id=902064&lat=42.06288&lon=-88.23412&timestamp=1442068686579&hdop=6.0&altitude=224.0&speed=0.0
  t.equal((await s.get(`id=${ta}&lat=42.06288&lon=-88.23412&timestamp=${at(4, 579)}&hdop=6.0&altitude=224.0&speed=0.0`)).status, 200)
  t.match(await s.fixAt(a, at(4, 579)), { recordedAt: new Date(at(4, 579)).toISOString() }, 'Unix milliseconds')

  // /?lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10%3A11&altitude=384.7&speed=0.0&id=353861053849681
  t.equal((await s.get(`lat=49.60688&lon=6.15788&timestamp=${dateTimeQuery(at(5))}&altitude=384.7&speed=0.0&id=${ta}`)).status, 200)
  t.match(await s.fixAt(a, at(5)), { recordedAt: new Date(at(5)).toISOString(), latitude: 49.60688, longitude: 6.15788, altitude: 384.7, attributes: null },
    'yyyy-MM-dd HH:mm:ss read as UTC, not the host\'s zone; the id may come last')

  // /?id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=0.0&bearing=0.0&altitude=0&hdop=0.0
  t.equal((await s.get(`id=${ta}&timestamp=${seconds(at(6))}&lat=60.0&lon=30.0&speed=0.0&bearing=0.0&altitude=0&hdop=0.0`)).status, 200)
  t.match(await s.fixAt(a, at(6)), { latitude: 60, longitude: 30, speed: 0, heading: 0, altitude: 0, attributes: { hdop: 0 } }, 'Unix seconds; zeros are values, not missing')

  // /?id=123456&timestamp=1377177267&lat=60.0&lon=30.0
  t.equal((await s.get(`id=${ta}&timestamp=${seconds(at(7))}&lat=60.0&lon=30.0`)).status, 200)
  t.match(await s.fixAt(a, at(7)), { latitude: 60, longitude: 30, speed: null, heading: null, attributes: null }, 'just a position')

  // /?id=123456&timestamp=1377177267&location=60.0,30.0
  t.equal((await s.get(`id=${ta}&timestamp=${seconds(at(8))}&location=60.0,30.0`)).status, 200)
  t.match(await s.fixAt(a, at(8)), { latitude: 60, longitude: 30, attributes: null }, 'location=lat,lon')

  // /?id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24
  t.equal((await s.get(`id=${ta}&timestamp=${seconds(at(9))}&lat=40.7232948571&lon=-74.0061408571&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24`)).status, 200)
  const engine = await s.fixAt(a, at(9))
  t.match(engine, { latitude: 40.7232948571, longitude: -74.0061408571, knots: 40, speed: 74.1, ignition: true, attributes: { rpm: 933, fuel: 24 } }, 'knots in, km/h stored; unknown numbers kept as numbers')
  t.ok(Math.abs(engine.heading - 7.19889788244) < 1e-4, 'bearing is the heading')

  // /?lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid=123456: no time at all.
  const before = Date.now()
  t.equal((await s.get(`lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid=${tb}`)).status, 200)
  const after = Date.now()
  const untimed = await s.fixes(b, before, after + 1)
  t.equal(untimed.nodes.length, 1, 'stored, dated when it arrived')
  t.match(untimed.nodes[0], { latitude: 60, longitude: 30, heading: 0, attributes: { vacc: 0, hacc: 0 } }, 'deviceid names the device')
  t.same(untimed.lastPosition, untimed.nodes[0], 'and it is the vehicle\'s latest position, attributes and all')

  // /?id=861001000719969&lat=41.666667&lon=-0.883333&altitude=350.059479&speed=0.000000&batt=87
  const before2 = Date.now()
  t.equal((await s.get(`id=${tc}&lat=41.666667&lon=-0.883333&altitude=350.059479&speed=0.000000&batt=87`)).status, 200)
  const battery = await s.fixes(c, before2, Date.now() + 1)
  t.equal(battery.nodes.length, 1, 'no time: dated when it arrived')
  t.match(battery.nodes[0], { latitude: 41.666667, longitude: -0.883333, battery: 87, speed: 0 }, 'batt is the battery level')
  t.ok(Math.abs(battery.nodes[0].altitude - 350.059479) < 1e-3, 'altitude')

  t.equal((await s.fixes(a, at(0), at(60))).nodes.length, 8, 'vehicle a: every fix sent with a position, once')
})

void t.test('Traccar Client\'s JSON body, from the reference\'s tests', async (t) => {
  const s = await setup(t)
  const [a, b] = s.vehicleIds as [string, string]
  const [ta, tb] = s.tokens as [string, string]
  const iso = (ms: number): string => new Date(ms).toISOString()

  const motionchange = (timestamp: string, extras: Record<string, unknown>) => ({
    location: {
      timestamp,
      coords: { latitude: 37.4219983, longitude: -122.084, accuracy: 5, speed: 0, heading: -1, altitude: 5 },
      is_moving: false,
      odometer: 0,
      event: 'motionchange',
      battery: { level: 1, is_charging: false },
      activity: { type: 'still' },
      extras,
      _: `&id=48241179&lat=37.4219983&lon=-122.084&timestamp=${timestamp}&`
    },
    device_id: ta
  })
  t.equal((await s.json(motionchange(iso(at(1, 862)), {}))).status, 200)
  t.match(await s.fixAt(a, at(1, 862)), {
    recordedAt: iso(at(1, 862)), latitude: 37.4219983, longitude: -122.084, speed: 0, heading: null, altitude: 5, accuracy: 5, battery: 100, odometer: 0,
    attributes: { event: 'motionchange', motion: false, activity: 'still' }
  }, 'heading -1 is unknown; battery level 1 is 100 %; an accuracy under 10 m is kept (Traccar drops it)')
  t.same((await s.fixAt(a, at(1, 862))).attributes, { event: 'motionchange', motion: false, activity: 'still' }, 'not charging: no charge attribute; `_` is not kept')

  const extras = { device_string_test: 'long_device_id', device_bool_test: true, device_bool_false_test: false, device_integer_test: 1, device_integer_twelve_test: 12, device_double_test: 1.345, device_very_long_double_test: 1763636.3442 }
  t.equal((await s.json(motionchange(iso(at(2, 862)), extras))).status, 200)
  t.same((await s.fixAt(a, at(2, 862))).attributes, { event: 'motionchange', motion: false, activity: 'still', ...extras }, 'extras merged into the attributes, types kept')

  t.equal((await s.json({
    location: {
      extras: {},
      mock: true,
      coords: { speed_accuracy: -1, speed: -1, longitude: -122.406417, ellipsoidal_altitude: 0, floor: null, heading_accuracy: -1, latitude: 37.785834000000001, accuracy: 5, altitude_accuracy: -1, altitude: 0, heading: -1 },
      is_moving: false,
      age: 188,
      odometer: 0,
      uuid: '2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8',
      event: 'motionchange',
      battery: { level: -1, is_charging: false },
      activity: { type: 'unknown', confidence: 100 },
      timestamp: iso(at(3, 579))
    },
    device_id: ta
  })).status, 200)
  const mock = await s.fixAt(a, at(3, 579))
  t.match(mock, { latitude: 37.785834, longitude: -122.406417, speed: null, heading: null, battery: null, altitude: 0 }, 'speed, heading and battery level -1: unknown')
  t.same(mock.attributes, { event: 'motionchange', motion: false, mock: true, activity: 'unknown' })

  t.equal((await s.json({
    location: {
      event: 'motionchange',
      is_moving: false,
      uuid: '0e9a2473-a9a7-4c00-997b-fb97d2154e75',
      timestamp: iso(at(4, 444)),
      odometer: 0,
      coords: { latitude: -6.1148096, longitude: 106.6837015, accuracy: 3.8, speed: 18.67, speed_accuracy: 0.26, heading: 63, heading_accuracy: 0.28, altitude: 35.7, altitude_accuracy: 3.8 },
      activity: { type: 'still', confidence: 100 },
      battery: { is_charging: false, level: 0.79 },
      extras: {}
    },
    device_id: '8737767034'
  })).status, 401, 'the reference\'s device id is no token of ours')
  t.equal((await s.json({
    location: {
      event: 'motionchange',
      is_moving: false,
      uuid: '0e9a2473-a9a7-4c00-997b-fb97d2154e75',
      timestamp: iso(at(4, 444)),
      odometer: 0,
      coords: { latitude: -6.1148096, longitude: 106.6837015, accuracy: 3.8, speed: 18.67, speed_accuracy: 0.26, heading: 63, heading_accuracy: 0.28, altitude: 35.7, altitude_accuracy: 3.8 },
      activity: { type: 'still', confidence: 100 },
      battery: { is_charging: false, level: 0.79 },
      extras: {}
    },
    device_id: ta
  })).status, 200)
  t.match(await s.fixAt(a, at(4, 444)), { latitude: -6.1148096, longitude: 106.6837015, mps: 18.7, speed: 67.2, heading: 63, accuracy: 3.8, altitude: 35.7, battery: 79 }, 'speed in m/s, battery 0-1')

  // Beyond the reference's vectors: the rest of what its JSON reader takes.
  t.equal((await s.json({
    device_id: ta,
    location: {
      timestamp: iso(at(5)),
      coords: { latitude: 1, longitude: 2 },
      event: 'heartbeat',
      alarm: 'sos',
      battery: { level: 0.5, is_charging: true },
      extras: { alarm: 'not this one', event: 'geofence', nested: { a: 1 }, list: [1], nothing: null }
    }
  })).status, 200)
  t.same((await s.fixAt(a, at(5))).attributes, { event: 'geofence', charge: true, alarm: 'sos' },
    'charging; the extras override, except the location\'s own alarm; objects, arrays and null left out')

  const before = Date.now()
  t.equal((await s.json({ device_id: tb, location: { coords: { latitude: 3, longitude: 4 } } })).status, 200, 'no timestamp')
  const untimed = await s.fixes(b, before, Date.now() + 1)
  t.match(untimed.nodes, [{ latitude: 3, longitude: 4 }], 'dated when it arrived')

  t.match(await s.json({ device_id: ta, location: { timestamp: iso(at(6)), is_moving: true } }), { status: 400, json: { error: { reason: 'INVALID_VALUE', message: /^No position: location.coords/ } } }, 'no coords: refused (Traccar reuses the last position)')
  t.match(await s.json({ device_id: ta, location: { timestamp: iso(at(6)), coords: { latitude: 1, longitude: 2 }, extras: 'x' } }), { status: 400, json: { error: { reason: 'INVALID_VALUE', message: /extras/ } } })
  t.match(await s.json({ device_id: ta, location: { timestamp: iso(at(6)), coords: { latitude: 1, longitude: 2 }, extras: { note: 'x'.repeat(5000) } } }), { status: 400, json: { error: { reason: 'INVALID_VALUE', message: /4096 bytes/ } } }, 'the 4 KB limit holds for extras')
  t.match(await s.json({ device_id: ta, location: { timestamp: '2025-06-15 13:45:12', coords: { latitude: 1, longitude: 2 } } }), { status: 400, json: { error: { reason: 'TIMESTAMP_TOO_OLD' } } }, 'the same time forms as the query')
})

void t.test('timestamps: every form the reference reads, ours where we differ', async (t) => {
  const s = await setup(t)
  const [a] = s.vehicleIds as [string]
  const [ta] = s.tokens as [string]
  const send = async (timestamp: string) => await s.get(`id=${ta}&lat=1&lon=2&timestamp=${timestamp}`)
  t.equal((await send(`${seconds(at(1))}.5`)).status, 200, 'fractional Unix seconds (ours; the reference refuses them)')
  t.match(await s.fixAt(a, at(1, 500)), { latitude: 1 })
  t.equal((await send(dateTimeQuery(at(2)).replaceAll('%3A', ':').replace('+', '%20'))).status, 200, 'yyyy-MM-dd HH:mm:ss with a plain space')
  t.match(await s.fixAt(a, at(2)), { latitude: 1 })
  t.equal((await send(encodeURIComponent(new Date(at(3)).toISOString().replace('Z', '+01:00')))).status, 200, 'ISO-8601 with an offset')
  t.match(await s.fixAt(a, at(3) - 60 * MINUTE), { latitude: 1 }, 'the offset counts')

  const year = new Date(base).getUTCFullYear()
  const refusals: Array<[string, string, RegExp | string]> = [
    ['1377177267', 'TIMESTAMP_TOO_OLD', 'the reference\'s own 2013 time: older than the retention'],
    [`${year}-02-30+10%3A00%3A00`, 'INVALID_VALUE', '30 February (Java would read 28 February)'],
    [`${year}-01-01+24%3A00%3A00`, 'INVALID_VALUE', 'hour 24'],
    [`${year}-01-01T10%3A00%3A00`, 'INVALID_VALUE', 'ISO-8601 without an offset'],
    ['', 'INVALID_VALUE', 'blank'],
    ['yesterday', 'INVALID_VALUE', 'words'],
    ['99999999999999999', 'INVALID_VALUE', 'beyond the calendar'],
    [String(seconds(Date.now() + 60 * MINUTE)), 'TIMESTAMP_IN_FUTURE', 'an hour ahead'],
    // Integer.MAX_VALUE is where the reference switches from seconds to milliseconds.
    ['2147483646', 'TIMESTAMP_IN_FUTURE', '2^31 - 2: seconds (2038)'],
    ['2147483647', 'TIMESTAMP_TOO_OLD', '2^31 - 1: milliseconds (January 1970)']
  ]
  for (const [timestamp, reason, what] of refusals) {
    t.match(await send(timestamp), { status: 400, json: { error: { code: 'BAD_USER_INPUT', reason, message: reason === 'INVALID_VALUE' ? /^timestamp must be/ : /recordedAt/ } } }, `${timestamp}: ${String(what)}`)
  }
})

void t.test('the other parameters, and what stays refused', async (t) => {
  const s = await setup(t)
  const [a] = s.vehicleIds as [string]
  const [ta] = s.tokens as [string]
  const send = async (minute: number, rest: string) => await s.get(`id=${ta}&lat=1&lon=2&timestamp=${seconds(at(minute))}&${rest}`)

  t.equal((await send(1, 'valid=false&charge=TRUE&driverUniqueId=0042&notificationToken=fcm-secret&n=007&iccid=89014103211118510720&flag=true&note=hello&nan=NaN&hex=0x10')).status, 200)
  t.same((await s.fixAt(a, at(1))).attributes, { valid: false, charge: true, driverUniqueId: '0042', n: 7, iccid: '89014103211118510720', flag: true, note: 'hello', nan: 'NaN', hex: '0x10' },
    'valid and charge as booleans, the driver\'s id as text, the push token not kept, unknown values typed as the reference types them (long digit strings kept whole)')
  t.equal((await send(2, 'valid=1&speed=%20&odometer=12345')).status, 200)
  t.match(await s.fixAt(a, at(2)), { speed: null, odometer: 12.345, attributes: { valid: true } }, 'valid=1; a blank speed is missing; odometer in metres')

  // Form body, with repeated parameters: every cell kept, the last of the others.
  t.equal((await s.form(`id=${ta}&lat=5&lat=6&lon=7&timestamp=${seconds(at(3))}&cell=1,2,3,4&cell=1,2,3,5`)).status, 200)
  t.match(await s.fixAt(a, at(3)), { latitude: 6, attributes: { network: { cellTowers: [{ cellId: 4 }, { cellId: 5 }] } } })
  // lat/lon and location: the later wins, as in the reference.
  t.equal((await s.get(`id=${ta}&lat=5&lon=7&location=8,9&timestamp=${seconds(at(4))}`)).status, 200)
  t.match(await s.fixAt(a, at(4)), { latitude: 8, longitude: 9 })
  t.equal((await s.get(`id=${ta}&location=8,9,100&timestamp=${seconds(at(5))}`)).status, 200, 'a third value in location is ignored, as there')

  const refused: Array<[string, string, RegExp]> = [
    ['lat=1&lon=0x10', 'INVALID_VALUE', /^longitude must be a number/],
    ['lat=60.0d&lon=30', 'INVALID_VALUE', /^latitude must be a number/],
    ['location=0x10,1', 'INVALID_VALUE', /^latitude must be a number/],
    ['location=60.0', 'INVALID_VALUE', /^location must be lat,lon/],
    ['lat=60', 'INVALID_VALUE', /^longitude is required/],
    ['lat=1&lon=2&speed=0x10', 'INVALID_VALUE', /^speed must be a number/],
    ['lat=1&lon=2&speed=1080', 'OUT_OF_RANGE', /^speed must be between 0 and 2000/],
    ['lat=1&lon=2&batt=120', 'OUT_OF_RANGE', /^battery/],
    ['lat=1&lon=2&hdop=abc', 'INVALID_VALUE', /^hdop must be a number/],
    ['lat=1&lon=2&cell=257,02', 'INVALID_VALUE', /^cell must be/],
    ['lat=1&lon=2&cell=257,02,16,99999999999', 'INVALID_VALUE', /^cell must be/],
    ['lat=1&lon=2&wifi=00-14-22-01-23-45', 'INVALID_VALUE', /^wifi must be/],
    ['lat=1&lon=2&wifi=00-14-22-01-23-45,loud', 'INVALID_VALUE', /^wifi must be/],
    ['lat=1&lon=2&ignition=maybe', 'INVALID_VALUE', /^ignition must be true or false/]
  ]
  for (const [query, reason, message] of refused) {
    t.match(await s.get(`id=${ta}&timestamp=${seconds(at(10))}&${query}`), { status: 400, json: { error: { code: 'BAD_USER_INPUT', reason, message } } }, query)
  }
  t.same((await s.fixes(a, at(10), at(11))).nodes, [], 'none of them stored')

  const metrics = (await s.app.inject({ method: 'GET', url: '/health/metrics' })).body
  t.match(metrics, new RegExp(`fleet_api_positions_ingested_total\\{source="osmand",result="rejected"\\} ${s.refusals()}\\n`), 'every refusal counted as a rejected fix, those the door could not read too')
})
