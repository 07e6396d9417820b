import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { open, rm, stat } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import pg from 'pg'
import { seedDemo } from '../db/seeds/demo.js'
import { connectDatabase } from '../src/database/connect.js'
import { migrateUp } from '../src/database/migrator.js'
import { cpuOf, machineCpu } from './lib/proc.js'
import { graphql, login, startServer as startBenchServer, stopServer } from './lib/server.js'
import { median, percentile } from './lib/stats.js'
import { findActiveGeofences } from '../src/modules/geofences/queries.js'
import { checkFix, type RawFix } from '../src/modules/telematics/fixes.js'
import { ingest } from '../src/modules/telematics/ingest.js'
import { PositionPartitions } from '../src/modules/telematics/partitions.js'

// npm run bench:ingest: position ingestion and history reads against real PostgreSQL.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench:ingest
//
// As a superuser the write policies (migration 0009) do not apply; to measure with them, run it as
// a role with CREATEDB that is neither superuser nor BYPASSRLS (it then owns the database it makes):
//   psql -c 'CREATE ROLE fleet_bench LOGIN CREATEDB' && DATABASE_URL=postgres://fleet_bench@127.0.0.1:5432/postgres ...
//
// 1. Ingest. Creates the database fleet_bench_ingest, migrates it with the project's migrator,
//    seeds the demo fleet, starts the server as its own process with production settings, issues
//    a device token for each of BENCH_VEHICLES vehicles and creates 100 circular geofences over
//    the area they drive in (both through GraphQL, as a fleet manager), then loads
//    POST /ingest/positions with autocannon: BENCH_CONNECTIONS connections, each request one
//    vehicle's last BENCH_BATCH fixes (10-second fixes, clocks starting 2 hours ago and advancing,
//    vehicles driving loops with stops, so trips, geofence crossings and speeding all happen).
//    Accepted positions are read from the server's fleet_api_positions_ingested_total and must
//    equal the fixes sent. Then the same with one fix per request through GET /ingest/osmand.
//    Also: CPU per position of the server, of PostgreSQL and of this process (from /proc), what
//    the server's connections were doing (pg_stat_activity sampled), SQL statements and Redis
//    round trips per request (from /health/metrics), statements slower than BENCH_SLOW_MS (the
//    server's sessions get log_min_duration_statement through PGOPTIONS; read back from the
//    PostgreSQL log when it is readable), and one batch at a time through the pipeline in this
//    process with every statement timed.
// 2. History table. BENCH_POSITIONS fixes for those vehicles over 30 days plus one "focus"
//    vehicle with 10-second fixes for the whole month (259,200) and its trips (4 a day), written
//    with INSERT ... SELECT generate_series into the day partitions, then VACUUM ANALYZE.
// 3. History reads through GraphQL for the focus vehicle (BENCH_HISTORY_REQUESTS sequential
//    requests each): a day and the month simplified to 1,000 points, a keyset page of 200 in the
//    middle of the month (also with totalCount), the month's trips; the statements of the
//    simplification alone, from this process; and the raw SQL of a whole day (EXPLAIN ANALYZE).
//    A request that fails is reported with PostgreSQL's error (from its log) and exits 1.
// 4. COPY. The rows the batch ingest stored, exported as CSV and loaded with psql's \copy into a
//    fresh partitioned copy of the positions table: PostgreSQL's own bulk-load rate to compare.
//
//   BENCH_VEHICLES (1000) BENCH_GEOFENCES (100) BENCH_BATCH (10) BENCH_CONNECTIONS (100)
//   BENCH_SECONDS (30) BENCH_WARMUP_SECONDS (5) BENCH_POSITIONS (10000000) BENCH_HISTORY_REQUESTS (30)
//   BENCH_SLOW_MS (100; 0: off) BENCH_PG_LOG (the PostgreSQL log file; default: Debian's)
//   BENCH_PORT (3911) BENCH_KEEP=1 keeps the database fleet_bench_ingest afterwards.
// Redis (when REDIS_URL is set): database 6 of that server, keys under the namespace fleet-bench-ingest.

const SERVER = process.env.DATABASE_URL
if (SERVER === undefined || SERVER === '') {
  console.error('npm run bench:ingest needs DATABASE_URL (a PostgreSQL server; a database "fleet_bench_ingest" is created on it).')
  process.exit(2)
}
const REDIS_SERVER = process.env.REDIS_URL
const DATABASE = 'fleet_bench_ingest'
const VEHICLES = Number(process.env.BENCH_VEHICLES ?? 1000)
const GEOFENCES = Number(process.env.BENCH_GEOFENCES ?? 100)
const BATCH = Number(process.env.BENCH_BATCH ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30)
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5)
const POSITIONS = Number(process.env.BENCH_POSITIONS ?? 10_000_000)
const HISTORY_REQUESTS = Number(process.env.BENCH_HISTORY_REQUESTS ?? 30)
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 100)
const PORT = Number(process.env.BENCH_PORT ?? 3911)
const KEEP = process.env.BENCH_KEEP === '1'
const SERIAL_CALLS = 200

const FIX_SECONDS = 10
const BACKLOG_MS = 2 * 3_600_000
const DAY_MS = 86_400_000
const MONTH_DAYS = 30
const FIXES_PER_DAY = DAY_MS / (FIX_SECONDS * 1000)
/** The area the fleet drives in (around Columbus, OH, where the demo's facilities are). */
const AREA = { south: 39.85, north: 40.15, west: -83.15, east: -82.85 }
const METRES_PER_DEGREE = 111_195
/** The focus vehicle's home: the demo's North Depot. */
const DEPOT = { latitude: 40.0868, longitude: -82.9816 }
const LOOP_RADIUS_M = 6000
const TRIP_KM = 2 * Math.PI * LOOP_RADIUS_M / 1000
/** Seconds of the (UTC) day the focus vehicle's four one-hour trips start. */
const TRIP_STARTS = [43_200, 54_000, 64_800, 75_600]
const POSITION_COLUMNS = 'organization_id, vehicle_id, recorded_at, latitude, longitude, speed_kmh, heading, altitude_m, accuracy_m, odometer_km, ignition, battery_percent, attributes'
const COUNTER = 'fleet_api_positions_ingested_total'
const JWT_SECRET = 'benchmark-secret-benchmark-secret-benchmark'

const serverUrl = (database: string): string => {
  const url = new URL(SERVER)
  url.pathname = `/${database}`
  return url.toString()
}
const DATABASE_URL = serverUrl(DATABASE)

function redisUrl (): string | undefined {
  if (REDIS_SERVER === undefined || REDIS_SERVER === '') return undefined
  const url = new URL(REDIS_SERVER)
  url.pathname = '/6'
  return url.toString()
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const seconds = (ms: number): string => (ms / 1000).toFixed(1)
const fixed = (value: number, digits = 0): string => Number.isFinite(value) ? value.toFixed(digits) : '—'
const thousands = (value: number): string => Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—'
const dayName = (day: Date): string => day.toISOString().slice(0, 10).replaceAll('-', '')
const startOfDay = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS
const frac = (x: number): number => x - Math.floor(x)

async function withClient<T> (url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'fleet-bench-ingest' })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

async function mapLimit<T, R> (items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T, index)
    }
  }))
  return results
}

