import { AsyncLocalStorage } from 'node:async_hooks'
import { readFile } from 'node:fs/promises'
import { availableParallelism, loadavg, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import { type CompiledQuery, Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, sql } from 'kysely'
import pg from 'pg'
import { seedDemo } from '../db/seeds/demo.js'
import { connectDatabase } from '../src/database/connect.js'
import { migrateUp } from '../src/database/migrator.js'
import type { Database } from '../src/database/schema.js'
import { findCurrentAssignments } from '../src/modules/assignments/queries.js'
import { findDriversByIds } from '../src/modules/drivers/queries.js'
import { findFacilitiesByIds } from '../src/modules/facilities/queries.js'
import { findAccess } from '../src/modules/identity/access.js'
import { listVehicles, vehicleSort } from '../src/modules/vehicles/queries.js'

// npm run bench:rls: what PostgreSQL row-level security would cost the dashboard request.
// See docs/security.md, "Row-level security: measured", for the results and what they mean.
//
// Creates the database fleet_bench_rls and the login role fleet_bench_rls_app (not a superuser:
// superusers bypass RLS even with FORCE) on the server of DATABASE_URL, migrates it with the
// project's migrator, seeds the demo fleet twice (two large tenants of BENCH_VEHICLES vehicles each,
// plus two small ones), then replays the SQL of one GraphQL dashboard request, cold cache:
//
//   viewer check (users ⟕ drivers) → vehicles page (50, by number) → facilities by ids
//                                                                  ∥ current assignments by vehicle ids → drivers by ids
//
// (the query functions of src/modules are called as the resolvers call them; facilities and
// assignments run concurrently as DataLoader batches of the same tick do), from BENCH_CONCURRENCY
// concurrent clients over a pg Pool of BENCH_POOL_MAX, alternating between the two large tenants,
// for BENCH_SECONDS per run, split into BENCH_ROUNDS rounds that interleave the runs (so that a
// change in the machine's background load hits every run alike), each with a fresh pool after
// BENCH_WARMUP_SECONDS (and 3 s of A before the first), then BENCH_SERIAL_SECONDS of one client
// alone (latency without any queueing). Besides latency and throughput it reports the CPU time
// per request of this process and of the PostgreSQL server processes (from /proc, when PostgreSQL
// runs on this machine): on a shared machine, the figure that other load distorts least. Runs:
//
//   A        today: every statement autocommits on a connection checked out for it (no RLS)
//   B        RLS the usual way: one transaction per request, `set_config(.., true)` first; the
//            connection is held for the whole request
//   C1       RLS, session setting: `set_config(.., false)` on every checkout, reset on release
//            (one more round trip per statement; NOT safe behind PgBouncer in transaction mode)
//   C2       RLS, one implicit transaction per statement: `select set_config(.., true); <statement>`
//            sent as one simple-protocol message (parameters inlined as literals)
//   A-warm, B-warm   the same with a warm entity cache: only the vehicles page and the current
//            assignments reach PostgreSQL
//
// Then checks that the policies enforce (run before the RLS runs: a failure stops the benchmark),
// and measures the policy's planner/executor cost alone: EXPLAIN ANALYZE of each statement,
// BENCH_EXPLAIN_ITERATIONS times, without RLS (as the superuser, which bypasses it) and with it
// (as the application role), interleaved on two connections. The database and role are dropped at
// the end, also on failure or Ctrl-C.
//
//   npm run bench:rls                       (DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_RUNS=A,B BENCH_SECONDS=10 npm run bench:rls
//   BENCH_RUNS=A,B BENCH_WORK_MS=0.3 npm run bench:rls   (with simulated resolver work between statements)

const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const DATABASE = 'fleet_bench_rls'
const APP_ROLE = 'fleet_bench_rls_app'
const VEHICLES = Number(process.env.BENCH_VEHICLES ?? 5000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)
const POOL_MAX = Number(process.env.BENCH_POOL_MAX ?? 20)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20)
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2))
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1)
const SERIAL_SECONDS = Number(process.env.BENCH_SERIAL_SECONDS ?? 1.5)
const EXPLAIN_ITERATIONS = Number(process.env.BENCH_EXPLAIN_ITERATIONS ?? 300)
const WORK_MS = Number(process.env.BENCH_WORK_MS ?? 0)
const PAGE_SIZE = 50
const SEARCH = 'sprinter' // about 8 % of the fleet, for the `vehicles(search:)` filter (LIKE on an expression)
/** Everything must be over well within this, cleanup included. */
const WATCHDOG_MS = 8 * 60_000
/** Set on Ctrl-C, SIGTERM or the watchdog: the load stops issuing requests. */
let stopping = false

