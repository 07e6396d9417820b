import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import pg from 'pg'
import { seedDemo } from '../db/seeds/demo.js'
import { connectDatabase } from '../src/database/connect.js'
import { migrateUp } from '../src/database/migrator.js'
import { rssOf } from './lib/proc.js'
import { login, type RunningServer, startServer, stopServer } from './lib/server.js'
import { median, slope } from './lib/stats.js'

// npm run bench:startup: how long the service takes to be ready, and the memory it holds. It runs
// the compiled service (the script builds it first), as `npm start` and the container image do.
//
//   Embedded database (PGlite), BENCH_RUNS times each (median, min, max):
//     first start ever   a new DATA_DIR and no template yet: PGlite's initdb and every migration
//     first start        a new DATA_DIR copied from the template, the demo fleet loaded
//     restart            the same DATA_DIR again
//   PostgreSQL (DATABASE_URL, a migrated demo database "fleet_bench_startup"): restart.
//   Each idle, then again beside BENCH_BUSY CPU-bound processes (default 2: a busy 2-core machine).
//   Memory: RSS once ready and idle, then over a BENCH_SOAK_SECONDS (600; 0 skips it) load of the
//   dashboard query (BENCH_SOAK_CONNECTIONS, 8) with each database: start, end, peak, and the trend
//   over the second half (MB per minute), which a leak would make positive.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench:startup

const server = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL
const redisServer = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
const runs = Number(process.env.BENCH_RUNS ?? 5)
const busy = Number(process.env.BENCH_BUSY ?? 2)
const soakSeconds = Number(process.env.BENCH_SOAK_SECONDS ?? 600)
const soakConnections = Number(process.env.BENCH_SOAK_CONNECTIONS ?? 8)
const port = Number(process.env.BENCH_PORT ?? 3911)
const MB = 1024 * 1024

const DASHBOARD = 'query Dashboard { vehicles(first: 50) { nodes { number vin status odometer facility { name } currentDriver { name } currentAssignment { startsAt } } } }'

const scratch = mkdtempSync(join(tmpdir(), 'fleet-bench-startup-'))
const templates = join(scratch, 'templates')

// An empty DATABASE_URL and REDIS_URL count as unset: the embedded database and the in-process cache.
const embeddedEnv = (dataDir: string): Record<string, string> => ({
  NODE_ENV: 'development', DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dataDir, EMBEDDED_TEMPLATE_CACHE: templates, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000000'
})

async function prepareDatabase (): Promise<string> {
  const url = new URL(server as string)
  url.pathname = '/fleet_bench_startup'
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  await admin.query('DROP DATABASE IF EXISTS fleet_bench_startup WITH (FORCE)')
  await admin.query('CREATE DATABASE fleet_bench_startup')
  await admin.end()
  const handle = connectDatabase({ kind: 'postgres', url: url.toString(), pool: { max: 2, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } })
  await migrateUp(handle.db)
  await seedDemo(handle.db)
  await handle.close()
  return url.toString()
}

function postgresEnv (url: string): Record<string, string> {
  const redis = redisServer === undefined ? undefined : new URL(redisServer)
  if (redis !== undefined) redis.pathname = '/7'
  return {
    NODE_ENV: 'production',
    DATABASE_URL: url,
    REDIS_URL: redis?.toString() ?? '',
    JWT_SECRET: 'benchmark-secret-benchmark-secret-benchmark',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000000'
  }
}

/** CPU-bound processes beside the measurement, as on a machine busy with other work. */
function busyLoops (count: number): { stop: () => void } {
  const children: ChildProcess[] = Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
  return { stop: () => { for (const child of children) child.kill('SIGKILL') } }
}

async function readyOnce (env: Record<string, string>, keep = false): Promise<{ ms: number, running: RunningServer | null }> {
  const running = await startServer({ entry: 'dist', port, env, quiet: true })
  if (keep) return { ms: running.readyMs, running }
  await stopServer(running.child)
  return { ms: running.readyMs, running: null }
}

interface Timings { label: string, values: number[] }

