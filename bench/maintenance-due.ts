import autocannon from 'autocannon'
import pg from 'pg'
import { seedDemo } from '../db/seeds/demo.js'
import { connectDatabase } from '../src/database/connect.js'
import { migrateUp } from '../src/database/migrator.js'
import { graphql, login, type RunningServer, startServer, stopServer } from './lib/server.js'
import { failuresOf, percentile } from './lib/stats.js'

// npm run bench:due: what is due across a fleet of 10,000 vehicles with 5 maintenance schedules
// each (50,000 vehicle and schedule pairs), computed in one statement per question, against real
// PostgreSQL. The demo fleet scaled up keeps its schedules by vehicle type (1 to 3 per vehicle,
// counted from a service history); every vehicle then gets schedules of its own up to five,
// counted from their start, spread so that some are overdue, some due soon, most fine.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:due
//
//   BENCH_VEHICLES (10000) BENCH_SCHEDULES (5 per vehicle) BENCH_SEQUENTIAL (100 requests)
//   BENCH_CONNECTIONS (10) BENCH_SECONDS (15) BENCH_PORT (3902)
// Each question is timed twice: one request at a time (its latency alone), then under load.

const server = process.env.DATABASE_URL
if (server === undefined || server === '') {
  console.error('npm run bench:due needs DATABASE_URL (a PostgreSQL server; a database "fleet_bench_due" is created on it).')
  process.exit(2)
}
const vehicles = Number(process.env.BENCH_VEHICLES ?? 10_000)
const perVehicle = Number(process.env.BENCH_SCHEDULES ?? 5)
const sequential = Number(process.env.BENCH_SEQUENTIAL ?? 100)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const seconds = Number(process.env.BENCH_SECONDS ?? 15)
const port = Number(process.env.BENCH_PORT ?? 3902)

const DUE_FIELDS = 'totalCount pageInfo { endCursor } nodes { status dueAt daysRemaining distanceRemaining engineHoursRemaining vehicle { number } task { name } }'

async function prepareDatabase (): Promise<{ url: string, facilityId: string }> {
  const url = new URL(server as string)
  url.pathname = '/fleet_bench_due'
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  await admin.query('DROP DATABASE IF EXISTS fleet_bench_due WITH (FORCE)')
  await admin.query('CREATE DATABASE fleet_bench_due')
  await admin.end()
  const handle = connectDatabase({ kind: 'postgres', url: url.toString(), pool: { max: 4, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } })
  await migrateUp(handle.db)
  const seeded = performance.now()
  const summary = await seedDemo(handle.db, { vehicles })
  await handle.close()
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    await client.query('BEGIN')
    await client.query("SELECT set_config('fleet.organization_id', '*', true)")
    const organization = (await client.query<{ id: string }>("SELECT id FROM organizations WHERE slug = 'demo'")).rows[0]?.id
    // Tasks of the bench's own, one per missing schedule slot.
    await client.query(`INSERT INTO service_tasks (organization_id, name)
      SELECT $1, 'Bench service ' || n FROM generate_series(1, $2::int) n`, [organization, perVehicle])
    // Each vehicle's own schedules, up to `perVehicle` counting those of its type, by distance, engine
    // hours or days in turn. Four in five were done before (a service record spread over the
    // interval and a little past it); the others count from their start, spread over a year and a
    // bit. About one pair in six is overdue or due soon, as in a fleet that keeps up.
    const added = await client.query(`
      WITH covered AS (
        SELECT v.id, v.organization_id, v.created_at, v.odometer_km, v.engine_hours,
               (SELECT count(*) FROM maintenance_schedules s
                 WHERE s.organization_id = v.organization_id AND s.vehicle_type = v.type AND s.deleted_at IS NULL) AS by_type
          FROM vehicles v WHERE v.organization_id = $1
      ), slots AS (
        SELECT c.*, t.id AS task_id, row_number() OVER () AS k
          FROM covered c
          CROSS JOIN generate_series(1, $2::int) n
          JOIN service_tasks t ON t.organization_id = c.organization_id AND t.name = 'Bench service ' || n
         WHERE n <= $2 - c.by_type
      ), made AS (
        INSERT INTO maintenance_schedules (organization_id, service_task_id, vehicle_id,
                                           interval_km, interval_hours, interval_days, due_soon_km, due_soon_hours, due_soon_days, starts_at)
        SELECT organization_id, task_id, id,
               CASE WHEN k % 3 = 0 THEN 20000 END, CASE WHEN k % 3 = 1 THEN 500 END, CASE WHEN k % 3 <> 1 THEN 365 END,
               CASE WHEN k % 3 = 0 THEN 1500 END, CASE WHEN k % 3 = 1 THEN 40 END, CASE WHEN k % 3 <> 1 THEN 30 END,
               greatest(created_at, now() - make_interval(days => (k * 37 % 400)::int))
          FROM slots
        RETURNING id
      )
      INSERT INTO service_records (organization_id, vehicle_id, service_task_id, performed_at, odometer_km, engine_hours)
      SELECT organization_id, id, task_id, now() - make_interval(days => (k * 37 % 400)::int),
             greatest(0, odometer_km - 20000 * (k * 53 % 110) / 100.0), greatest(0, engine_hours - 500 * (k * 53 % 110) / 100.0)
        FROM slots WHERE k % 5 <> 0 AND (SELECT count(*) FROM made) > 0`, [organization, perVehicle])
    const schedulesAdded = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM maintenance_schedules WHERE vehicle_id IS NOT NULL')).rows[0]?.n
    await client.query('COMMIT')
    await client.query('ANALYZE')
    const pairs = (await client.query<{ n: string }>(`
      SELECT count(*) AS n FROM maintenance_schedules s JOIN vehicles v
        ON v.organization_id = s.organization_id AND (v.id = s.vehicle_id OR v.type = s.vehicle_type)
       WHERE s.deleted_at IS NULL AND v.organization_id = $1`, [organization])).rows[0]?.n
    const facilityId = (await client.query<{ id: string }>('SELECT facility_id AS id FROM vehicles WHERE organization_id = $1 AND facility_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1', [organization])).rows[0]?.id
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version
    console.log(`database: fleet_bench_due, PostgreSQL ${version}: ${summary.vehicles} vehicles, ${summary.schedules} schedules by type and ${schedulesAdded} of single vehicles (${added.rowCount} serviced before): ${pairs} vehicle and schedule pairs in the demo organization (seeded in ${((performance.now() - seeded) / 1000).toFixed(0)} s)`)
    if (facilityId === undefined) throw new Error('no vehicle has a facility')
    return { url: url.toString(), facilityId }
  } finally {
    await client.end()
  }
}