/** The tenant tables (organization_id NOT NULL) that get a policy. */
const TENANT_TABLES = ['users', 'refresh_tokens', 'facilities', 'vehicles', 'drivers', 'vehicle_assignments'] as const
const SETTING = 'fleet.organization_id'
/** application_name of the load's connections, to find their server processes. */
const LOAD_APPLICATION = 'fleet-bench-rls-load'
/** Linux USER_HZ: the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100
const POLICY = `organization_id = current_setting('${SETTING}')::uuid`

type RunKey = 'A' | 'A-warm' | 'B' | 'B-warm' | 'C1' | 'C2'
type Variant = 'plain' | 'session' | 'implicit'
type Shape = 'cold' | 'warm'

interface RunSpec {
  key: RunKey
  rls: boolean
  variant: Variant
  transaction: boolean
  shape: Shape
  label: string
}

const RUN_SPECS: RunSpec[] = [
  { key: 'A', rls: false, variant: 'plain', transaction: false, shape: 'cold', label: 'today: autocommit, a connection per statement' },
  { key: 'A-warm', rls: false, variant: 'plain', transaction: false, shape: 'warm', label: 'today, warm cache (2 statements)' },
  { key: 'B', rls: true, variant: 'plain', transaction: true, shape: 'cold', label: 'RLS: transaction per request + set_config(local)' },
  { key: 'B-warm', rls: true, variant: 'plain', transaction: true, shape: 'warm', label: 'RLS: transaction per request, warm cache' },
  { key: 'C1', rls: true, variant: 'session', transaction: false, shape: 'cold', label: 'RLS: session set_config on checkout, reset on release' },
  { key: 'C2', rls: true, variant: 'implicit', transaction: false, shape: 'cold', label: 'RLS: set_config + statement in one implicit transaction' }
]
const selected = (process.env.BENCH_RUNS ?? RUN_SPECS.map((r) => r.key).join(',')).split(',').map((s) => s.trim())
const RUNS = RUN_SPECS.filter((r) => selected.includes(r.key))

const serverUrl = (database: string, user?: string): string => {
  const url = new URL(SERVER)
  url.pathname = `/${database}`
  if (user !== undefined) {
    url.username = user
    url.password = ''
  }
  return url.toString()
}
const OWNER_URL = serverUrl(DATABASE)
const APP_URL = serverUrl(DATABASE, APP_ROLE)

// ---------------------------------------------------------------------------------------------
// Database lifecycle

async function withAdmin<T> (work: (client: pg.Client) => Promise<T>, url = SERVER): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'fleet-bench-rls' })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

async function dropEverything (): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
    await admin.query(`DROP ROLE IF EXISTS ${APP_ROLE}`)
  })
}

interface Tenant {
  slug: string
  organizationId: string
  /** The FLEET_MANAGER signed in: the viewer check of every request. */
  viewerId: string
  vehicles: number
}

interface Fixture {
  tenants: Tenant[]
  serverVersion: string
  summary: string
}

async function prepare (): Promise<Fixture> {
  await dropEverything()
  await withAdmin(async (admin) => {
    await admin.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`)
    await admin.query(`CREATE DATABASE ${DATABASE}`)
  })
  const started = performance.now()
  const handle = connectDatabase({ kind: 'postgres', url: OWNER_URL, pool: { max: 4, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } })
  try {
    await migrateUp(handle.db)
    // The demo seed has one large organization ("demo") and a small one ("other"). Seed it, rename
    // those two, seed again: two large tenants, so that a policy filters half of each table.
    await seedDemo(handle.db, { vehicles: VEHICLES })
    await sql`update organizations set slug = slug || '-2', name = name || ' 2'`.execute(handle.db)
    await sql`update users set email = replace(email, '@', '.2@')`.execute(handle.db)
    await seedDemo(handle.db, { vehicles: VEHICLES })
  } finally {
    await handle.close()
  }
  return await withAdmin(async (owner) => {
    await owner.query('ANALYZE')
    await owner.query(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`)
    await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}`)
    await owner.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE}`)
    for (const table of TENANT_TABLES) {
      // One policy for every command: USING filters what is read, updated and deleted;
      // WITH CHECK refuses writing a row of another organization. It replaces the service's own
      // write policies (migration 0009), whose `_read` policy lets every read through.
      await owner.query(`DROP POLICY IF EXISTS ${table}_read ON ${table}`)
      await owner.query(`DROP POLICY IF EXISTS ${table}_write ON ${table}`)
      await owner.query(`CREATE POLICY tenant_isolation ON ${table} USING (${POLICY}) WITH CHECK (${POLICY})`)
    }
    const tenants = (await owner.query<{ slug: string, organization_id: string, viewer_id: string, vehicles: string }>(`
      select o.slug, o.id as organization_id, u.id as viewer_id,
             (select count(*) from vehicles v where v.organization_id = o.id) as vehicles
        from organizations o join users u on u.organization_id = o.id and u.role = 'FLEET_MANAGER'
       where o.slug in ('demo', 'demo-2') order by o.slug`)).rows
      .map((r): Tenant => ({ slug: r.slug, organizationId: r.organization_id, viewerId: r.viewer_id, vehicles: Number(r.vehicles) }))
    const counts = (await owner.query<Record<string, string>>(`select
        (select count(*) from organizations) as organizations, (select count(*) from vehicles) as vehicles,
        (select count(*) from drivers) as drivers, (select count(*) from facilities) as facilities,
        (select count(*) from vehicle_assignments) as assignments,
        (select count(*) from vehicle_assignments where starts_at <= now() and (ends_at is null or ends_at > now())) as current_assignments,
        pg_size_pretty(pg_database_size(current_database())) as size`)).rows[0] as Record<string, string>
    const serverVersion = (await owner.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?'
    const summary = `${counts.organizations} organizations, ${counts.vehicles} vehicles, ${counts.drivers} drivers, ${counts.facilities} facilities, ` +
      `${counts.assignments} assignments (${counts.current_assignments} current), database ${counts.size}; ` +
      `built in ${((performance.now() - started) / 1000).toFixed(1)} s`
    if (tenants.length !== 2) throw new Error(`expected the tenants demo and demo-2, found ${tenants.map((t) => t.slug).join(', ')}`)
    return { tenants, serverVersion, summary }
  }, OWNER_URL)
}

