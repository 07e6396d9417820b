import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import pg from 'pg'
import { seedDemo } from '../db/seeds/demo.js'
import { connectDatabase } from '../src/database/connect.js'
import { migrateUp } from '../src/database/migrator.js'

// npm run bench: the dashboard query against real PostgreSQL with the demo fleet scaled to
// 1,000 vehicles. Starts the server as its own process(es) with production settings, loads them
// with autocannon from this one, and prints throughput, latency percentiles, SQL statements per
// request (Server-Timing) and Redis round trips per request (from /health/metrics).
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench
//
//   BENCH_SCENARIOS   comma list of: nocache, warm, replicas2   (default: all; without REDIS_URL: nocache)
//   BENCH_VEHICLES (1000) BENCH_CONNECTIONS (20) BENCH_SECONDS (20) BENCH_PORT (3901)
// The cache uses Redis database 5 of REDIS_URL's server, flushed before each scenario.

const server = process.env.DATABASE_URL
if (server === undefined || server === '') {
  console.error('npm run bench needs DATABASE_URL (a PostgreSQL server; a database "fleet_bench" is created on it).')
  process.exit(2)
}
const redisServer = process.env.REDIS_URL
const vehicles = Number(process.env.BENCH_VEHICLES ?? 1000)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)
const seconds = Number(process.env.BENCH_SECONDS ?? 20)
const port = Number(process.env.BENCH_PORT ?? 3901)
const scenarios = (process.env.BENCH_SCENARIOS ?? (redisServer === undefined ? 'nocache' : 'nocache,warm,replicas2')).split(',')

const QUERY = `query Dashboard {
  vehicles(first: 50) { nodes { facility { name } currentDriver { name } currentAssignment { startsAt } } }
}`

function redisUrl (): string | undefined {
  if (redisServer === undefined) return undefined
  const url = new URL(redisServer)
  url.pathname = '/5'
  return url.toString()
}

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
  await handle.close()
  const analyze = new pg.Client({ connectionString: url.toString() })
  await analyze.connect()
  await analyze.query('ANALYZE')
  const version = (await analyze.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?'
  await analyze.end()
  console.log(`database: fleet_bench, PostgreSQL ${version}: ${summary.vehicles} vehicles, ${summary.drivers} drivers, ${summary.assignments} assignments`)
  return url.toString()
}

async function startServer (databaseUrl: string, serverPort: number, cache: boolean): Promise<{ child: ChildProcess, base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl() ?? '',
      CACHE_TTL_SECONDS: cache ? '300' : '0',
      JWT_SECRET: 'benchmark-secret-benchmark-secret-benchmark',
      PORT: String(serverPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SERVER_TIMING: 'true',
      // One user drives the whole load: a limit it cannot reach. The limiter still runs (and its
      // Redis round trip counts), as it does for every real request.
      RATE_LIMIT_PER_MINUTE: '1000000000'
    },
    stdio: ['ignore', 'inherit', 'inherit']
  })
  const base = `http://127.0.0.1:${serverPort}`
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/health/readiness`)).ok) return { child, base }
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  child.kill()
  throw new Error('server did not start')
}

async function stop (child: ChildProcess): Promise<void> {
  child.kill('SIGTERM')
  await once(child, 'exit')
}

async function graphql (base: string, query: string, token?: string) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query })
  })
  return { json: await response.json() as { data?: { login?: { accessToken: string } }, errors?: unknown[] }, timing: response.headers.get('server-timing') ?? '' }
}

const statementsIn = (timing: string) => Number(/desc="(\d+) statements"/.exec(timing)?.[1] ?? NaN)

/** Sum of a counter family (all label sets) in a scrape. */
function counter (metrics: string, name: string): number {
  return [...metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0)
}

async function scrape (base: string) {
  const text = await (await fetch(`${base}/health/metrics`)).text()
  return {
    redisCommands: counter(text, 'fleet_api_redis_command_duration_seconds_count'),
    hits: [...text.matchAll(/^fleet_api_cache_requests_total\{[^}]*result="hit"[^}]*\} (\S+)$/gm)].reduce((s, m) => s + Number(m[1]), 0),
    misses: [...text.matchAll(/^fleet_api_cache_requests_total\{[^}]*result="miss"[^}]*\} (\S+)$/gm)].reduce((s, m) => s + Number(m[1]), 0)
  }
}

async function load (bases: string[], token: string) {
  const each = Math.max(1, Math.round(connections / bases.length))
  const run = async (duration: number) => await Promise.all(bases.map(async (base) => await autocannon({
    url: `${base}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
    connections: each,
    duration
  })))
  await run(3) // warm-up: JIT, pools, PostgreSQL and Redis caches
  const results = await run(seconds)
  const requests = results.reduce((sum, r) => sum + r.requests.total, 0)
  return {
    requestsPerSecond: results.reduce((sum, r) => sum + r.requests.average, 0),
    requests,
    failures: results.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
    // Percentiles of the first instance (one replica); with two, each takes half the load.
    latency: results[0]?.latency
  }
}

const databaseUrl = await prepareDatabase()
console.log(`load: ${connections} connections for ${seconds} s after a 3 s warm-up, dashboard query (50 vehicles with facility, current driver and assignment)\n`)
for (const scenario of scenarios) {
  if (redisServer !== undefined) {
    const flush = new Redis(redisUrl() as string)
    await flush.flushdb()
    flush.disconnect()
  }
  const replicas = scenario === 'replicas2' ? 2 : 1
  const cache = scenario !== 'nocache'
  const started = await Promise.all(Array.from({ length: replicas }, async (_, i) => await startServer(databaseUrl, port + i, cache)))
  try {
    const bases = started.map((s) => s.base)
    const login = await graphql(bases[0] as string, 'mutation { login(email: "fleet_manager@fleet.example", password: "fleet-demo") { accessToken } }')
    const token = login.json.data?.login?.accessToken ?? ''
    const before = await scrape(bases[0] as string)
    const first = await graphql(bases[0] as string, QUERY, token)
    const afterFirst = await scrape(bases[0] as string)
    const second = await graphql(bases[0] as string, QUERY, token)
    const afterSecond = await scrape(bases[0] as string)
    const result = await load(bases, token)
    const after = await scrape(bases[0] as string)
    const hitRatio = after.hits + after.misses === 0 ? 0 : after.hits / (after.hits + after.misses)
    console.log(`${scenario}: ${replicas} replica(s), cache ${cache ? 'on (Redis)' : 'off'}
  requests/s:            ${result.requestsPerSecond.toFixed(0)} (${result.requests} requests, ${result.failures} failed)
  latency p50/p90/p99:   ${result.latency?.p50} / ${result.latency?.p90} / ${result.latency?.p99} ms (max ${result.latency?.max})
  first request:         ${statementsIn(first.timing)} SQL statements, ${afterFirst.redisCommands - before.redisCommands} Redis round trips
  next request:          ${statementsIn(second.timing)} SQL statements, ${afterSecond.redisCommands - afterFirst.redisCommands} Redis round trips
  cache hit ratio:       ${cache ? `${(hitRatio * 100).toFixed(1)} %` : 'n/a'}
`)
    if (result.failures > 0) {
      console.error(`${scenario}: ${result.failures} requests failed: these numbers do not measure the dashboard query`)
      process.exitCode = 1
    }
  } finally {
    await Promise.all(started.map(async ({ child }) => { await stop(child) }))
  }
}
