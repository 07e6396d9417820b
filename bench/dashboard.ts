import { type ChildProcess, spawn } from 'node:child_process'
import { isDeepStrictEqual } from 'node:util'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import pg from 'pg'
import { seedDemo } from '../db/seeds/demo.js'
import { connectDatabase } from '../src/database/connect.js'
import { migrateUp } from '../src/database/migrator.js'
import { cpuOf, postgresCpu, postgresCpuBetween } from './lib/proc.js'
import { type RunningServer, startServer, stopServer } from './lib/server.js'
import { failuresOf, median } from './lib/stats.js'

// npm run bench: the SPA's dashboard query against real PostgreSQL with the demo fleet scaled to
// 1,000 vehicles, side by side with its yardstick: one Fastify route and one hand-written SQL
// statement returning the identical JSON (bench/lib/raw-dashboard.ts), started and loaded the
// same way. Each contender is its own process with production settings; the answers are compared
// before anything is measured; rounds interleave the contenders so a noisy neighbour hurts all of
// them alike. Printed per contender: requests/s, p50/p99, server CPU per request (from /proc of
// the server process), PostgreSQL CPU per request (all postgres processes), SQL statements
// (Server-Timing) and Redis commands (INFO commandstats) per request, and the ratio to the
// yardstick; then p99 at 80 % of each contender's peak rate.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench
//
//   BENCH_SCENARIOS   comma list of: nocache (no Redis: the in-process cache), warm, replicas2   (default: nocache,warm; without REDIS_URL: nocache)
//   BENCH_VEHICLES (1000) BENCH_CONNECTIONS (32) BENCH_SECONDS (10 per round) BENCH_ROUNDS (3) BENCH_PORT (3901)
//   BENCH_PROFILE=1   the service runs with --cpu-prof; profiles land in bench/profiles/
// The cache uses Redis database 5 of REDIS_URL's server, flushed before each scenario.

const server = process.env.DATABASE_URL
if (server === undefined || server === '') {
  console.error('npm run bench needs DATABASE_URL (a PostgreSQL server; a database "fleet_bench" is created on it).')
  process.exit(2)
}
const redisServer = process.env.REDIS_URL
const vehicles = Number(process.env.BENCH_VEHICLES ?? 1000)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const port = Number(process.env.BENCH_PORT ?? 3901)
const profile = process.env.BENCH_PROFILE === '1'
const scenarios = (process.env.BENCH_SCENARIOS ?? (redisServer === undefined ? 'nocache' : 'nocache,warm')).split(',')
const SECRET = 'benchmark-secret-benchmark-secret-benchmark'