async function setRowLevelSecurity (enabled: boolean): Promise<void> {
  await withAdmin(async (owner) => {
    for (const table of TENANT_TABLES) {
      // FORCE: the policies apply to the table's owner too (only superusers and BYPASSRLS roles escape).
      await owner.query(enabled
        ? `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`
        : `ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY`)
    }
  }, OWNER_URL)
}

// ---------------------------------------------------------------------------------------------
// The tenant setting on pooled connections

/** The organization of the request being served, for the pool variants that set it per statement. */
const tenantContext = new AsyncLocalStorage<string>()

function literal (value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (value instanceof Date) return pg.escapeLiteral(value.toISOString())
  if (typeof value === 'string') return pg.escapeLiteral(value)
  throw new Error(`cannot inline a ${typeof value} parameter`)
}

/**
 * Inlines $n parameters as literals. Good enough for the statements replayed here (Kysely output
 * with no `$` inside literals or identifiers); a production version would need a tokenizer or a
 * compiler that emits literals.
 */
function inlineParameters (text: string, parameters: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(parameters[Number(n) - 1]))
}

interface PoolMeter {
  checkouts: number
  roundTrips: number
  waitMs: number
  holdMs: number
  resetFailures: number
  /** CPU of this process (load generator, Kysely, pg) and of the PostgreSQL server processes */
  nodeCpuMs: number
  serverCpuMs: number
}

/**
 * A pg Pool as Kysely's PostgresDialect sees it, metered (time waiting for a connection, time
 * holding one, round trips) and, for the C variants, setting the tenant of `tenantContext`:
 *   plain     as the app does today
 *   session   set_config(.., false) on checkout (awaited), reset on release (queued on the
 *             connection before whatever its next user sends, so not awaited)
 *   implicit  every statement becomes `select set_config(.., true); <statement>` in one simple
 *             query message, which PostgreSQL runs as one implicit transaction
 */
class TenantPool implements PostgresPool {
  readonly pool: pg.Pool
  readonly options: object
  meter: PoolMeter = { checkouts: 0, roundTrips: 0, waitMs: 0, holdMs: 0, resetFailures: 0, nodeCpuMs: 0, serverCpuMs: 0 }

  constructor (url: string, readonly variant: Variant) {
    // The app's pool settings (src/database/connect.ts).
    this.pool = new pg.Pool({
      connectionString: url,
      max: POOL_MAX,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5000,
      statement_timeout: 15_000,
      application_name: LOAD_APPLICATION
    })
    this.pool.on('error', (err) => { if (!stopping) console.error('idle connection error:', err.message) })
    this.options = this.pool.options
  }

  async connect (): Promise<PostgresPoolClient> {
    const asked = performance.now()
    const client = await this.pool.connect()
    const got = performance.now()
    this.meter.waitMs += got - asked
    this.meter.checkouts++
    const organizationId = tenantContext.getStore()
    if (this.variant === 'session') {
      try {
        this.meter.roundTrips++
        await client.query(`select set_config('${SETTING}', $1, false)`, [organizationId ?? ''])
      } catch (err) {
        client.release(true)
        throw err
      }
    }
    const query = async (text: string, parameters: readonly unknown[]) => {
      this.meter.roundTrips++
      if (this.variant === 'implicit' && organizationId !== undefined) {
        const statement = `select set_config('${SETTING}', ${literal(organizationId)}, true);\n${inlineParameters(text, parameters)}`
        const results = await client.query(statement) as unknown as pg.QueryResult | pg.QueryResult[]
        return Array.isArray(results) ? results[results.length - 1] : results
      }
      return await client.query(text, [...parameters])
    }
    return {
      processID: (client as unknown as { processID?: number }).processID,
      query: query as unknown as PostgresPoolClient['query'],
      release: (destroy?: boolean) => {
        this.meter.holdMs += performance.now() - got
        if (this.variant === 'session' && destroy !== true) {
          this.meter.roundTrips++
          client.query(`select set_config('${SETTING}', '', false)`).catch(() => { this.meter.resetFailures++ })
        }
        client.release(destroy)
      }
    }
  }

  async end (): Promise<void> {
    await this.pool.end()
  }
}

