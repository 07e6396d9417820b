import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { buildTestApp } from './helpers/app.js'
import { proxiedDemoDatabase, usingPostgres } from './helpers/database.js'
import { stallingServer } from './helpers/tcp.js'

// The runbook's health endpoints: shapes, status codes per state, and answers within the
// runbook's probe timeouts (liveness 1 s, readiness 3 s, health 5 s, startup 10 s, metrics 2 s)
// even when a dependency hangs.

const RUNBOOK_TIMEOUT_MS = { liveness: 1000, readiness: 3000, health: 5000, startup: 10000, metrics: 2000 }
const PROBES = ['/health/liveness', '/health/readiness', '/health/startup', '/health', '/health/metrics'] as const
const timeoutOf = (url: string) => RUNBOOK_TIMEOUT_MS[(url.split('/')[2] ?? 'health') as keyof typeof RUNBOOK_TIMEOUT_MS]

void t.test('a healthy system', async (t) => {
  const { app, config } = await buildTestApp(t)
  for (const url of ['/health/liveness', '/health/startup', '/health/readiness']) {
    const response = await app.inject(url)
    t.equal(response.statusCode, 200, url)
  }
  const response = await app.inject('/health')
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.match(body, {
    status: 'healthy',
    timestamp: String,
    uptime: Number,
    version: config.RELEASE,
    environment: 'test',
    checks: {
      database: { status: 'ok', message: 'Database connection healthy', latency: Number, details: { totalConnections: Number, idleConnections: Number, waitingConnections: Number } },
      redis: { status: 'ok', latency: Number },
      memory: { status: 'ok', message: /^Memory usage: \d+(\.\d)?%$/, details: { heapUsed: Number, heapTotal: Number, rss: Number, external: Number } }
    }
  })
  t.ok(Date.parse(body.timestamp) > Date.now() - 5000, 'timestamp is now')
  t.notMatch(response.body, /postgres(ql)?:\/\/|redis:\/\/|password|secret/i, 'no connection strings or credentials')
})

void t.test('memory above the threshold is degraded, still 200', async (t) => {
  const { app } = await buildTestApp(t, { env: { MEMORY_DEGRADED_PERCENT: '1' } })
  const response = await app.inject('/health')
  t.equal(response.statusCode, 200)
  t.match(response.json(), { status: 'degraded', checks: { memory: { status: 'degraded' } } })
})

void t.test('Redis down: degraded, readiness unaffected', async (t) => {
  const { app } = await buildTestApp(t, { env: { REDIS_URL: 'redis://127.0.0.1:1' } })
  const health = await app.inject('/health')
  t.equal(health.statusCode, 200)
  t.match(health.json(), { status: 'degraded', checks: { redis: { status: 'down', message: /Redis unreachable/ }, database: { status: 'ok' } } })
  t.equal((await app.inject('/health/readiness')).statusCode, 200, 'the cache is optional: still ready')
})