const QUERY = `query Dashboard {
  vehicles(first: 50) { nodes { number vin status odometer facility { name } currentDriver { name } currentAssignment { startsAt } } }
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
  await analyze.query('VACUUM ANALYZE')
  const version = (await analyze.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?'
  await analyze.end()
  console.log(`database: fleet_bench, PostgreSQL ${version}: ${summary.vehicles} vehicles, ${summary.drivers} drivers, ${summary.assignments} assignments`)
  return url.toString()
}

interface Contender {
  name: string
  /** One base URL per replica. */
  servers: RunningServer[]
  token: string
  /** SQL statements and Redis commands of a first and a second request. */
  first: Cost
  next: Cost
}

interface Cost { statements: number, redis: number }

interface Round { rate: number, requests: number, p50: number, p99: number, serverCpu: number, postgresCpu: number, failures: number, failed: string }

async function post (base: string, query: string, token?: string): Promise<{ json: unknown, timing: string }> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query })
  })
  return { json: await response.json(), timing: response.headers.get('server-timing') ?? '' }
}

const statementsIn = (timing: string): number => Number(/desc="(\d+) statements"/.exec(timing)?.[1] ?? NaN)

/** Commands Redis has executed so far (all clients), less the INFO calls that ask. */
let infoCalls = 0
async function redisCommands (redis: Redis | undefined): Promise<number> {
  if (redis === undefined) return 0
  const text = await redis.info('commandstats')
  infoCalls++
  return [...text.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0) - infoCalls
}

async function cost (base: string, token: string, redis: Redis | undefined): Promise<Cost & { json: unknown }> {
  const before = await redisCommands(redis)
  const { json, timing } = await post(base, QUERY, token)
  return { json, statements: statementsIn(timing), redis: await redisCommands(redis) - before }
}

function serviceEnv (cache: boolean): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: cache ? redisUrl() ?? '' : '',
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    SERVER_TIMING: 'true',
    // One user drives the whole load: a limit it cannot reach. The limiter still runs (and its
    // Redis round trip counts), as it does for every real request.
    RATE_LIMIT_PER_MINUTE: '1000000000',
    ...(profile ? { NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=bench/profiles' } : {})
  }
}

async function startRaw (serverPort: number): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/raw-dashboard.ts'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET: SECRET, PORT: String(serverPort) },
    stdio: ['ignore', 'inherit', 'inherit']
  })
  const base = `http://127.0.0.1:${serverPort}`
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/health/readiness`)).ok) return { child, pid: child.pid as number, base, readyMs: 0 }
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the yardstick route did not start')
}

async function round (contender: Contender, duration: number, overallRate?: number): Promise<Round> {
  const each = Math.max(1, Math.round(connections / contender.servers.length))
  const serverBefore = await Promise.all(contender.servers.map(async (s) => await cpuOf(s.pid)))
  const postgresBefore = await postgresCpu()
  const results = await Promise.all(contender.servers.map(async (s) => await autocannon({
    url: `${s.base}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${contender.token}` },
    body: JSON.stringify({ query: QUERY }),
    connections: each,
    duration,
    ...(overallRate === undefined ? {} : { overallRate: overallRate / contender.servers.length })
  })))
  const postgresAfter = await postgresCpu()
  const serverAfter = await Promise.all(contender.servers.map(async (s) => await cpuOf(s.pid)))
  const requests = results.reduce((sum, r) => sum + r.requests.total, 0)
  return {
    rate: results.reduce((sum, r) => sum + r.requests.average, 0),
    requests,
    // Percentiles of the first replica; with two, each takes half the load.
    p50: results[0]?.latency.p50 ?? NaN,
    p99: results[0]?.latency.p99 ?? NaN,
    serverCpu: serverAfter.reduce((sum, after, i) => sum + after - (serverBefore[i] as number), 0) / requests,
    postgresCpu: postgresCpuBetween(postgresBefore, postgresAfter) / requests,
    failures: results.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
    failed: results.map(failuresOf).join('')
  }
}

const databaseUrl = await prepareDatabase()
const redis = redisUrl() === undefined ? undefined : new Redis(redisUrl() as string)
const contenders: Contender[] = []
const answers = new Map<string, unknown>()
let nextPort = port
try {
  for (const scenario of scenarios) {
    await redis?.flushdb()
    const replicas = scenario === 'replicas2' ? 2 : 1
    const cache = scenario !== 'nocache'
    const servers = await Promise.all(Array.from({ length: replicas }, async () => await startServer({ port: nextPort++, env: serviceEnv(cache) })))
    const base = (servers[0] as RunningServer).base
    const login = await post(base, 'mutation { login(email: "fleet_manager@fleet.example", password: "fleet-demo") { accessToken } }')
    const token = (login.json as { data: { login: { accessToken: string } } }).data.login.accessToken
    const first = await cost(base, token, cache ? redis : undefined)
    const next = await cost(base, token, cache ? redis : undefined)
    const name = scenario === 'nocache' ? 'Fleet API, no Redis (in-process cache)' : `Fleet API, Redis cache${replicas > 1 ? `, ${replicas} replicas` : ''}`
    contenders.push({ name, servers, token, first: { statements: first.statements, redis: first.redis }, next: { statements: next.statements, redis: next.redis } })
    answers.set(scenario, next.json)
  }
  const yardstick = await startRaw(nextPort++)
  const token = contenders[0]?.token ?? ''
  const raw = await post(yardstick.base, QUERY, token)
  for (const [scenario, json] of answers) {
    if (!isDeepStrictEqual(json, raw.json)) {
      console.error(`The ${scenario} answer differs from the yardstick's:\n${JSON.stringify(json).slice(0, 600)}\n${JSON.stringify(raw.json).slice(0, 600)}`)
      process.exit(1)
    }
  }
  contenders.push({ name: 'one Fastify route, one SQL statement', servers: [yardstick], token, first: { statements: 1, redis: 0 }, next: { statements: 1, redis: 0 } })
  console.log(`answers: identical (${(raw.json as { data: { vehicles: { nodes: unknown[] } } }).data.vehicles.nodes.length} vehicles)`)
  console.log(`load: ${connections} connections, ${rounds} interleaved rounds of ${seconds} s each after a 3 s warm-up per contender\n`)

  for (const contender of contenders) await round(contender, 3)
  const results = new Map<Contender, Round[]>(contenders.map((c) => [c, []]))
  for (let r = 0; r < rounds; r++) {
    for (const contender of contenders) results.get(contender)?.push(await round(contender, seconds))
  }
  const summary = contenders.map((contender) => {
    const runs = results.get(contender) as Round[]
    return {
      contender,
      rate: median(runs.map((r) => r.rate)),
      peak: Math.max(...runs.map((r) => r.rate)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      serverCpu: median(runs.map((r) => r.serverCpu)),
      postgresCpu: median(runs.map((r) => r.postgresCpu)),
      failures: runs.reduce((sum, r) => sum + r.failures, 0),
      failed: runs.map((r) => r.failed).join('')
    }
  })
  const yardstickRate = summary.at(-1)?.rate ?? NaN
  const table = [
    '| server | req/s | p50 | p99 | server CPU/request | PostgreSQL CPU/request | SQL (first, next) | Redis commands (first, next) | × yardstick |',
    '|---|---|---|---|---|---|---|---|---|'
  ]
  for (const s of summary) {
    table.push(`| ${s.contender.name} | ${s.rate.toFixed(0)} | ${s.p50} ms | ${s.p99} ms | ${s.serverCpu.toFixed(2)} ms | ${s.postgresCpu.toFixed(2)} ms | ${s.contender.first.statements}, ${s.contender.next.statements} | ${s.contender.first.redis}, ${s.contender.next.redis} | ${(s.rate / yardstickRate).toFixed(2)} |`)
    if (s.failures > 0) {
      console.error(`${s.contender.name}: ${s.failures} requests failed${s.failed}: these numbers do not measure the dashboard query`)
      process.exitCode = 1
    }
  }
  console.log(table.join('\n'))

  console.log('\nat 80 % of the peak rate:')
  for (const s of summary) {
    const steady = await round(s.contender, seconds, Math.round(s.peak * 0.8))
    console.log(`  ${s.contender.name}: ${steady.rate.toFixed(0)} req/s offered ${Math.round(s.peak * 0.8)}, p50 ${steady.p50} ms, p99 ${steady.p99} ms`)
  }
} finally {
  redis?.disconnect()
  await Promise.all(contenders.flatMap((c) => c.servers.map(async (s) => { await stopServer(s.child) })))
}