// ---------------------------------------------------------------------------------------------
// The workload: the statements of one dashboard request

const BY_NUMBER = vehicleSort('NUMBER', 'asc')
const unique = <T>(items: Array<T | null>): T[] => [...new Set(items.filter((item): item is T => item !== null))]

interface DashboardResult {
  statements: number
  vehicles: number
  drivers: number
  /** Rows of another organization: must be 0. */
  foreign: number
}

/**
 * `vehicles(first: 50) { nodes { facility currentDriver currentAssignment } }` as the resolvers
 * run it. Cold: every relation from PostgreSQL (5 statements). Warm: viewer, facilities and drivers
 * come from the entity cache (2 statements).
 */
/**
 * What the app does between statements (GraphQL execution, serialization) as BENCH_WORK_MS of CPU on
 * the event loop after each stage; 0 by default, the pure SQL replay. The app's connection is held
 * through this work under B, not under A.
 */
function resolverWork (): void {
  if (WORK_MS <= 0) return
  const until = performance.now() + WORK_MS
  while (performance.now() < until) { /* busy, as resolvers are */ }
}

async function dashboard (db: Kysely<Database>, tenant: Tenant, shape: Shape): Promise<DashboardResult> {
  const org = tenant.organizationId
  const rows: Array<{ organization_id: string }> = []
  if (shape === 'cold') {
    const viewer = await findAccess(db, org, [tenant.viewerId])
    if (viewer.length !== 1) throw new Error('viewer not found')
    rows.push(...viewer)
    resolverWork()
  }
  const page = await listVehicles(db, org, {}, BY_NUMBER, { first: PAGE_SIZE })
  resolverWork()
  const [facilities, assignments] = await Promise.all([
    shape === 'cold' ? findFacilitiesByIds(db, org, unique(page.rows.map((v) => v.facility_id))) : [],
    findCurrentAssignments(db, org, 'vehicle_id', page.rows.map((v) => v.id))
  ])
  resolverWork()
  const driverIds = unique(assignments.map((a) => a.driver_id))
  const drivers = shape === 'cold' && driverIds.length > 0 ? await findDriversByIds(db, org, driverIds) : []
  if (shape === 'cold') resolverWork()
  rows.push(...page.rows, ...facilities, ...assignments, ...drivers)
  return {
    statements: shape === 'cold' ? 5 : 2,
    vehicles: page.rows.length,
    drivers: shape === 'cold' ? drivers.length : driverIds.length,
    foreign: rows.filter((r) => r.organization_id !== org).length
  }
}