interface Question { label: string, query: string, variables?: Record<string, unknown> }

async function post (running: RunningServer, token: string, question: Question): Promise<{ ms: number, statements: number }> {
  const started = performance.now()
  const response = await fetch(`${running.base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: question.query, variables: question.variables ?? {} })
  })
  const json = await response.json() as { errors?: Array<{ message: string }> }
  const ms = performance.now() - started
  if (json.errors !== undefined) throw new Error(`${question.label}: ${json.errors.map((e) => e.message).join('; ')}`)
  const statements = Number(/desc="(\d+) statements"/.exec(response.headers.get('server-timing') ?? '')?.[1] ?? NaN)
  return { ms, statements }
}

async function measure (running: RunningServer, token: string, question: Question): Promise<void> {
  for (let i = 0; i < 10; i++) await post(running, token, question) // warm-up: plans, JIT, pools
  const times: number[] = []
  let statements = NaN
  for (let i = 0; i < sequential; i++) {
    const result = await post(running, token, question)
    times.push(result.ms)
    statements = result.statements
  }
  times.sort((a, b) => a - b)
  const loaded = await autocannon({
    url: `${running.base}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: question.query, variables: question.variables ?? {} }),
    connections,
    duration: seconds
  })
  const ms = (value: number): string => `${value.toFixed(0).padStart(4)} ms`
  console.log(`${question.label.padEnd(44)} alone: p50 ${ms(percentile(times, 0.5))} p95 ${ms(percentile(times, 0.95))}` +
    ` | ${connections} connections: ${loaded.requests.average.toFixed(0).padStart(4)} req/s, p50 ${ms(loaded.latency.p50)} p97.5 ${ms(loaded.latency.p97_5)} p99 ${ms(loaded.latency.p99)}` +
    `, ${loaded.non2xx + loaded.errors} failed${failuresOf(loaded)} | ${statements} statements`)
}

const { url, facilityId } = await prepareDatabase()
const running = await startServer({
  port,
  entry: 'src',
  quiet: true,
  env: {
    NODE_ENV: 'production',
    DATABASE_URL: url,
    REDIS_URL: '',
    JWT_SECRET: 'benchmark-secret-benchmark-secret-benchmark',
    LOG_LEVEL: 'warn',
    SERVER_TIMING: 'true',
    RATE_LIMIT_PER_MINUTE: '1000000000',
    // The alert job stays out of the measurement.
    SERVICE_DUE_ALERTS_INTERVAL_SECONDS: '0'
  }
})
try {
  const token = await login(running.base)
  const firstPage = await graphql<{ maintenanceDue: { totalCount: number, pageInfo: { endCursor: string } } }>(running.base, `{ maintenanceDue(first: 50) { ${DUE_FIELDS} } }`, {}, token)
  console.log(`due now: ${firstPage.maintenanceDue.totalCount} pairs overdue or due soon\n`)
  const questions: Question[] = [
    { label: 'maintenanceDue(first: 50)', query: `{ maintenanceDue(first: 50) { ${DUE_FIELDS} } }` },
    { label: 'maintenanceDue(first: 50, after: page 1)', query: `query ($after: String) { maintenanceDue(first: 50, after: $after) { ${DUE_FIELDS} } }`, variables: { after: firstPage.maintenanceDue.pageInfo.endCursor } },
    { label: 'maintenanceDue(facility, first: 50)', query: `query ($facility: ID) { maintenanceDue(filter: { facilityId: $facility }, first: 50) { ${DUE_FIELDS} } }`, variables: { facility: facilityId } },
    { label: 'maintenanceDue(OVERDUE, TRUCK, first: 50)', query: `{ maintenanceDue(filter: { status: [OVERDUE], vehicleType: [TRUCK] }, first: 50) { ${DUE_FIELDS} } }` },
    { label: 'fleetSummary overdue and due soon', query: '{ fleetSummary { overdueMaintenance dueSoonMaintenance openWorkOrders } }' },
    { label: 'vehicles(first: 50) maintenanceStatus', query: '{ vehicles(first: 50) { nodes { number maintenanceStatus } } }' }
  ]
  for (const question of questions) await measure(running, token, question)
} finally {
  await stopServer(running.child)
}