async function startupTimings (phase: string, postgresUrl: string | undefined): Promise<Timings[]> {
  const firstEver: number[] = []
  const first: number[] = []
  const restart: number[] = []
  const postgres: number[] = []
  for (let i = 0; i < runs; i++) {
    rmSync(templates, { recursive: true, force: true })
    const dataDir = join(scratch, `${phase}-data-${i}`)
    firstEver.push((await readyOnce(embeddedEnv(join(scratch, `${phase}-ever-${i}`)))).ms)
    first.push((await readyOnce(embeddedEnv(dataDir))).ms)
    restart.push((await readyOnce(embeddedEnv(dataDir))).ms)
    if (postgresUrl !== undefined) postgres.push((await readyOnce(postgresEnv(postgresUrl))).ms)
  }
  return [
    { label: 'embedded, first start ever (no template: initdb + migrations)', values: firstEver },
    { label: 'embedded, first start (template copied, demo loaded)', values: first },
    { label: 'embedded, restart', values: restart },
    ...(postgresUrl === undefined ? [] : [{ label: 'PostgreSQL, start (migrated database)', values: postgres }])
  ]
}

function printTimings (title: string, timings: Timings[]): void {
  console.log(`\n${title} (${runs} runs: median [min-max], from spawning node to the first 200 of /health/readiness)`)
  for (const { label, values } of timings) {
    console.log(`  ${label.padEnd(64)} ${(median(values) / 1000).toFixed(2)} s  [${(Math.min(...values) / 1000).toFixed(2)}-${(Math.max(...values) / 1000).toFixed(2)}]`)
  }
}

async function idleRss (running: RunningServer): Promise<number> {
  // Settled: start-up's garbage collected, timers quiet.
  await new Promise((resolve) => setTimeout(resolve, 5000))
  return await rssOf(running.pid)
}

async function soak (label: string, env: Record<string, string>): Promise<void> {
  const { running } = await readyOnce(env, true)
  if (running === null) return
  try {
    const idle = await idleRss(running)
    console.log(`\n${label}: idle RSS ${(idle / MB).toFixed(0)} MB once ready`)
    if (soakSeconds === 0) return
    const token = await login(running.base)
    const samples: Array<{ x: number, y: number }> = []
    const started = Date.now()
    const sampler = setInterval(() => {
      void rssOf(running.pid).then((rss) => { samples.push({ x: (Date.now() - started) / 1000, y: rss }) })
    }, 5000)
    const result = await autocannon({
      url: `${running.base}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: DASHBOARD }),
      connections: soakConnections,
      duration: soakSeconds
    })
    clearInterval(sampler)
    const after = await idleRss(running)
    const secondHalf = samples.filter((s) => s.x >= soakSeconds / 2)
    const mb = (bytes: number | undefined): string => ((bytes ?? NaN) / MB).toFixed(0)
    const warm = (samples.find((s) => s.x >= 60) ?? samples[0])?.y
    console.log(`  soak: ${soakSeconds} s, ${soakConnections} connections, ${result.requests.average.toFixed(0)} req/s, ${result.non2xx + result.errors} failed
  RSS: after 1 min ${mb(warm)} MB, peak ${mb(Math.max(...samples.map((s) => s.y)))} MB, end ${mb(samples.at(-1)?.y)} MB, idle after ${mb(after)} MB
  trend over the second half: ${(slope(secondHalf) * 60 / MB).toFixed(2)} MB/min`)
  } finally {
    await stopServer(running.child)
  }
}

try {
  const postgresUrl = server === undefined ? undefined : await prepareDatabase()
  if (postgresUrl === undefined) console.log('DATABASE_URL not set: the embedded database only.')
  printTimings('Idle machine', await startupTimings('idle', postgresUrl))
  if (busy > 0) {
    const loops = busyLoops(busy)
    try {
      printTimings(`Beside ${busy} CPU-bound processes`, await startupTimings('busy', postgresUrl))
    } finally {
      loops.stop()
    }
  }
  const dataDir = join(scratch, 'soak')
  await soak('Embedded database (PGlite)', embeddedEnv(dataDir))
  if (postgresUrl !== undefined) await soak(`PostgreSQL${redisServer === undefined ? '' : ' and Redis'}`, postgresEnv(postgresUrl))
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