function check (result: DashboardResult): void {
  if (result.vehicles !== PAGE_SIZE || result.drivers === 0 || result.foreign !== 0) {
    throw new Error(`wrong dashboard: ${JSON.stringify(result)}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Load

interface RunResult {
  spec: RunSpec
  requests: number
  errors: number
  firstError?: string
  seconds: number
  latencies: number[]
  meter: PoolMeter
  /** Latencies of one client alone (no queueing): what the round trips cost by themselves. */
  serial: number[]
  /** requests/s of each round, and the 1-minute load average at its end */
  rounds: Array<{ rps: number, load: number }>
}

function requester (spec: RunSpec, db: Kysely<Database>): (tenant: Tenant) => Promise<void> {
  if (spec.transaction) {
    return async (tenant) => {
      check(await db.transaction().execute(async (trx) => {
        await sql`select set_config(${SETTING}, ${tenant.organizationId}, true)`.execute(trx)
        return await dashboard(trx, tenant, spec.shape)
      }))
    }
  }
  if (spec.variant === 'plain') return async (tenant) => { check(await dashboard(db, tenant, spec.shape)) }
  return async (tenant) => { check(await tenantContext.run(tenant.organizationId, async () => await dashboard(db, tenant, spec.shape))) }
}

/** `concurrency` closed-loop clients for `seconds`, alternating tenants request by request. */
async function drive (request: (tenant: Tenant) => Promise<void>, tenants: Tenant[], seconds: number, concurrency = CONCURRENCY) {
  const latencies: number[] = []
  let errors = 0
  let firstError: string | undefined
  let next = 0
  const start = performance.now()
  const deadline = start + seconds * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (!stopping && performance.now() < deadline) {
      const tenant = tenants[next++ % tenants.length] as Tenant
      const began = performance.now()
      try {
        await request(tenant)
        latencies.push(performance.now() - began)
      } catch (err) {
        errors++
        firstError ??= err instanceof Error ? err.message : String(err)
      }
    }
  }))
  return { latencies, errors, firstError, seconds: (performance.now() - start) / 1000 }
}

/**
 * CPU time (ms) used so far by each server process of the load's connections, from /proc: a
 * measure of cost that the machine's other load distorts far less than latency or throughput.
 * Empty when PostgreSQL runs on another machine (or /proc is not readable).
 */
async function serverCpu (): Promise<Map<number, number>> {
  const pids = await withAdmin(async (admin) => (await admin.query<{ pid: number }>(
    'select pid from pg_stat_activity where application_name = $1', [LOAD_APPLICATION])).rows.map((r) => r.pid))
  const cpu = new Map<number, number>()
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // from field 3 (state) on
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS_PER_SECOND) // utime + stime
    } catch { /* not on this machine, or gone */ }
  }
  return cpu
}

async function measureCpu<T> (work: () => Promise<T>): Promise<{ result: T, nodeMs: number, serverMs: number }> {
  const server = await serverCpu()
  const node = process.cpuUsage()
  const result = await work()
  const nodeUsage = process.cpuUsage(node)
  const serverAfter = await serverCpu()
  let serverMs = serverAfter.size === 0 ? NaN : 0
  for (const [pid, ms] of serverAfter) serverMs += ms - (server.get(pid) ?? 0)
  return { result, nodeMs: (nodeUsage.user + nodeUsage.system) / 1000, serverMs }
}

async function run (spec: RunSpec, tenants: Tenant[], seconds: number): Promise<RunResult> {
  const pool = new TenantPool(APP_URL, spec.variant)
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  try {
    const request = requester(spec, db)
    await drive(request, tenants, WARMUP_SECONDS) // JIT, connections, PostgreSQL caches
    const meter = pool.meter = { checkouts: 0, roundTrips: 0, waitMs: 0, holdMs: 0, resetFailures: 0, nodeCpuMs: 0, serverCpuMs: 0 }
    const { result, nodeMs, serverMs } = await measureCpu(async () => await drive(request, tenants, seconds))
    meter.nodeCpuMs = nodeMs
    meter.serverCpuMs = serverMs
    const load = loadavg()[0] ?? NaN
    pool.meter = { ...meter } // the serial requests below are not metered
    const serial = await drive(request, tenants, SERIAL_SECONDS, 1)
    const requests = result.latencies.length
    return { spec, requests, ...result, errors: result.errors + serial.errors, meter, serial: serial.latencies, rounds: [{ rps: requests / result.seconds, load }] }
  } finally {
    await db.destroy() // ends the pool
  }
}

function merge (into: RunResult | undefined, round: RunResult): RunResult {
  if (into === undefined) return round
  const meter = { ...into.meter }
  for (const key of Object.keys(meter) as Array<keyof PoolMeter>) meter[key] += round.meter[key]
  return {
    spec: into.spec,
    requests: into.requests + round.requests,
    errors: into.errors + round.errors,
    firstError: into.firstError ?? round.firstError,
    seconds: into.seconds + round.seconds,
    latencies: into.latencies.concat(round.latencies),
    serial: into.serial.concat(round.serial),
    meter,
    rounds: [...into.rounds, ...round.rounds]
  }
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN

function describeRun (r: RunResult) {
  const sorted = [...r.latencies].sort((a, b) => a - b)
  const per = (value: number) => r.requests === 0 ? NaN : value / (r.requests + r.errors)
  const serial = [...r.serial].sort((a, b) => a - b)
  return {
    serialP50: percentile(serial, 0.5),
    rps: r.requests / r.seconds,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    roundTrips: per(r.meter.roundTrips),
    holdMs: per(r.meter.holdMs),
    waitMs: per(r.meter.waitMs),
    nodeCpuMs: per(r.meter.nodeCpuMs),
    serverCpuMs: per(r.meter.serverCpuMs)
  }
}

// ---------------------------------------------------------------------------------------------
// Does RLS enforce?

async function expectError (client: pg.Client, text: string): Promise<string> {
  try {
    await client.query(text)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error(`expected an error from: ${text}`)
}

async function verify (tenants: Tenant[]): Promise<string[]> {
  const [a, b] = tenants as [Tenant, Tenant]
  const lines: string[] = []
  const ok = (condition: boolean, what: string) => {
    if (!condition) throw new Error(`RLS verification failed: ${what}`)
    lines.push(`ok: ${what}`)
  }
  const count = async (client: pg.Client, text = 'select count(*)::int as n from vehicles') => (await client.query<{ n: number }>(text)).rows[0]?.n
  const total = await withAdmin(async (su) => await count(su), OWNER_URL)
  ok(total !== undefined && total >= a.vehicles + b.vehicles, `superuser (${new URL(SERVER).username}) bypasses RLS even with FORCE: sees all ${total} vehicles`)

  const app = new pg.Client({ connectionString: APP_URL })
  await app.connect()
  try {
    const none = await expectError(app, 'select count(*) from vehicles')
    ok(true, `no setting on a fresh connection: error "${none}"`)

    await app.query('begin')
    await app.query(`select set_config('${SETTING}', $1, true)`, [a.organizationId])
    ok(await count(app) === a.vehicles, `transaction with ${a.slug}'s setting: "select count(*) from vehicles" (no WHERE) counts ${a.vehicles}, ${a.slug}'s only`)
    ok(await count(app, `select count(*)::int as n from vehicles where organization_id = '${b.organizationId}'`) === 0, `...and asking for ${b.slug}'s vehicles by organization_id gives 0`)
    ok(await count(app, 'select count(*)::int as n from drivers d join vehicle_assignments va on va.driver_id = d.id') ===
      (await withAdmin(async (su) => await count(su, `select count(*)::int as n from drivers d join vehicle_assignments va on va.driver_id = d.id where d.organization_id = '${a.organizationId}'`), OWNER_URL)),
    '...a join without any tenant condition sees only its rows on both sides')
    await app.query(`insert into facilities (organization_id, code, name, type) values ($1, 'RLS-OWN', 'Own', 'DEPOT')`, [a.organizationId])
    ok(true, '...inserting a facility of its own organization works')
    const foreign = await expectError(app, `insert into facilities (organization_id, code, name, type) values ('${b.organizationId}', 'RLS-X', 'Foreign', 'DEPOT')`)
    ok(/row-level security/.test(foreign), `...inserting one for ${b.slug} is refused (WITH CHECK): "${foreign}"`)
    await app.query('rollback')
    const after = await expectError(app, 'select count(*) from vehicles')
    ok(true, `after the transaction, same connection: the local setting is gone, error "${after}"`)

    const implicit = await app.query(`select set_config('${SETTING}', ${literal(b.organizationId)}, true); select count(*)::int as n from vehicles`) as unknown as pg.QueryResult[]
    ok((implicit.at(-1)?.rows[0] as { n: number } | undefined)?.n === b.vehicles, `C2, one simple query "select set_config(.., ${b.slug}, true); select count(*) from vehicles" counts ${b.vehicles}`)
    await expectError(app, 'select count(*) from vehicles')
    ok(true, '...and the next statement on that connection has no setting again (error)')

    await app.query(`select set_config('${SETTING}', $1, false)`, [a.organizationId])
    ok(await count(app) === a.vehicles, 'C1, session setting: counts its tenant only')
    await app.query(`select set_config('${SETTING}', '', false)`)
    await expectError(app, 'select count(*) from vehicles')
    ok(true, '...and after the reset every statement fails (fails closed, not open)')
  } finally {
    await app.end()
  }
  return lines
}

// ---------------------------------------------------------------------------------------------
// The policy alone: planner and executor, one connection each, no concurrency

interface ExplainResult {
  name: string
  planMs: [number, number]
  execMs: [number, number]
  shape: [string, string]
  /** EXPLAIN text (with the planner's estimates), for the vehicles pages */
  text?: [string, string]
}

interface PlanNode { 'Node Type': string, 'Index Name'?: string, Plans?: PlanNode[] }

function planShape (node: PlanNode): string {
  const self = node['Index Name'] === undefined ? node['Node Type'] : `${node['Node Type']} (${node['Index Name']})`
  const children = (node.Plans ?? []).map(planShape)
  return children.length === 0 ? self : `${self} ← ${children.length === 1 ? children[0] as string : `[${children.join(', ')}]`}`
}

/**
 * The compiled statements of one cold dashboard request, of a search page, and of a write (an
 * updateVehicle-like UPDATE, whose triggers write the audit trail; rolled back), with their parameters.
 */
async function captureStatements (tenant: Tenant): Promise<Array<{ name: string, query: CompiledQuery, write?: true }>> {
  const captured: CompiledQuery[] = []
  const pool = new pg.Pool({ connectionString: OWNER_URL, max: 2 })
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => { if (event.level === 'query') captured.push(event.query) }
  })
  let update: CompiledQuery
  try {
    check(await dashboard(db, tenant, 'cold'))
    await listVehicles(db, tenant.organizationId, { search: SEARCH }, BY_NUMBER, { first: PAGE_SIZE })
    const vehicle = await db.selectFrom('vehicles').select('id').where('organization_id', '=', tenant.organizationId).orderBy('number').limit(1).executeTakeFirstOrThrow()
    captured.pop()
    update = db.updateTable('vehicles').set({ odometer_km: sql`odometer_km + 1` })
      .where('organization_id', '=', tenant.organizationId).where('id', '=', vehicle.id).where('version', '>=', 1)
      .returningAll().compile()
  } finally {
    await db.destroy()
  }
  // dashboard: viewer, page, then facilities and assignments in either order, drivers; then search
  const name = (q: CompiledQuery): string => {
    if (q.sql.includes('"users"')) return 'viewer check'
    if (q.sql.includes(' like ')) return `vehicles page, search "${SEARCH}"`
    if (q.sql.includes('from "vehicles"')) return 'vehicles page (50 by number)'
    if (q.sql.includes('from "facilities"')) return 'facilities by ids'
    if (q.sql.includes('from "vehicle_assignments"')) return 'current assignments by vehicle ids'
    if (q.sql.includes('from "drivers"')) return 'drivers by ids'
    return q.sql.slice(0, 40)
  }
  return [...captured.map((query) => ({ name: name(query), query })), { name: 'update one vehicle (+ audit trigger), rolled back', query: update, write: true as const }]
}