/** psql with the connection string of the bench database; resolves with its output. */
async function psql (...commands: string[]): Promise<string> {
  const child = spawn('psql', [DATABASE_URL, '-v', 'ON_ERROR_STOP=1', '-qAt', ...commands.flatMap((c) => ['-c', c])], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  if (code !== 0) throw new Error(`psql failed (${code}): ${err.trim()}`)
  return out
}

// ---------------------------------------------------------------------------------------------
// The simulated fleet: each vehicle drives a loop around its own centre, 20 minutes moving and
// 10 parked (ignition off after 2 minutes), in phase with nobody; one fix every 10 seconds.

interface SimVehicle {
  index: number
  id: string
  token: string
  centerLat: number
  centerLon: number
  radiusM: number
  speedKmh: number
  direction: 1 | -1
  phaseS: number
  startMs: number
  /** Index of the next fix to send. */
  next: number
}

const CYCLE_S = 1800
const DRIVE_S = 1200

function simVehicle (index: number, id: string, token: string, startMs: number): SimVehicle {
  const n = index + 1
  return {
    index,
    id,
    token,
    centerLat: AREA.south + (AREA.north - AREA.south) * frac(n * 0.6180339887),
    centerLon: AREA.west + (AREA.east - AREA.west) * frac(n * 0.7548776662),
    radiusM: 1500 + 2500 * frac(n * 0.5698402910),
    speedKmh: 30 + 30 * frac(n * 0.4142135623),
    direction: n % 2 === 0 ? 1 : -1,
    phaseS: Math.floor(CYCLE_S * frac(n * 0.3247179572)),
    startMs: startMs + (index % FIX_SECONDS) * 1000,
    next: 0
  }
}

interface SimFix {
  recordedAt: Date
  latitude: number
  longitude: number
  speedKmh: number
  heading: number
  altitude: number
  accuracy: number
  ignition: boolean
  battery: number
}

function fixOf (v: SimVehicle, i: number): SimFix {
  const rel = i * FIX_SECONDS + v.phaseS
  const within = rel % CYCLE_S
  const driving = within < DRIVE_S
  const drivenS = Math.floor(rel / CYCLE_S) * DRIVE_S + Math.min(within, DRIVE_S)
  const theta = v.direction * drivenS * (v.speedKmh / 3.6) / v.radiusM
  const cos = Math.cos(v.centerLat * Math.PI / 180)
  // Heading: the loop's tangent in the direction of travel, (east, north) = direction * (-sin θ, cos θ).
  const east = -Math.sin(theta) * v.direction
  const north = Math.cos(theta) * v.direction
  const jitter = frac(Math.sin(i * 12.9898 + v.index * 78.233) * 43_758.5453)
  return {
    recordedAt: new Date(v.startMs + i * FIX_SECONDS * 1000),
    latitude: v.centerLat + v.radiusM / METRES_PER_DEGREE * Math.sin(theta),
    longitude: v.centerLon + v.radiusM / (METRES_PER_DEGREE * cos) * Math.cos(theta),
    speedKmh: driving ? Math.round((v.speedKmh + 6 * (jitter - 0.5)) * 10) / 10 : 0,
    heading: Math.round(((Math.atan2(east, north) * 180 / Math.PI) + 360) % 360),
    altitude: 240 + Math.round(20 * jitter),
    accuracy: 4 + Math.round(4 * jitter),
    ignition: driving || within < DRIVE_S + 120,
    battery: 100 - (v.index % 20)
  }
}

const rawFix = (f: SimFix): RawFix => ({
  recordedAt: f.recordedAt.toISOString(),
  latitude: f.latitude,
  longitude: f.longitude,
  speed: f.speedKmh,
  heading: f.heading,
  altitude: f.altitude,
  accuracy: f.accuracy,
  ignition: f.ignition,
  battery: f.battery
})

// ---------------------------------------------------------------------------------------------
// Database

interface Fixture {
  organizationId: string
  vehicles: Array<{ id: string }>
  focusId: string
  serverVersion: string
  superuser: boolean
  /** Whether the write policies bind the role the server connects as. */
  policiesApply: boolean
  seeded: string
}

async function prepareDatabase (): Promise<Fixture> {
  await withClient(serverUrl(new URL(SERVER as string).pathname.slice(1) || 'postgres'), async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${DATABASE}`)
  })
  const handle = connectDatabase({ kind: 'postgres', url: DATABASE_URL, pool: { max: 4, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } })
  let seeded: string
  try {
    await migrateUp(handle.db)
    // Enough for VEHICLES + 1 that are neither retired nor already driven by the demo's own telematics seed.
    const summary = await seedDemo(handle.db, { vehicles: VEHICLES + Math.ceil(VEHICLES / 20) + 40 })
    seeded = `${summary.vehicles} vehicles, ${summary.drivers} drivers, ${summary.assignments} assignments`
  } finally {
    await handle.close()
  }
  return await withClient(DATABASE_URL, async (db) => {
    await db.query('ANALYZE')
    const organizationId = (await db.query<{ id: string }>("select id from organizations where slug = 'demo'")).rows[0]?.id
    if (organizationId === undefined) throw new Error('the demo seed made no organization "demo"')
    const { rows } = await db.query<{ id: string }>(`
      select v.id from vehicles v
       where v.organization_id = $1 and v.status <> 'RETIRED'
         and not exists (select 1 from vehicle_telemetry t where t.vehicle_id = v.id)
       order by v.number limit $2`, [organizationId, VEHICLES + 1])
    if (rows.length < VEHICLES + 1) throw new Error(`only ${rows.length} usable vehicles in the demo fleet, need ${VEHICLES + 1}`)
    const focus = rows.pop() as { id: string }
    const version = (await db.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?'
    const role = (await db.query<{ rolsuper: boolean, rolbypassrls: boolean }>('select rolsuper, rolbypassrls from pg_roles where rolname = current_user')).rows[0]
    const superuser = role?.rolsuper === true
    return { organizationId, vehicles: rows, focusId: focus.id, serverVersion: version, superuser, policiesApply: !superuser && role?.rolbypassrls !== true, seeded }
  })
}

// ---------------------------------------------------------------------------------------------
// The server, in its own process, production settings

async function startServer (): Promise<{ child: ChildProcess, base: string }> {
  return await startBenchServer({
    port: PORT,
    env: {
      NODE_ENV: 'production',
      DATABASE_URL,
      REDIS_URL: redisUrl() ?? '',
      CACHE_NAMESPACE: 'fleet-bench-ingest',
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      // The load is this machine's only tracker fleet and user: limits it cannot reach. The
      // limiters still run (and their Redis round trips count), as for every real request.
      RATE_LIMIT_PER_MINUTE: '1000000000',
      INGEST_RATE_LIMIT_PER_MINUTE: '1000000000',
      // No partition maintenance or trip sweeps in the middle of a measurement.
      TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: '0',
      // Per session (the server's own connections only): statements slower than BENCH_SLOW_MS
      // go to the PostgreSQL log. Setting it needs a superuser.
      ...(SLOW_MS > 0 && fixture?.superuser === true ? { PGOPTIONS: `-c log_min_duration_statement=${SLOW_MS}` } : {})
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Measuring a load phase: metrics, CPU, what the server's connections do, slow statements

/** Sum of a metric family's samples whose labels contain every `label="value"` given. */
function metric (text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) {
    const have = match[1] ?? ''
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum += Number(match[2])
  }
  return sum
}

interface Scrape {
  accepted: number
  duplicates: number
  rejected: number
  statements: number
  statementSeconds: number
  redisCommands: number
  byStatement: Map<string, { count: number, seconds: number }>
}

async function scrape (base: string, source: 'device' | 'osmand'): Promise<Scrape> {
  const text = await (await fetch(`${base}/health/metrics`)).text()
  const byStatement = new Map<string, { count: number, seconds: number }>()
  for (const match of text.matchAll(/^fleet_api_db_query_duration_seconds_(count|sum)\{[^}]*statement="([^"]+)"[^}]*\} (\S+)$/gm)) {
    const entry = byStatement.get(match[2] as string) ?? { count: 0, seconds: 0 }
    if (match[1] === 'count') entry.count += Number(match[3])
    else entry.seconds += Number(match[3])
    byStatement.set(match[2] as string, entry)
  }
  return {
    accepted: metric(text, COUNTER, { source, result: 'accepted' }),
    duplicates: metric(text, COUNTER, { source, result: 'duplicate' }),
    rejected: metric(text, COUNTER, { source, result: 'rejected' }),
    statements: metric(text, 'fleet_api_db_query_duration_seconds_count'),
    statementSeconds: metric(text, 'fleet_api_db_query_duration_seconds_sum'),
    redisCommands: metric(text, 'fleet_api_redis_command_duration_seconds_count'),
    byStatement
  }
}

async function backendPids (admin: pg.Client): Promise<number[]> {
  return (await admin.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1 and application_name = 'fleet-api'", [DATABASE])).rows.map((r) => r.pid)
}

interface CpuSnapshot { server: number, postgres: Map<number, number>, bench: NodeJS.CpuUsage, machine: { busy: number, total: number } }

async function cpuSnapshot (admin: pg.Client, serverPid: number): Promise<CpuSnapshot> {
  const postgres = new Map<number, number>()
  for (const pid of await backendPids(admin)) postgres.set(pid, await cpuOf(pid))
  return { server: await cpuOf(serverPid), postgres, bench: process.cpuUsage(), machine: await machineCpu() }
}

interface CpuUse { serverMs: number, postgresMs: number, benchMs: number, machineBusyMs: number, machineTotalMs: number }

async function cpuSince (admin: pg.Client, serverPid: number, before: CpuSnapshot): Promise<CpuUse> {
  const after = await cpuSnapshot(admin, serverPid)
  let postgresMs = 0
  for (const [pid, ms] of after.postgres) postgresMs += ms - (before.postgres.get(pid) ?? 0)
  const bench = process.cpuUsage(before.bench)
  return {
    serverMs: after.server - before.server,
    postgresMs: after.postgres.size === 0 ? NaN : postgresMs,
    benchMs: (bench.user + bench.system) / 1000,
    machineBusyMs: after.machine.busy - before.machine.busy,
    machineTotalMs: after.machine.total - before.machine.total
  }
}

/** Samples what the server's connections are doing every 50 ms, until stopped. */
function sampleActivity (admin: pg.Client): { stop: () => Promise<Map<string, number>>, samples: () => number } {
  const counts = new Map<string, number>()
  let taken = 0
  let running = true
  const loop = (async () => {
    while (running) {
      const { rows } = await admin.query<{ what: string }>(`
        select case
                 when state = 'active' then coalesce(substring(query from '/\\* ([A-Za-z.]+) \\*/'), left(regexp_replace(query, '\\s+', ' ', 'g'), 48))
                      || ' — ' || coalesce(wait_event_type || ':' || wait_event, 'CPU')
                 when state = 'idle in transaction' then '(idle in transaction: waiting for the server process)'
                 else '(' || coalesce(state, '?') || ')'
               end as what
          from pg_stat_activity
         where datname = $1 and application_name = 'fleet-api' and pid <> pg_backend_pid()`, [DATABASE])
      taken++
      for (const { what } of rows) counts.set(what, (counts.get(what) ?? 0) + 1)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  return {
    stop: async () => { running = false; await loop; return counts },
    samples: () => taken
  }
}

/** Where the PostgreSQL server log is, when this process can read it. */
async function postgresLog (admin: pg.Client): Promise<string | null> {
  const candidates: string[] = []
  if (process.env.BENCH_PG_LOG !== undefined) candidates.push(process.env.BENCH_PG_LOG)
  try {
    const current = (await admin.query<{ file: string | null, dir: string }>("select pg_current_logfile() as file, current_setting('data_directory') as dir")).rows[0]
    if (current?.file !== null && current?.file !== undefined) candidates.push(current.file.startsWith('/') ? current.file : join(current.dir, current.file))
  } catch { /* not allowed */ }
  const major = (await admin.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]?.v.slice(0, 2) ?? ''
  candidates.push(`/var/log/postgresql/postgresql-${major}-main.log`)
  for (const file of candidates) {
    try {
      const handle = await open(file, 'r')
      await handle.close()
      return file
    } catch { /* next */ }
  }
  return null
}

interface LogSlice { file: string, offset: number }

async function logMark (file: string | null): Promise<LogSlice | null> {
  if (file === null) return null
  return { file, offset: (await stat(file)).size }
}

interface SlowReport { slow: Map<string, number[]>, errors: string[] }

/** Lines of this database in the PostgreSQL log since the mark: slow statements and errors. */
async function logSince (mark: LogSlice | null): Promise<SlowReport | null> {
  if (mark === null) return null
  const handle = await open(mark.file, 'r')
  let text: string
  try {
    const size = (await handle.stat()).size
    const buffer = Buffer.alloc(Math.max(0, size - mark.offset))
    await handle.read(buffer, 0, buffer.length, mark.offset)
    text = buffer.toString('utf8')
  } finally {
    await handle.close()
  }
  const slow = new Map<string, number[]>()
  const errors: string[] = []
  // Continuation lines (a statement over several lines) start with a tab.
  const entries = text.split(/\n(?!\t)/).filter((e) => e.includes(`@${DATABASE} `))
  for (const entry of entries) {
    const duration = /duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): ([\s\S]*)/.exec(entry)
    if (duration !== null) {
      const statement = duration[2] as string
      const name = /\/\* ([\w.]+) \*\//.exec(statement)?.[1] ?? statement.replace(/\s+/g, ' ').slice(0, 60)
      const list = slow.get(name) ?? []
      list.push(Number(duration[1]))
      slow.set(name, list)
    } else if (/\b(ERROR|FATAL|PANIC|WARNING):/.test(entry)) {
      errors.push(entry.replace(/\s+/g, ' ').slice(0, 240))
    }
  }
  return { slow, errors }
}

// ---------------------------------------------------------------------------------------------
// 1. Ingest load

interface LoadResult {
  name: string
  seconds: number
  requests: number
  requestsPerSecond: number
  latency: { p50: number, p90: number, p99: number, max: number }
  non2xx: number
  errors: number
  timeouts: number
  fixesSent: number
  acceptedInResponses: number
  counter: { accepted: number, duplicates: number, rejected: number }
  positionsPerSecond: number
  statements: number
  statementsPerRequest: number
  statementMsPerRequest: number
  redisPerRequest: number
  byStatement: Array<[string, { count: number, seconds: number }]>
  cpu: CpuUse
  activity: Map<string, number>
  activitySamples: number
  log: SlowReport | null
  warmupLog: SlowReport | null
  firstFailure: string | undefined
  clockExhausted: boolean
  loadAverage: number
}

interface Door {
  name: string
  source: 'device' | 'osmand'
  fixesPerRequest: number
  request: (v: SimVehicle) => autocannon.Request
}

function batchDoor (): Door {
  return {
    name: `POST /ingest/positions, ${BATCH} fixes per request`,
    source: 'device',
    fixesPerRequest: BATCH,
    request: (v) => {
      const fixes = Array.from({ length: BATCH }, (_, j) => rawFix(fixOf(v, v.next + j)))
      v.next += BATCH
      return { method: 'POST', path: '/ingest/positions', headers: { 'content-type': 'application/json', authorization: `Bearer ${v.token}` }, body: JSON.stringify(fixes) }
    }
  }
}

function osmandDoor (): Door {
  return {
    name: 'GET /ingest/osmand, 1 fix per request',
    source: 'osmand',
    fixesPerRequest: 1,
    request: (v) => {
      const f = fixOf(v, v.next)
      v.next += 1
      const query = new URLSearchParams({
        id: v.token,
        lat: f.latitude.toFixed(6),
        lon: f.longitude.toFixed(6),
        timestamp: String(f.recordedAt.getTime() / 1000),
        speed: (f.speedKmh / 1.852).toFixed(2),
        bearing: String(f.heading),
        altitude: String(f.altitude),
        accuracy: String(f.accuracy),
        batt: String(f.battery),
        ignition: String(f.ignition)
      })
      return { method: 'GET', path: `/ingest/osmand?${query.toString()}`, headers: {} }
    }
  }
}

async function drive (base: string, door: Door, fleet: SimVehicle[], duration: number, counters: { sent: number, acceptedInResponses: number, failures: string[], exhausted: boolean }) {
  let turn = 0
  const running: { instance?: autocannon.Instance } = {}
  const requests: autocannon.Request[] = [{
    setupRequest: (request) => {
      const vehicle = fleet[turn++ % fleet.length] as SimVehicle
      // Never ahead of the clock: fixes stay "now or earlier", as a tracker's do.
      if (vehicle.startMs + (vehicle.next + door.fixesPerRequest) * FIX_SECONDS * 1000 > Date.now() && !counters.exhausted) {
        counters.exhausted = true
        running.instance?.stop()
      }
      counters.sent += door.fixesPerRequest
      return { ...request, ...door.request(vehicle) }
    },
    onResponse: (status, body) => {
      if (status === 200) {
        if (door.source === 'device') counters.acceptedInResponses += (JSON.parse(body) as { accepted: number }).accepted
        else counters.acceptedInResponses += 1
      } else if (counters.failures.length < 5) {
        counters.failures.push(`${status} ${body.slice(0, 200)}`)
      }
    }
  }]
  return await new Promise<autocannon.Result>((resolve, reject) => {
    running.instance = autocannon({ url: base, connections: CONNECTIONS, duration, requests, timeout: 30 }, (err: unknown, result) => {
      if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(String(err)))
      else resolve(result)
    })
  })
}

/**
 * Waits until the server has answered the requests the end of a run cut off (autocannon stops
 * reading them, the server still handles them): the counter reaches `expected`, or has not moved
 * for 3 s (at most 20 s).
 */
async function settle (base: string, source: 'device' | 'osmand', from: Scrape, expected: number): Promise<Scrape> {
  const counted = (x: Scrape) => x.accepted + x.duplicates + x.rejected - (from.accepted + from.duplicates + from.rejected)
  let last = await scrape(base, source)
  let still = performance.now()
  const deadline = performance.now() + 20_000
  while (counted(last) < expected && performance.now() - still < 3000 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    const next = await scrape(base, source)
    if (counted(next) !== counted(last)) still = performance.now()
    last = next
  }
  return last
}

async function loadPhase (base: string, serverPid: number, admin: pg.Client, door: Door, fleet: SimVehicle[], logFile: string | null): Promise<LoadResult> {
  const counters = { sent: 0, acceptedInResponses: 0, failures: [] as string[], exhausted: false }
  const initial = await scrape(base, door.source)
  const warmupMark = await logMark(logFile)
  await drive(base, door, fleet, WARMUP_SECONDS, counters) // JIT, pools, caches, the partitions of the window
  const before = await settle(base, door.source, initial, counters.sent)
  const warmupLog = await logSince(warmupMark)
  Object.assign(counters, { sent: 0, acceptedInResponses: 0, failures: [] })
  const mark = await logMark(logFile)
  const cpuBefore = await cpuSnapshot(admin, serverPid)
  const samplerClient = new pg.Client({ connectionString: DATABASE_URL, application_name: 'fleet-bench-ingest-sampler' })
  await samplerClient.connect()
  const sampler = sampleActivity(samplerClient)
  const started = performance.now()
  const result = await drive(base, door, fleet, SECONDS, counters)
  const elapsed = (performance.now() - started) / 1000
  const activity = await sampler.stop()
  await samplerClient.end()
  const cpu = await cpuSince(admin, serverPid, cpuBefore)
  const after = await settle(base, door.source, before, counters.sent)
  const requests = result.requests.total
  const byStatement = [...after.byStatement].map(([name, a]): [string, { count: number, seconds: number }] => {
    const b = before.byStatement.get(name) ?? { count: 0, seconds: 0 }
    return [name, { count: a.count - b.count, seconds: a.seconds - b.seconds }]
  }).filter(([, d]) => d.count > 0).sort((x, y) => y[1].seconds - x[1].seconds)
  const accepted = after.accepted - before.accepted
  return {
    name: door.name,
    seconds: elapsed,
    requests,
    requestsPerSecond: requests / elapsed,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    fixesSent: counters.sent,
    acceptedInResponses: counters.acceptedInResponses,
    counter: { accepted, duplicates: after.duplicates - before.duplicates, rejected: after.rejected - before.rejected },
    positionsPerSecond: counters.acceptedInResponses / elapsed,
    statements: after.statements - before.statements,
    statementsPerRequest: (after.statements - before.statements) / counters.sent * door.fixesPerRequest,
    statementMsPerRequest: (after.statementSeconds - before.statementSeconds) * 1000 / counters.sent * door.fixesPerRequest,
    redisPerRequest: (after.redisCommands - before.redisCommands) / counters.sent * door.fixesPerRequest,
    byStatement,
    cpu,
    activity,
    activitySamples: sampler.samples(),
    log: await logSince(mark),
    warmupLog,
    firstFailure: counters.failures[0],
    clockExhausted: counters.exhausted,
    loadAverage: loadavg()[0] ?? NaN
  }
}

function printLoad (r: LoadResult): void {
  const perPosition = (ms: number) => fixed(ms / Math.max(1, r.counter.accepted), 3)
  const busyShare = r.cpu.machineBusyMs / r.cpu.machineTotalMs * 100
  const other = r.cpu.machineBusyMs - r.cpu.serverMs - (Number.isNaN(r.cpu.postgresMs) ? 0 : r.cpu.postgresMs) - r.cpu.benchMs
  console.log(`\n${r.name}: ${CONNECTIONS} connections, ${fixed(r.seconds, 1)} s after ${WARMUP_SECONDS} s of warm-up
  positions/s accepted:   ${thousands(r.positionsPerSecond)}   (${r.acceptedInResponses} confirmed by 200 responses in the run; server counter after in-flight requests finished: ${r.counter.accepted} accepted, ${r.counter.duplicates} duplicates, ${r.counter.rejected} rejected, of ${r.fixesSent} fixes sent)
  requests/s:             ${fixed(r.requestsPerSecond)}   (${r.requests} answered, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts)${r.firstFailure === undefined ? '' : `\n  first failure:          ${r.firstFailure}`}
  latency p50/p90/p99:    ${r.latency.p50} / ${r.latency.p90} / ${r.latency.p99} ms (max ${r.latency.max})
  per request:            ${fixed(r.statementsPerRequest, 1)} SQL statements (${fixed(r.statementMsPerRequest, 2)} ms in them, as the server times them), ${fixed(r.redisPerRequest, 1)} Redis commands
  statements by kind:     ${r.byStatement.map(([name, d]) => `${name} ${fixed(d.count / r.requests, 1)}/req ${fixed(d.seconds * 1000 / d.count, 2)} ms`).join(', ')}
  CPU per position (ms):  server ${perPosition(r.cpu.serverMs)}, PostgreSQL ${perPosition(r.cpu.postgresMs)}, autocannon (this process) ${perPosition(r.cpu.benchMs)}
  machine:                ${fixed(busyShare)} % busy of ${availableParallelism()} cores; CPU not of this benchmark (other processes): ${fixed(other / r.seconds / 10)} % of one core; load average ${fixed(r.loadAverage, 2)}${r.clockExhausted ? '\n  NOTE: the fleet\'s clocks caught up with the present: the run was cut short' : ''}`)
  const total = [...r.activity.values()].reduce((s, n) => s + n, 0)
  const busy = [...r.activity].filter(([what]) => !what.startsWith('(idle)')).sort((a, b) => b[1] - a[1])
  const connections = total / Math.max(1, r.activitySamples)
  console.log(`  server's connections:   ${fixed(connections, 1)} on average (${r.activitySamples} samples of pg_stat_activity); share of connection-time:`)
  for (const [what, n] of busy.slice(0, 10)) console.log(`    ${fixed(n / total * 100, 1).padStart(5)} %  ${what}`)
  const idle = r.activity.get('(idle)') ?? 0
  console.log(`    ${fixed(idle / total * 100, 1).padStart(5)} %  (idle in the pool)`)
  if (r.log !== null) {
    const slow = [...r.log.slow].sort((a, b) => b[1].length - a[1].length)
    const count = slow.reduce((s, [, d]) => s + d.length, 0)
    console.log(`  statements over ${SLOW_MS} ms:  ${count} of ${thousands(r.statements)}${slow.length === 0 ? '' : ':'}`)
    for (const [name, durations] of slow.slice(0, 8)) {
      const sorted = [...durations].sort((a, b) => a - b)
      console.log(`    ${String(durations.length).padStart(6)} x ${name}: median ${fixed(percentile(sorted, 0.5), 0)} ms, max ${fixed(sorted[sorted.length - 1] ?? NaN, 0)} ms`)
    }
    const warmup = [...(r.warmupLog?.slow ?? [])].sort((a, b) => b[1].length - a[1].length)
    if (warmup.length > 0) {
      console.log(`  during the warm-up, over ${SLOW_MS} ms: ${warmup.map(([name, d]) => `${d.length} x ${name} (max ${fixed(Math.max(...d), 0)} ms)`).join(', ')}`)
    }
    if (r.log.errors.length > 0) {
      console.log(`  PostgreSQL errors/warnings of this database: ${r.log.errors.length}`)
      for (const line of r.log.errors.slice(0, 5)) console.log(`    ${line}`)
    }
  }
}

/** One batch (and one single fix) at a time through the ingest pipeline in this process, every statement timed. */
async function serialBreakdown (organizationId: string, fleet: SimVehicle[]): Promise<Array<{ label: string, wallMs: number, statements: number, sqlMs: number, byName: Array<[string, number, number]> }>> {
  let events: Array<{ name: string, ms: number }> = []
  const handle = connectDatabase({ kind: 'postgres', url: DATABASE_URL, pool: { max: 2, idleTimeoutMs: 10_000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } }, {
    onQuery: (event) => {
      const text = event.query.sql
      const name = /\/\* ([\w.]+) \*\//.exec(text)?.[1] ?? /^\s*(select|insert into|update|delete from)\s+("?[\w]+"?)/i.exec(text)?.slice(1, 3).join(' ').replaceAll('"', '') ?? text.slice(0, 30)
      events.push({ name, ms: event.queryDurationMillis })
    }
  })
  const geofences = await findActiveGeofences(handle.db, organizationId)
  const env = {
    db: handle.db,
    partitions: new PositionPartitions(),
    geofences: async () => geofences,
    settings: { motionKmh: 5, stopSeconds: 300, minTripMeters: 200, geofenceMaxAccuracyM: 100, speedingSeconds: 30 }
  }
  const results: Array<{ label: string, wallMs: number, statements: number, sqlMs: number, byName: Array<[string, number, number]> }> = []
  try {
    for (const size of [BATCH, 1]) {
      const walls: number[] = []
      const perCall: Array<Array<{ name: string, ms: number }>> = []
      for (let call = 0; call < SERIAL_CALLS; call++) {
        const v = fleet[(call * 7) % fleet.length] as SimVehicle
        if (v.startMs + (v.next + size) * FIX_SECONDS * 1000 > Date.now()) continue
        const limits = { now: new Date(), maxFutureSeconds: 300, retentionDays: 365 }
        const checked = Array.from({ length: size }, (_, j) => checkFix(rawFix(fixOf(v, v.next + j)), j, limits, v.id))
        v.next += size
        events = []
        const started = performance.now()
        await ingest(env, organizationId, checked)
        walls.push(performance.now() - started)
        perCall.push(events)
      }
      const names = new Map<string, number[]>()
      for (const list of perCall.slice(10)) {
        for (const e of list) names.set(e.name, [...(names.get(e.name) ?? []), e.ms])
      }
      const calls = Math.max(1, perCall.length - 10)
      const measured = perCall.slice(10)
      results.push({
        label: size === 1 ? '1 fix' : `${size} fixes`,
        wallMs: median(walls.slice(10)),
        statements: measured.reduce((s, l) => s + l.length, 0) / calls,
        sqlMs: median(measured.map((l) => l.reduce((s, e) => s + e.ms, 0))),
        // median time of each statement, and how often a call runs it
        byName: [...names].map(([name, ms]): [string, number, number] => [name, median(ms), ms.length / calls]).sort((a, b) => b[1] * b[2] - a[1] * a[2])
      })
    }
  } finally {
    await handle.close()
  }
  return results
}

// ---------------------------------------------------------------------------------------------
// 2. The history table

interface BuildResult { rows: number, focusRows: number, trips: number, insertMs: number, vacuumMs: number, size: string, partitions: number }

async function buildHistory (organizationId: string, vehicleIds: string[], focusId: string, monthStart: number): Promise<BuildResult> {
  return await withClient(DATABASE_URL, async (db) => {
    // The system scope: the write policies (migration 0009) bind a role that owns the tables.
    await db.query("set synchronous_commit = off; set work_mem = '64MB'; set fleet.organization_id = '*'")
    const perVehicle = Math.max(1, Math.floor(POSITIONS / vehicleIds.length))
    const stepMs = MONTH_DAYS * DAY_MS / perVehicle
    const started = performance.now()
    for (let d = 0; d < MONTH_DAYS; d++) {
      const from = new Date(monthStart + d * DAY_MS)
      const to = new Date(monthStart + (d + 1) * DAY_MS)
      await db.query(`create table if not exists positions_p${dayName(from)} partition of positions for values from ('${from.toISOString()}') to ('${to.toISOString()}')`)
    }
    let rows = 0
    let focusRows = 0
    for (let d = 0; d < MONTH_DAYS; d++) {
      const dayStart = monthStart + d * DAY_MS
      // The fleet: fix i of vehicle n at monthStart + i * step + (a per-vehicle offset below one step).
      const iLow = Math.max(0, Math.floor(d * DAY_MS / stepMs) - 1)
      const iHigh = Math.min(perVehicle - 1, Math.ceil((d + 1) * DAY_MS / stepMs))
      const fleet = await db.query(`
        insert into positions (organization_id, vehicle_id, recorded_at, received_at, latitude, longitude, speed_kmh, heading, altitude_m, accuracy_m, odometer_km, ignition, battery_percent)
        select $1, v.id, f.t, f.t + interval '2 seconds',
               v.clat + v.r * sin(f.a), v.clon + v.r / cos(radians(v.clat)) * cos(f.a),
               (25 + 30 * abs(sin(f.i * 0.37 + v.n)))::real, floor(((degrees(f.a) + 90)::numeric % 360))::real, 240, 5,
               5000 + f.i * 0.9, true, 100 - v.n % 20
          from (select id, n,
                       ${AREA.south} + ${AREA.north - AREA.south} * ((n * 0.6180339887) - floor(n * 0.6180339887)) as clat,
                       ${AREA.west} + ${AREA.east - AREA.west} * ((n * 0.7548776662) - floor(n * 0.7548776662)) as clon,
                       0.01 + 0.02 * ((n * 0.5698402910) - floor(n * 0.5698402910)) as r
                  from unnest($2::uuid[]) with ordinality as u(id, n)) v
         cross join lateral (
               select i, $3::timestamptz + (i * $4::float8 + floor($4::float8 * (v.n - 1) / $5::float8)) * interval '1 millisecond' as t, (i * 0.05 + v.n)::float8 as a
                 from generate_series($6::int, $7::int) as i) f
         where f.t >= $8 and f.t < $9`,
      [organizationId, vehicleIds, new Date(monthStart).toISOString(), stepMs, vehicleIds.length, iLow, iHigh, new Date(dayStart).toISOString(), new Date(dayStart + DAY_MS).toISOString()])
      rows += fleet.rowCount ?? 0
      // The focus vehicle: parked at the depot, four one-hour loops a day (10-second fixes, all day).
      const focus = await db.query(`
        insert into positions (organization_id, vehicle_id, recorded_at, received_at, latitude, longitude, speed_kmh, heading, altitude_m, accuracy_m, odometer_km, ignition, battery_percent)
        select $1, $2, t, t + interval '2 seconds',
               $3::float8 + north / ${METRES_PER_DEGREE}, $4::float8 + east / (${METRES_PER_DEGREE} * cos(radians($3::float8))),
               case when trip is null then 0 else (38 + 15 * sin(theta * 9))::real end,
               case when trip is null then null else floor(((degrees(atan2(de, dn)) + 360)::numeric % 360))::real end,
               240, 5,
               10000 + (day * 4 + done) * ${TRIP_KM} + coalesce(p, 0) * ${TRIP_KM},
               trip is not null, 90
          from (select *, r * (1 - cos(theta)) * w as a, r * sin(theta) * w as b,
                       r * sin(theta) * cos(alpha) - r * cos(theta) * sin(alpha) as de,
                       r * sin(theta) * sin(alpha) + r * cos(theta) * cos(alpha) as dn
                  from (select *, ${LOOP_RADIUS_M}::float8 as r, 2 * pi() * coalesce(p, 0) as theta, 1 + 0.08 * sin(10 * pi() * coalesce(p, 0)) as w,
                               coalesce(trip, 0) * pi() / 2 + day * 0.3 as alpha
                          from (select k, day, sod, $5::timestamptz + k * interval '10 seconds' as t,
                                       case when sod >= 43200 and (sod - 43200) % 10800 < 3600 and (sod - 43200) / 10800 < 4 then (sod - 43200) / 10800 end as trip,
                                       case when sod >= 43200 and (sod - 43200) % 10800 < 3600 and (sod - 43200) / 10800 < 4 then ((sod - 43200) % 10800) / 3600.0 end as p,
                                       case when sod < 43200 then 0 else least(4, (sod - 43200) / 10800 + case when (sod - 43200) % 10800 >= 3600 then 1 else 0 end) end as done
                                  from (select k, k / ${FIXES_PER_DAY} as day, (k % ${FIXES_PER_DAY}) * 10 as sod from generate_series($6::int, $7::int) as k) s) s2) s3) s4
         cross join lateral (select case when trip is null then 1.5 * sin(k) else a * cos(alpha) - b * sin(alpha) end as east,
                                    case when trip is null then 1.5 * cos(k) else a * sin(alpha) + b * cos(alpha) end as north) xy`,
      [organizationId, focusId, DEPOT.latitude, DEPOT.longitude, new Date(monthStart).toISOString(), d * FIXES_PER_DAY, (d + 1) * FIXES_PER_DAY - 1])
      focusRows += focus.rowCount ?? 0
      if (d % 5 === 4) console.log(`  ... ${d + 1} of ${MONTH_DAYS} days, ${thousands(rows + focusRows)} rows, ${seconds(performance.now() - started)} s`)
    }
    const trips = await db.query(`
      insert into trips (organization_id, vehicle_id, started_at, ended_at, last_fix_at, start_latitude, start_longitude, end_latitude, end_longitude,
                         start_odometer_km, distance_km, moving_seconds, idle_seconds, max_speed_kmh, position_count)
      select $1, $2, s, s + interval '3590 seconds', s + interval '3590 seconds', $3, $4, $3, $4,
             10000 + (day * 4 + j) * ${TRIP_KM}, ${TRIP_KM}, 3590, 0, 53, 360
        from generate_series(0, ${MONTH_DAYS - 1}) as day
       cross join generate_series(0, ${TRIP_STARTS.length - 1}) as j
       cross join lateral (select $5::timestamptz + day * interval '1 day' + (43200 + j * 10800) * interval '1 second' as s) x`,
    [organizationId, focusId, DEPOT.latitude, DEPOT.longitude, new Date(monthStart).toISOString()])
    const insertMs = performance.now() - started
    const vacuumStarted = performance.now()
    await db.query('vacuum analyze positions')
    await db.query('vacuum analyze trips')
    const vacuumMs = performance.now() - vacuumStarted
    const size = (await db.query<{ size: string, partitions: number }>(`
      select pg_size_pretty(sum(pg_total_relation_size(inhrelid))) as size, count(*)::int as partitions
        from pg_inherits where inhparent = 'positions'::regclass`)).rows[0]
    return { rows: rows + focusRows, focusRows, trips: trips.rowCount ?? 0, insertMs, vacuumMs, size: size?.size ?? '?', partitions: size?.partitions ?? 0 }
  })
}

// ---------------------------------------------------------------------------------------------
// 3. History reads

interface Timing { name: string, p50: number, p95: number, max: number, detail: string, error?: string }

/** HISTORY_REQUESTS sequential requests after 3 warm-up; a failing request ends it with the error. */
async function timeRequests (name: string, run: () => Promise<string>): Promise<Timing> {
  let detail = ''
  try {
    for (let i = 0; i < 3; i++) detail = await run()
  } catch (err) {
    return { name, p50: NaN, p95: NaN, max: NaN, detail: '', error: err instanceof Error ? err.message : String(err) }
  }
  const times: number[] = []
  for (let i = 0; i < HISTORY_REQUESTS; i++) {
    const started = performance.now()
    detail = await run()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { name, p50: percentile(times, 0.5), p95: percentile(times, 0.95), max: times[times.length - 1] ?? NaN, detail }
}

async function historyReads (base: string, focusId: string, monthStart: number): Promise<{ timings: Timing[], sql: { median: number, p95: number, rows: number, plan: string, buffers: string } }> {
  const token = await login(base)
  const monthEnd = monthStart + MONTH_DAYS * DAY_MS
  const day = monthStart + 15 * DAY_MS
  const iso = (ms: number) => new Date(ms).toISOString()
  type Positions = { vehicle: { positions: { nodes: Array<{ recordedAt: string }>, edges?: Array<{ cursor: string }>, pageInfo?: { hasNextPage: boolean }, totalCount?: number } } }
  const simplified = `query ($id: ID!, $from: DateTime!, $to: DateTime!) { vehicle(id: $id) { positions(from: $from, to: $to, maxPoints: 1000) { nodes { recordedAt latitude longitude } } } }`
  const timings: Timing[] = []
  const simplify = (from: number, to: number) => async () => {
    const data = await graphql<Positions>(base, simplified, { id: focusId, from: iso(from), to: iso(to) }, token)
    return `${data.vehicle.positions.nodes.length} points`
  }
  // A day is read whole and simplified; a month is sampled by 4,000 bucket probes first.
  timings.push(await timeRequests('(a) positions, one day (8,640 fixes), maxPoints 1000', simplify(day, day + DAY_MS)))
  timings.push(await timeRequests(`(b) positions, the month (${thousands(MONTH_DAYS * FIXES_PER_DAY)} fixes), maxPoints 1000`, simplify(monthStart, monthEnd)))
  const cursorData = await graphql<Positions>(base, 'query ($id: ID!, $from: DateTime!, $to: DateTime!) { vehicle(id: $id) { positions(from: $from, to: $to, first: 1) { nodes { recordedAt } edges { cursor } } } }',
    { id: focusId, from: iso(day), to: iso(monthEnd) }, token)
  const cursor = cursorData.vehicle.positions.edges?.[0]?.cursor
  if (cursor === undefined) throw new Error('no cursor in the middle of the month')
  const page = `query ($id: ID!, $from: DateTime!, $to: DateTime!, $after: String) { vehicle(id: $id) { positions(from: $from, to: $to, first: 200, after: $after) { nodes { recordedAt latitude longitude } pageInfo { hasNextPage } } } }`
  timings.push(await timeRequests('(c) positions, keyset page of 200 in the middle of the month', async () => {
    const data = await graphql<Positions>(base, page, { id: focusId, from: iso(monthStart), to: iso(monthEnd), after: cursor }, token)
    return `${data.vehicle.positions.nodes.length} fixes from ${data.vehicle.positions.nodes[0]?.recordedAt ?? '?'}`
  }))
  const pageWithCount = page.replace('pageInfo { hasNextPage }', 'pageInfo { hasNextPage } totalCount')
  timings.push(await timeRequests('(c2) the same page asking for totalCount too', async () => {
    const data = await graphql<Positions>(base, pageWithCount, { id: focusId, from: iso(monthStart), to: iso(monthEnd), after: cursor }, token)
    return `${data.vehicle.positions.nodes.length} fixes, totalCount ${data.vehicle.positions.totalCount ?? '?'}`
  }))
  timings.push(await timeRequests('(d) trips of the month, first 200, totalCount', async () => {
    const data = await graphql<{ vehicle: { trips: { totalCount: number, nodes: Array<{ startedAt: string }> } } }>(base,
      'query ($id: ID!, $from: DateTime!, $to: DateTime!) { vehicle(id: $id) { trips(from: $from, to: $to, first: 200) { totalCount nodes { startedAt endedAt distance } } } }',
      { id: focusId, from: iso(monthStart), to: iso(monthEnd) }, token)
    return `${data.vehicle.trips.nodes.length} trips, totalCount ${data.vehicle.trips.totalCount}`
  }))

  const sqlTiming = await withClient(DATABASE_URL, async (db) => {
    const text = 'explain (analyze, buffers, format json) select * from positions where vehicle_id = $1 and recorded_at >= $2 and recorded_at < $3'
    const params = [focusId, iso(day), iso(day + DAY_MS)]
    type Plan = Array<{ Plan: { 'Node Type': string, 'Index Name'?: string, 'Relation Name'?: string, 'Actual Rows': number, 'Shared Hit Blocks': number, 'Shared Read Blocks': number, Plans?: unknown[] }, 'Execution Time': number }>
    let last: Plan | undefined
    const times: number[] = []
    for (let i = 0; i < 3 + HISTORY_REQUESTS; i++) {
      last = (await db.query<{ 'QUERY PLAN': Plan }>(text, params)).rows[0]?.['QUERY PLAN']
      if (i >= 3) times.push(last?.[0]?.['Execution Time'] ?? NaN)
    }
    const plan = (await db.query<{ 'QUERY PLAN': string }>(text.replace('(analyze, buffers, format json)', ''), params)).rows.map((r) => r['QUERY PLAN'].trim()).join(' | ')
    const top = last?.[0]?.Plan
    times.sort((a, b) => a - b)
    return {
      median: percentile(times, 0.5),
      p95: percentile(times, 0.95),
      rows: top?.['Actual Rows'] ?? NaN,
      plan,
      buffers: top === undefined ? '?' : `${top['Shared Hit Blocks']} shared hit, ${top['Shared Read Blocks']} read`
    }
  })
  return { timings, sql: sqlTiming }
}

// ---------------------------------------------------------------------------------------------
// 4. COPY

/** The fleet's rows since `from` (the demo seed's own vehicles left out), in arrival order: time, then vehicle. */
const ingestedRows = (from: Date, rows: number, columns: string) =>
  `select ${columns} from positions where recorded_at >= '${from.toISOString()}' and vehicle_id in (select vehicle_id from device_tokens) order by recorded_at, vehicle_id limit ${rows}`

/** Writes the rows to a CSV file; returns the first and last day they fall on. */
async function exportIngested (file: string, from: Date, rows: number): Promise<{ low: number, high: number }> {
  await psql(`\\copy (${ingestedRows(from, rows, POSITION_COLUMNS)}) to '${file}' with (format csv)`)
  return await withClient(DATABASE_URL, async (db) => {
    const range = (await db.query<{ low: Date, high: Date }>(`select min(recorded_at) as low, max(recorded_at) as high from (${ingestedRows(from, rows, 'recorded_at')}) r`)).rows[0]
    return { low: startOfDay(range?.low.getTime() ?? Date.now()), high: startOfDay(range?.high.getTime() ?? Date.now()) }
  })
}

async function copyLoad (file: string, days: { low: number, high: number }): Promise<{ ms: number, wallMs: number, stored: number, partitions: number }> {
  const partitions = await withClient(DATABASE_URL, async (db) => {
    await db.query('drop table if exists positions_copy_bench')
    await db.query('create table positions_copy_bench (like positions including all) partition by range (recorded_at)')
    // The days the exported rows span: day partitions as positions has them.
    let count = 0
    for (let day = days.low; day <= days.high; day += DAY_MS) {
      await db.query(`create table positions_copy_bench_p${dayName(new Date(day))} partition of positions_copy_bench for values from ('${new Date(day).toISOString()}') to ('${new Date(day + DAY_MS).toISOString()}')`)
      count++
    }
    return count
  })
  const started = performance.now()
  // psql's own timing of the \copy (without starting psql and connecting).
  const output = await psql('\\timing on', `\\copy positions_copy_bench (${POSITION_COLUMNS}) from '${file}' with (format csv)`)
  const wallMs = performance.now() - started
  const ms = Number(/Time: ([\d.]+) ms/.exec(output)?.[1] ?? wallMs)
  const stored = await withClient(DATABASE_URL, async (db) => Number((await db.query<{ n: string }>('select count(*) as n from positions_copy_bench')).rows[0]?.n ?? NaN))
  return { ms, wallMs, stored, partitions }
}

// ---------------------------------------------------------------------------------------------
// Main

let fixture: Fixture | undefined
let server: ChildProcess | undefined
let csvFile: string | undefined
let cleaning: Promise<void> | undefined

async function cleanup (): Promise<void> {
  cleaning ??= (async () => {
    if (server !== undefined) await stopServer(server).catch(() => {})
    if (csvFile !== undefined) await rm(csvFile, { force: true })
    if (KEEP) {
      console.log(`\nBENCH_KEEP=1: the database ${DATABASE} stays (${DATABASE_URL})`)
      return
    }
    await withClient(serverUrl(new URL(SERVER as string).pathname.slice(1) || 'postgres'), async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
    }).catch((err: unknown) => { console.error(`could not drop ${DATABASE}:`, err) })
  })()
  await cleaning
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the server and dropping ${DATABASE}`)
    void cleanup().finally(() => process.exit(130))
  })
}

async function main (): Promise<void> {
  const began = performance.now()
  const machine = `${availableParallelism()} cores, ${fixed(totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}`
  console.log(`machine: ${machine}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)

  // Setup
  let t = performance.now()
  fixture = await prepareDatabase()
  console.log(`database: ${DATABASE} on PostgreSQL ${fixture.serverVersion}: demo seed (${fixture.seeded}) in ${seconds(performance.now() - t)} s; ` +
    `write policies ${fixture.policiesApply ? 'apply' : 'bypassed (superuser or BYPASSRLS role)'}`)
  const started = await startServer()
  server = started.child
  const base = started.base
  const serverPid = server.pid as number
  const token = await login(base)
  t = performance.now()
  const tokens = await mapLimit(fixture.vehicles, 8, async (v) => (await graphql<{ issueDeviceToken: { token: string } }>(base,
    'mutation ($id: ID!) { issueDeviceToken(vehicleId: $id) { token } }', { id: v.id }, token)).issueDeviceToken.token)
  const tokenMs = performance.now() - t
  t = performance.now()
  const side = Math.ceil(Math.sqrt(GEOFENCES))
  await mapLimit(Array.from({ length: GEOFENCES }, (_, i) => i), 4, async (i) => {
    const row = Math.floor(i / side)
    const column = i % side
    await graphql(base, 'mutation ($input: CreateGeofenceInput!) { createGeofence(input: $input) { id } }', {
      input: {
        name: `Bench zone ${String(i + 1).padStart(3, '0')}`,
        shape: 'CIRCLE',
        center: { latitude: AREA.south + (AREA.north - AREA.south) * (row + 0.5) / side, longitude: AREA.west + (AREA.east - AREA.west) * (column + 0.5) / side },
        radius: 500,
        // A few of them raise alerts, a few have a speed limit the fleet exceeds.
        alertOnEnter: i % 10 === 0,
        alertOnExit: i % 10 === 5,
        ...(i % 10 === 3 ? { speedLimit: 30 } : {})
      }
    }, token)
  })
  const geofenceMs = performance.now() - t
  const activeGeofences = await withClient(DATABASE_URL, async (db) => Number((await db.query<{ n: string }>('select count(*) as n from geofences where organization_id = $1 and deleted_at is null', [fixture?.organizationId])).rows[0]?.n))
  console.log(`setup: ${tokens.length} device tokens issued through GraphQL in ${seconds(tokenMs)} s; ${GEOFENCES} geofences created in ${seconds(geofenceMs)} s (${activeGeofences} active in the organization, with the demo's own)`)

  const now = Date.now()
  const ingestStart = Math.floor((now - BACKLOG_MS) / 10_000) * 10_000
  const fleet = fixture.vehicles.map((v, i) => simVehicle(i, v.id, tokens[i] as string, ingestStart))
  const admin = new pg.Client({ connectionString: DATABASE_URL, application_name: 'fleet-bench-ingest' })
  await admin.connect()
  const logFile = SLOW_MS > 0 && fixture.superuser ? await postgresLog(admin) : null
  console.log(`fleet: ${fleet.length} vehicles driving loops (1.5-4 km radius, 30-60 km/h, 20 min driving / 10 min parked) around Columbus, OH; ` +
    `fixes every ${FIX_SECONDS} s from ${new Date(ingestStart).toISOString()} on`)
  console.log(`slow statements: ${logFile === null ? 'not logged (BENCH_SLOW_MS=0, not a superuser, or the PostgreSQL log is not readable)' : `server sessions log statements over ${SLOW_MS} ms to ${logFile}`}`)

  // 1. Ingest
  const batch = await loadPhase(base, serverPid, admin, batchDoor(), fleet, logFile)
  printLoad(batch)
  const csvRows = batch.counter.accepted
  csvFile = join(tmpdir(), `fleet-bench-ingest-${process.pid}.csv`)
  const csvDays = await exportIngested(csvFile, new Date(ingestStart - 60_000), csvRows)
  const derived = await withClient(DATABASE_URL, async (db) => (await db.query<Record<string, string>>(`select
      (select count(*) from positions) as positions, (select count(*) from trips) as trips, (select count(*) from trips where ended_at is not null) as ended_trips,
      (select count(*) from geofence_events) as geofence_events, (select count(*) from alerts) as alerts,
      (select count(*) from vehicle_geofence_states) as geofence_states, (select count(*) from vehicle_telemetry) as telemetry`, [])).rows[0] as Record<string, string>)
  console.log(`  derived so far:         ${derived.positions} positions stored, ${derived.trips} trips (${derived.ended_trips} ended), ${derived.geofence_events} geofence events, ${derived.alerts} alerts, ${derived.geofence_states} vehicles-in-geofence states, ${derived.telemetry} live positions`)

  const osmand = await loadPhase(base, serverPid, admin, osmandDoor(), fleet, logFile)
  printLoad(osmand)

  console.log(`\none request at a time through the ingest pipeline in this process (no HTTP, no Redis), ${SERIAL_CALLS} calls each, first 10 not counted:`)
  const serial = await serialBreakdown(fixture.organizationId, fleet)
  for (const s of serial) {
    console.log(`  ${s.label}: median ${fixed(s.wallMs, 2)} ms per call, ${fixed(s.statements, 1)} round trips (BEGIN and COMMIT included), median ${fixed(s.sqlMs, 2)} ms in them; median ms of each (x runs per call when not every call):`)
    console.log(`    ${s.byName.map(([name, ms, runs]) => `${name} ${fixed(ms, 3)}${runs < 0.995 ? ` (x${fixed(runs, 2)})` : ''}`).join(', ')}`)
  }
  await admin.end()

  // 2. History table
  const monthEnd = startOfDay(ingestStart) - DAY_MS
  const monthStart = monthEnd - MONTH_DAYS * DAY_MS
  console.log(`\nbuilding the history: ${thousands(POSITIONS)} fixes of ${fleet.length} vehicles and ${thousands(MONTH_DAYS * FIXES_PER_DAY)} of one focus vehicle, ${new Date(monthStart).toISOString().slice(0, 10)} to ${new Date(monthEnd).toISOString().slice(0, 10)}`)
  const build = await buildHistory(fixture.organizationId, fleet.map((v) => v.id), fixture.focusId, monthStart)
  console.log(`  ${thousands(build.rows)} rows (${thousands(build.focusRows)} of the focus vehicle) and ${build.trips} trips inserted in ${seconds(build.insertMs)} s (${thousands(build.rows / build.insertMs * 1000)} rows/s); VACUUM ANALYZE ${seconds(build.vacuumMs)} s; positions now ${build.size} in ${build.partitions} partitions`)

  // 3. History reads
  console.log(`\nhistory of the focus vehicle through GraphQL, ${HISTORY_REQUESTS} sequential requests each after 3 warm-up:`)
  const historyLog = await logMark(logFile)
  const history = await historyReads(base, fixture.focusId, monthStart)
  const historyErrors = (await logSince(historyLog))?.errors ?? []
  for (const h of history.timings) {
    console.log(h.error !== undefined ? `  ${h.name}: FAILS: ${h.error}` : `  ${h.name}: p50 ${fixed(h.p50, 1)} ms, p95 ${fixed(h.p95, 1)} ms, max ${fixed(h.max, 1)} ms (${h.detail})`)
  }
  if (historyErrors.length > 0) {
    console.log(`  PostgreSQL errors of this database meanwhile (${historyErrors.length}; first of each kind):`)
    const kinds = new Map<string, { line: string, count: number }>()
    for (const line of historyErrors) {
      const kind = /(?:ERROR|FATAL|WARNING):\s+([^"]*)/.exec(line)?.[1] ?? line
      const entry = kinds.get(kind) ?? { line, count: 0 }
      entry.count++
      kinds.set(kind, entry)
    }
    for (const { line, count } of kinds.values()) console.log(`    ${count} x ${line}`)
  }
  console.log(`  (e) SQL, one whole day (select * ... vehicle_id = $1 and recorded_at in the day): execution ${fixed(history.sql.median, 2)} ms median, ${fixed(history.sql.p95, 2)} ms p95, ${history.sql.rows} rows, ${history.sql.buffers}\n      plan: ${history.sql.plan}`)

  // 4. COPY
  await stopServer(server)
  server = undefined
  const copy = await copyLoad(csvFile, csvDays)
  const copyRate = copy.stored / copy.ms * 1000
  console.log(`\nCOPY: ${thousands(copy.stored)} rows (the batch phase's ${thousands(csvRows)}) from CSV with psql \\copy into positions_copy_bench (${copy.partitions} day partitions, same primary key) in ${fixed(copy.ms, 0)} ms (psql's \\timing; ${fixed(copy.wallMs, 0)} ms with starting psql): ${thousands(copyRate)} rows/s`)

  const version = fixture.serverVersion
  const pgSettings = await withClient(DATABASE_URL, async (db) => (await db.query<{ name: string, setting: string, unit: string | null }>(
    "select name, setting, unit from pg_settings where name in ('shared_buffers', 'synchronous_commit', 'max_wal_size', 'wal_level', 'fsync')")).rows.map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`).join(', '))

  // Summary
  const otherCpu = (r: LoadResult) => (r.cpu.machineBusyMs - r.cpu.serverMs - r.cpu.postgresMs - r.cpu.benchMs) / r.seconds / 10
  const ceiling = (r: LoadResult) => availableParallelism() * 1000 / ((r.cpu.serverMs + r.cpu.postgresMs + r.cpu.benchMs) / r.counter.accepted)
  const total = performance.now() - began
  const rows: Array<[string, string]> = [
    ['machine', `${machine}; PostgreSQL ${version} (${pgSettings}) on the same machine`],
    ['fleet', `${fleet.length} vehicles with device tokens, ${activeGeofences} active circular geofences (${GEOFENCES} of 500 m by the bench)`],
    [`ingest, ${BATCH} fixes per request (POST /ingest/positions)`, `${thousands(batch.positionsPerSecond)} positions/s, ${fixed(batch.requestsPerSecond)} req/s, p50 ${batch.latency.p50} ms, p99 ${batch.latency.p99} ms, ${batch.non2xx + batch.errors} failed; accepted ${batch.counter.accepted} = sent ${batch.fixesSent}: ${batch.counter.accepted === batch.fixesSent ? 'yes' : 'NO'}`],
    ['ingest, 1 fix per request (GET /ingest/osmand)', `${thousands(osmand.positionsPerSecond)} positions/s, ${fixed(osmand.requestsPerSecond)} req/s, p50 ${osmand.latency.p50} ms, p99 ${osmand.latency.p99} ms, ${osmand.non2xx + osmand.errors} failed; accepted ${osmand.counter.accepted} = sent ${osmand.fixesSent}: ${osmand.counter.accepted === osmand.fixesSent ? 'yes' : 'NO'}`],
    ['SQL statements per request (batch / single)', `${fixed(batch.statementsPerRequest, 1)} / ${fixed(osmand.statementsPerRequest, 1)}`],
    ['CPU of other processes during the runs (batch / single)', `${fixed(otherCpu(batch))} % / ${fixed(otherCpu(osmand))} % of one core (${availableParallelism()} cores)`],
    [`positions/s ${availableParallelism()} idle cores would allow at the CPU measured per position (batch / single)`, `${thousands(ceiling(batch))} / ${thousands(ceiling(osmand))} (estimate: server + PostgreSQL + load generator CPU only)`],
    ['CPU ms per position, server + PostgreSQL (batch / single)', `${fixed(batch.cpu.serverMs / batch.counter.accepted, 3)} + ${fixed(batch.cpu.postgresMs / batch.counter.accepted, 3)} / ${fixed(osmand.cpu.serverMs / osmand.counter.accepted, 3)} + ${fixed(osmand.cpu.postgresMs / osmand.counter.accepted, 3)}`],
    ['pipeline alone, one call at a time (batch / single)', serial.map((s) => `${fixed(s.wallMs, 2)} ms`).join(' / ')],
    ['history table build', `${thousands(build.rows)} rows + ${build.trips} trips in ${seconds(build.insertMs)} s, VACUUM ANALYZE ${seconds(build.vacuumMs)} s; ${build.size}`],
    ...history.timings.map((h): [string, string] => [h.name, h.error !== undefined ? `FAILS: ${h.error}` : `p50 ${fixed(h.p50, 1)} ms, p95 ${fixed(h.p95, 1)} ms`]),
    ['(e) SQL, whole day (8,640 rows), execution', `median ${fixed(history.sql.median, 2)} ms, p95 ${fixed(history.sql.p95, 2)} ms`],
    ['COPY (psql \\copy, CSV)', `${thousands(copyRate)} rows/s (${thousands(copy.stored)} rows in ${fixed(copy.ms, 0)} ms)`],
    ['ingest / COPY', `batch ${fixed(batch.positionsPerSecond / copyRate * 100, 1)} %, single ${fixed(osmand.positionsPerSecond / copyRate * 100, 1)} %`],
    ['run time', `${seconds(total)} s`]
  ]
  console.log('\n| What | Result |\n|---|---|')
  for (const [what, result] of rows) console.log(`| ${what} | ${result} |`)

  const failed = [batch, osmand].filter((r) => r.non2xx + r.errors > 0 || r.counter.accepted !== r.fixesSent || r.counter.rejected > 0 || r.counter.duplicates > 0)
  for (const r of failed) {
    console.error(`${r.name}: ${r.non2xx + r.errors} requests failed, ${r.counter.rejected} fixes rejected, ${r.counter.duplicates} duplicates, accepted ${r.counter.accepted} of ${r.fixesSent} sent: these numbers do not measure ingestion alone`)
    process.exitCode = 1
  }
  for (const h of history.timings.filter((x) => x.error !== undefined)) {
    console.error(`${h.name}: the request fails (${h.error})`)
    process.exitCode = 1
  }
  if (copy.stored !== csvRows) {
    console.error(`COPY stored ${copy.stored} rows, expected ${csvRows}`)
    process.exitCode = 1
  }
}

try {
  await main()
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  await cleanup()
}