void t.test('a hung database: every probe still answers within its runbook timeout', async (t) => {
  const { port } = await stallingServer(t)
  const { app } = await buildTestApp(t, {
    database: { kind: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/hung`, pool: { max: 2, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } },
    // Start-up waits for this database for ever; the probes must answer meanwhile.
    waitForStartup: false
  })
  await app.ready()
  const expected: Record<string, number> = { '/health/liveness': 200, '/health/readiness': 503, '/health/startup': 503, '/health': 503, '/health/metrics': 200 }
  // All at once, as a kubelet and Prometheus would send them.
  const results = await Promise.all(PROBES.map(async (url) => {
    const started = performance.now()
    const response = await app.inject(url)
    return { url, response, ms: performance.now() - started }
  }))
  for (const { url, response, ms } of results) {
    t.equal(response.statusCode, expected[url], `${url} answers ${expected[url]}`)
    t.ok(ms < timeoutOf(url), `${url} answered in ${Math.round(ms)} ms (< ${timeoutOf(url)} ms)`)
  }
  const health = results.find((r) => r.url === '/health')?.response.json()
  t.match(health, { status: 'unhealthy', checks: { database: { status: 'down', message: /no answer within 2000 ms/ } } })
  t.match(results.find((r) => r.url === '/health/startup')?.response.json(), { status: 'starting', reason: /^connecting to the database/ }, 'startup says what it waits for')
  const request = await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ __typename }' } })
  t.match({ status: request.statusCode, retryAfter: request.headers['retry-after'], body: request.json() },
    { status: 503, retryAfter: '2', body: { errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] } }, 'requests wait for start-up: 503 with Retry-After')

  // Probes keep coming every few seconds: they must not pile up connections or checks.
  const again = await Promise.all([1, 2, 3, 4, 5].map(async () => await app.inject('/health')))
  t.ok(again.every((r) => r.statusCode === 503))
})

void t.test('a slow database is degraded, not down', { skip: usingPostgres ? false : 'needs PostgreSQL behind a TCP proxy (PGlite is in-process)' }, async (t) => {
  const { database, proxy } = await proxiedDemoDatabase(t)
  // Thresholds far from a busy machine's ordinary latency (a fresh connection included).
  const { app } = await buildTestApp(t, { database, env: { HEALTH_DB_SLOW_MS: '500', HEALTH_CHECK_TIMEOUT_MS: '5000', HEALTH_CACHE_MS: '0' } })
  t.equal((await app.inject('/health')).json().checks.database.status, 'ok', 'fast at first')
  proxy.delay(600)
  const response = await app.inject('/health')
  t.equal(response.statusCode, 200)
  t.match(response.json(), { status: 'degraded', checks: { database: { status: 'degraded', message: 'Database responding slowly' } } })
  t.ok(response.json().checks.database.latency >= 500)
  t.equal((await app.inject('/health/readiness')).statusCode, 200, 'slow is still ready')
})

void t.test('startup and readiness wait for migrations', { skip: usingPostgres ? false : 'needs an empty PostgreSQL database' }, async (t) => {
  const { createDatabase } = await import('./helpers/database.js')
  const { url } = await createDatabase(t, { fromTemplate: false })
  const { app } = await buildTestApp(t, { database: { kind: 'postgres', url, pool: { max: 2, idleTimeoutMs: 1000, connectionTimeoutMs: 2000, statementTimeoutMs: 0 } } })
  const startup = await app.inject('/health/startup')
  t.equal(startup.statusCode, 503)
  t.match(startup.json(), { status: 'starting', reason: /migration\(s\) pending/ })
  t.equal((await app.inject('/health/readiness')).statusCode, 503)
  const { migrateUp } = await import('../src/database/migrator.js')
  await migrateUp(app.db)
  await new Promise((resolve) => setTimeout(resolve, 1100)) // past the check cache
  t.equal((await app.inject('/health/startup')).statusCode, 200)
  t.equal((await app.inject('/health/readiness')).statusCode, 200)
})

void t.test('metrics: the runbook series are exposed and promtool accepts the scrape', async (t) => {
  const { app, gql, login } = await buildTestApp(t)
  const token = await login('fleet_manager@fleet.example')
  await gql('query Dashboard { vehicles(first: 5) { nodes { facility { name } } } }', {}, token)
  await gql('query Broken { vehicle(id: "nope") { id } }', {}, token)
  const response = await app.inject('/health/metrics')
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /text\/plain/)
  const text = response.body
  for (const series of [
    /^http_request_duration_seconds_bucket\{le="0\.5",method="POST",route="\/graphql",status_code="200"\} \d+$/m,
    /^fleet_api_graphql_operation_duration_seconds_count\{operation="Dashboard",type="query"\} 1$/m,
    /^fleet_api_graphql_errors_total\{code="BAD_USER_INPUT"\} 1$/m,
    /^fleet_api_db_query_duration_seconds_bucket\{le="0\.1",statement="select"\}/m,
    /^fleet_api_db_pool_connections\{state="waiting"\} \d+$/m,
    /^fleet_api_build_info\{version="[^"]+",commit="[^"]+"\} 1$/m,
    /^fleet_api_graphql_subscriptions_open\{field="Subscription\.alertRaised"\} 0$/m,
    /^fleet_api_memory_limit_bytes \d+/m,
    /^nodejs_heap_size_used_bytes \d+/m,
    /^process_resident_memory_bytes \d+/m,
    /^nodejs_eventloop_lag_p99_seconds /m
  ]) t.match(text, series, String(series))

  const promtool = await promisify(execFile)('promtool', ['--version']).then(() => true, () => false)
  if (!promtool) {
    t.comment('promtool not installed (apt-get install prometheus): skipping `promtool check metrics`')
    return
  }
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-metrics-')), 'scrape.txt')
  writeFileSync(file, text)
  const { stdout, stderr } = await promisify(execFile)('sh', ['-c', `promtool check metrics < ${file}; echo "exit=$?"`])
  t.match(stdout + stderr, /exit=0/, `promtool check metrics: ${stdout}${stderr}`)
})