async function explainAll (tenant: Tenant): Promise<ExplainResult[]> {
  const statements = await captureStatements(tenant)
  const bypass = new pg.Client({ connectionString: OWNER_URL }) // superuser: no policy is applied
  const rls = new pg.Client({ connectionString: APP_URL })
  await bypass.connect()
  await rls.connect()
  try {
    await rls.query(`select set_config('${SETTING}', $1, false)`, [tenant.organizationId])
    const results: ExplainResult[] = []
    for (const { name, query, write } of statements) {
      const text = `EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${query.sql}`
      const samples = [[[], []], [[], []]] as [[number[], number[]], [number[], number[]]]
      const shapes: [string, string] = ['', '']
      for (let i = 0; i < EXPLAIN_ITERATIONS; i++) {
        for (const [side, client] of (i % 2 === 0 ? [[0, bypass], [1, rls]] : [[1, rls], [0, bypass]]) as Array<[0 | 1, pg.Client]>) {
          if (write === true) await client.query('begin')
          const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode, 'Planning Time': number, 'Execution Time': number }> }>(text, [...query.parameters])
          if (write === true) await client.query('rollback')
          const plan = rows[0]?.['QUERY PLAN'][0]
          if (plan === undefined) throw new Error('no plan')
          samples[side][0].push(plan['Planning Time'])
          samples[side][1].push(plan['Execution Time'])
          if (i === 0) shapes[side] = planShape(plan.Plan)
        }
      }
      const median = (values: number[]) => percentile([...values].sort((x, y) => x - y), 0.5)
      const plainText = async (client: pg.Client) => (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query.sql}`, [...query.parameters]))
        .rows.map((r) => r['QUERY PLAN']).join('\n')
      results.push({
        name,
        planMs: [median(samples[0][0]), median(samples[1][0])],
        execMs: [median(samples[0][1]), median(samples[1][1])],
        shape: shapes,
        text: name.startsWith('vehicles page') ? [await plainText(bypass), await plainText(rls)] : undefined
      })
    }
    return results
  } finally {
    await bypass.end()
    await rls.end()
  }
}

// ---------------------------------------------------------------------------------------------
// Main

const ms = (value: number, digits = 1) => Number.isNaN(value) ? '—' : value.toFixed(digits)
const ratio = (value: number, base: number | undefined) => base === undefined || Number.isNaN(value) ? '' : ` (${value >= base ? '+' : ''}${(((value / base) - 1) * 100).toFixed(0)} %)`

let cleaning: Promise<void> | undefined
async function cleanup (): Promise<void> {
  cleaning ??= dropEverything().catch((err: unknown) => {
    console.error(`cleanup failed, drop ${DATABASE} and role ${APP_ROLE} by hand:`, err)
  })
  await cleaning
}
/** Interrupted (or too slow): stop issuing requests, drop the database and role, exit. */
function abort (reason: string, exitCode: number): void {
  if (stopping) return
  stopping = true
  console.error(`\n${reason}: dropping ${DATABASE} and ${APP_ROLE}`)
  // DROP DATABASE ... WITH (FORCE) ends this process's own connections; the errors that idle
  // clients then emit are expected and must not end the process before the role is dropped too.
  process.on('uncaughtException', (err: Error & { code?: string }) => {
    if (err.code !== '57P01') console.error('during cleanup:', err)
  })
  void cleanup().finally(() => process.exit(exitCode))
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { abort(signal, 130) })
setTimeout(() => { abort(`still running after ${WATCHDOG_MS / 60_000} min`, 1) }, WATCHDOG_MS).unref()

async function main (): Promise<void> {
  const began = performance.now()
  console.log(`machine: ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 20)} MiB RAM, Node ${process.version}`)
  const fixture = await prepare()
  console.log(`database: ${DATABASE} on PostgreSQL ${fixture.serverVersion}: ${fixture.summary}`)
  console.log(`load: ${CONCURRENCY} concurrent clients, pg Pool max ${POOL_MAX}, ${SECONDS} s per run in ${ROUNDS} interleaved round(s), each after ${WARMUP_SECONDS} s warm-up, ` +
    `${WORK_MS > 0 ? `${WORK_MS} ms of simulated resolver CPU after each stage, ` : ''}` +
    `tenants ${fixture.tenants.map((t) => `${t.slug} (${t.vehicles} vehicles)`).join(' and ')} alternating\n`)

  if (RUNS.some((r) => r.rls)) {
    await setRowLevelSecurity(true)
    console.log(`row-level security on ${TENANT_TABLES.join(', ')}: USING/WITH CHECK (${POLICY}), ENABLE + FORCE`)
    for (const line of await verify(fixture.tenants)) console.log(`  ${line}`)
    console.log('')
  }

  const merged = new Map<RunKey, RunResult>()
  let rlsOn: boolean | undefined
  await setRowLevelSecurity(false)
  rlsOn = false
  await run(RUN_SPECS[0] as RunSpec, fixture.tenants, 3) // JIT and PostgreSQL caches, before anything is measured
  for (let round = 1; round <= ROUNDS; round++) {
    for (const spec of RUNS) {
      if (rlsOn !== spec.rls) await setRowLevelSecurity(spec.rls)
      rlsOn = spec.rls
      const result = await run(spec, fixture.tenants, SECONDS / ROUNDS)
      merged.set(spec.key, merge(merged.get(spec.key), result))
      const d = describeRun(result)
      console.log(`round ${round} ${spec.key.padEnd(6)} ${d.rps.toFixed(0)} req/s, p50/p95/p99 ${ms(d.p50)} / ${ms(d.p95)} / ${ms(d.p99)} ms, ` +
        `${ms(d.roundTrips)} round trips, connection held ${ms(d.holdMs, 2)} ms and awaited ${ms(d.waitMs, 2)} ms per request; ` +
        `CPU per request ${ms(d.serverCpuMs, 2)} ms PostgreSQL + ${ms(d.nodeCpuMs, 2)} ms Node; one client alone: p50 ${ms(d.serialP50, 2)} ms; ${result.errors} errors${result.firstError === undefined ? '' : ` (first: ${result.firstError})`}` +
        `${result.meter.resetFailures > 0 ? `, ${result.meter.resetFailures} failed resets` : ''}; load average ${ms(result.rounds[0]?.load ?? NaN, 2)}`)
    }
  }
  const results = RUNS.map((spec) => merged.get(spec.key)).filter((r): r is RunResult => r !== undefined)

  let explained: ExplainResult[] = []
  if (EXPLAIN_ITERATIONS > 0) {
    await setRowLevelSecurity(true)
    explained = await explainAll(fixture.tenants[0] as Tenant)
  }

  // The tables, in the form docs/security.md shows them.
  const baseline = (shape: Shape) => {
    const a = results.find((r) => r.spec.rls === false && r.spec.shape === shape)
    return a === undefined ? undefined : describeRun(a)
  }
  console.log(`\nAll rounds together (${SECONDS} s per run); requests/s of each round in brackets; change against A (or A-warm) in parentheses:\n`)
  console.log('| Run | What | statements | round trips / request | CPU ms / request: PostgreSQL + Node | one client alone: p50 ms | requests/s | p50 ms | p95 ms | p99 ms | connection held / request | waiting for a connection / request | errors |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const r of results) {
    const d = describeRun(r)
    const base = r.spec.rls ? baseline(r.spec.shape) : undefined
    console.log(`| ${r.spec.key} | ${r.spec.label} | ${r.spec.shape === 'cold' ? 5 : 2} | ${ms(d.roundTrips)} | ${ms(d.serverCpuMs, 2)} + ${ms(d.nodeCpuMs, 2)}${ratio(d.serverCpuMs + d.nodeCpuMs, base === undefined ? undefined : base.serverCpuMs + base.nodeCpuMs)} | ${ms(d.serialP50, 2)}${ratio(d.serialP50, base?.serialP50)} | ${d.rps.toFixed(0)}${ratio(d.rps, base?.rps)} [${r.rounds.map((x) => x.rps.toFixed(0)).join(', ')}] | ` +
      `${ms(d.p50)}${ratio(d.p50, base?.p50)} | ${ms(d.p95)}${ratio(d.p95, base?.p95)} | ${ms(d.p99)}${ratio(d.p99, base?.p99)} | ${ms(d.holdMs, 2)} ms | ${ms(d.waitMs, 2)} ms | ${r.errors} |`)
  }
  if (explained.length > 0) {
    console.log(`\nEXPLAIN (ANALYZE, TIMING OFF), median of ${EXPLAIN_ITERATIONS}, one connection each, interleaved (${fixture.tenants[0]?.slug}):\n`)
    console.log('| Statement | planning ms, no RLS → RLS | execution ms, no RLS → RLS | plan without RLS | plan with RLS |')
    console.log('|---|---|---|---|---|')
    for (const e of explained) {
      console.log(`| ${e.name} | ${ms(e.planMs[0], 3)} → ${ms(e.planMs[1], 3)} | ${ms(e.execMs[0], 3)} → ${ms(e.execMs[1], 3)} | ` +
        `${e.shape[0]} | ${e.shape[1] === e.shape[0] ? 'same' : e.shape[1]} |`)
    }
    const dashboardOnly = explained.filter((e) => !e.name.includes('search') && !e.name.startsWith('update'))
    const sum = (side: 0 | 1) => dashboardOnly.reduce((s, e) => s + e.planMs[side] + e.execMs[side], 0)
    console.log(`\nthe ${dashboardOnly.length} dashboard statements, planning + execution: ${ms(sum(0), 3)} ms without RLS, ${ms(sum(1), 3)} ms with RLS`)
    for (const e of explained.filter((x) => x.text !== undefined)) {
      const [without, withRls] = e.text as [string, string]
      console.log(`\n${e.name}, without RLS:\n${without}\n${e.name}, with RLS:\n${withRls}`)
    }
  }
  console.log(`\ntotal ${((performance.now() - began) / 1000).toFixed(0)} s`)
}

try {
  await main()
} catch (err) {
  if (!stopping) console.error(err) // else: the aborted run's queries failing, nothing to report
  process.exitCode = 1
} finally {
  await cleanup()
}
