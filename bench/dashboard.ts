import { spawn } from 'node:child_process'
import { once } from 'node:events'
import autocannon from 'autocannon'
import pg from 'pg'
import { seedDemo } from '../db/seeds/demo.js'
import { connectDatabase } from '../src/database/connect.js'
import { migrateUp } from '../src/database/migrator.js'

// npm run bench: the dashboard query against real PostgreSQL with the demo fleet scaled to
// 1,000 vehicles. Starts the server as its own process (production settings), loads it with
// autocannon from this one, and prints throughput, latency percentiles and SQL statements per
// request (read from the Server-Timing header).
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
//   BENCH_VEHICLES (1000) BENCH_CONNECTIONS (20) BENCH_SECONDS (20) BENCH_PORT (3901)

const server = process.env.DATABASE_URL
if (server === undefined || server === '') {
  console.error('npm run bench needs DATABASE_URL (a PostgreSQL server; a database "fleet_bench" is created on it).')
  process.exit(2)
}
const vehicles = Number(process.env.BENCH_VEHICLES ?? 1000)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)
const seconds = Number(process.env.BENCH_SECONDS ?? 20)
const port = Number(process.env.BENCH_PORT ?? 3901)

const QUERY = `query Dashboard {
  vehicles(first: 50) { nodes { facility { name } currentDriver { name } currentAssignment { startsAt } } }
}`

async function prepareDatabase (): Promise<string> {
  const url = new URL(server as string)
  url.pathname = '/fleet_bench'
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  await admin.query('DROP DATABASE IF EXISTS fleet_bench WITH (FORCE)')
  await admin.query('CREATE DATABASE fleet_bench')
  await admin.end()
  const handle = connectDatabase({ kind: 'postgres', url: url.toString(), pool: { max: 4, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } })
  await migrateUp(handle.db)
  const summary = await seedDemo(handle.db, { vehicles })
  await handle.db.executeQuery({ sql: 'ANALYZE', parameters: [], query: undefined as never, queryId: undefined as never })
  await handle.close()
  console.log(`database: fleet_bench with ${summary.vehicles} vehicles, ${summary.drivers} drivers, ${summary.assignments} assignments`)
  return url.toString()
}

async function startServer (databaseUrl: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: 'benchmark-secret-benchmark-secret-benchmark',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SERVER_TIMING: 'true'
    },
    stdio: ['ignore', 'inherit', 'inherit']
  })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${base}/graphql?query=%7Bme%7Bid%7D%7D`)
      return { child, base }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  child.kill()
  throw new Error('server did not start')
}

async function graphql (base: string, body: object, token?: string) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body)
  })
  return { json: await response.json() as { data?: { login?: { accessToken: string } }, errors?: unknown[] }, timing: response.headers.get('server-timing') ?? '' }
}

const databaseUrl = await prepareDatabase()
const { child, base } = await startServer(databaseUrl)
try {
  const login = await graphql(base, { query: 'mutation { login(email: "fleet_manager@fleet.example", password: "fleet-demo") { accessToken } }' })
  const token = login.json.data?.login?.accessToken ?? ''
  const probe = await graphql(base, { query: QUERY }, token)
  if (probe.json.errors !== undefined) throw new Error(JSON.stringify(probe.json.errors))
  const statements = /desc="(\d+) statements"/.exec(probe.timing)?.[1] ?? '?'

  const options = {
    url: `${base}/graphql`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
    connections
  }
  await autocannon({ ...options, duration: 3 }) // warm-up: JIT, pool, PostgreSQL caches
  const result = await autocannon({ ...options, duration: seconds })
  const { latency, requests } = result
  console.log(`
Dashboard query: vehicles(first: 50) with facility, currentDriver, currentAssignment
  fleet:             ${vehicles} vehicles (demo organization), PostgreSQL ${(await (async () => { const c = new pg.Client({ connectionString: databaseUrl }); await c.connect(); const v = (await c.query('SHOW server_version')).rows[0].server_version; await c.end(); return v })())}
  load:              ${connections} connections for ${seconds} s (after a 3 s warm-up)
  requests/s:        ${requests.average.toFixed(0)} (total ${result.requests.total}, non-2xx ${result.non2xx}, errors ${result.errors})
  latency p50:       ${latency.p50} ms
  latency p90:       ${latency.p90} ms
  latency p97.5:     ${latency.p97_5} ms
  latency p99:       ${latency.p99} ms
  latency max:       ${latency.max} ms
  SQL per request:   ${statements} statements
`)
} finally {
  child.kill('SIGTERM')
  await once(child, 'exit')
}
