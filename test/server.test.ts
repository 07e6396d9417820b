import { readdirSync } from 'node:fs'
import t, { type Test } from 'tap'
import { createDatabase, usingPostgres } from './helpers/database.js'
import { switchableEndpoint } from './helpers/tcp.js'
import { type Env, type RunningProcess, runScript, startScript, temporaryDirectory } from './helpers/process.js'

// The process entry as a developer meets it: `node --import tsx src/server.ts` with no
// configuration at all copies a migrated embedded database from its template (making the template
// first if there is none), loads the demo fleet, prints where to go and how to sign in, serves real
// HTTP, and exits cleanly on SIGTERM, keeping its data. And as production meets it: started while
// PostgreSQL is away, it answers its probes and becomes ready when the database comes back.

// PGlite starts in every server process (a few seconds each, more on a busy machine).
t.setTimeout(240_000)

const READY = /Fleet API is ready: (http:\/\/\S+)\/graphql\n[^]*?password fleet-demo\.\n/
const LOGIN = 'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }'
const COUNTS = '{ vehicles { totalCount } facilities { totalCount nodes { code name type } } }'
const CREATE_FACILITY = 'mutation ($input: CreateFacilityInput!) { createFacility(input: $input) { id code name type } }'

interface Counts {
  vehicles: { totalCount: number }
  facilities: { totalCount: number, nodes: Array<{ code: string, name: string, type: string }> }
}

interface GraphQLResult<T> {
  data: T | null
  errors?: Array<{ message: string, extensions?: { code?: string } }>
}

interface Server {
  process: RunningProcess
  base: string
  /** Log records (pino writes JSON lines to stdout, asynchronously: complete once stopped). */
  logs: () => Array<{ msg: string } & Record<string, unknown>>
  gql: <T>(query: string, variables?: Record<string, unknown>, token?: string) => Promise<GraphQLResult<T>>
  login: (email: string) => Promise<string>
  stop: () => Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

async function startServer (t: Test, env: Env): Promise<Server> {
  const proc = startScript(t, 'src/server.ts', [], { env: { HOST: '127.0.0.1', PORT: '0', ...env } })
  const ready = await proc.waitForOutput(READY, 120_000)
  const base = ready[1] as string

  const gql: Server['gql'] = async <T>(query: string, variables?: Record<string, unknown>, token?: string) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables })
    })
    return await response.json() as GraphQLResult<T>
  }
  const login: Server['login'] = async (email) => {
    const response = await gql<{ login: { accessToken: string } }>(LOGIN, { email, password: 'fleet-demo' })
    if (response.data === null) throw new Error(`login as ${email} failed: ${JSON.stringify(response.errors)}`)
    return response.data.login.accessToken
  }
  const logs = () => {
    const out = proc.stdout()
    return out.slice(0, out.lastIndexOf('\n')).split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))
  }
  const stop = async () => {
    proc.child.kill('SIGTERM')
    return await proc.exited
  }
  return { process: proc, base, logs, gql, login, stop }
}

void t.test('embedded database: first start, restart on the same DATA_DIR', async (t) => {
  const dataDir = temporaryDirectory(t, 'fleet-server-')
  // A cache of the test's own, empty: the first start has no template yet and makes it.
  const templateCache = temporaryDirectory(t, 'fleet-templates-')
  const env = { DATA_DIR: dataDir, EMBEDDED_TEMPLATE_CACHE: templateCache }
  let facilityId: string

  await t.test('first start makes the template, copies it, loads the demo and says how to sign in', async (t) => {
    const server = await startServer(t, env)
    const out = server.process.stdout()
    t.match(server.base, /^http:\/\/127\.0\.0\.1:\d+$/, 'listens on an ephemeral port it announces')
    t.ok(out.includes(`GraphiQL: ${server.base}/graphiql\n`), 'prints the GraphiQL URL')
    t.ok(out.includes(`Embedded database in ${dataDir}/ (set DATABASE_URL to use PostgreSQL)`), 'says which database it uses')
    t.match(out, /Sign in with the login mutation as fleet_manager@fleet\.example .* and the password fleet-demo\./, 'says how to sign in')

    const graphiql = await fetch(`${server.base}/graphiql`)
    t.equal(graphiql.status, 200, 'GraphiQL is served')
    t.match(await graphiql.text(), /<title>Fleet API · GraphiQL<\/title>/)

    const token = await server.login('fleet_manager@fleet.example')
    const before = await server.gql<Counts>(COUNTS, {}, token)
    t.equal(before.errors, undefined)
    t.equal(before.data?.vehicles.totalCount, 50, 'the demo organization has 50 vehicles')
    t.equal(before.data?.facilities.totalCount, 3, 'and 3 facilities')

    const created = await server.gql<{ createFacility: { id: string, code: string } }>(CREATE_FACILITY,
      { input: { code: 'EAST', name: 'East Yard', type: 'YARD', latitude: 39.97, longitude: -82.85 } }, token)
    t.equal(created.errors, undefined, 'createFacility over HTTP')
    facilityId = created.data?.createFacility.id as string
    t.match(created.data?.createFacility, { id: String, code: 'EAST' })

    t.same(await server.stop(), { code: 0, signal: null }, 'SIGTERM: a clean exit with code 0')
    const logs = server.logs()
    t.match(logs.find((r) => r.msg.startsWith('prepared the embedded database template')), { template: String }, 'the template was made (initdb and every migration)')
    t.match(logs.find((r) => r.msg.startsWith('new embedded database copied')), { dataDir: `${dataDir}/pglite` }, 'the data directory was copied from it')
    t.notOk(logs.some((r) => r.msg.startsWith('applied ')), 'no migration left to apply')
    t.match(logs.find((r) => r.msg === 'loaded the demo fleet into the embedded database'), { seeded: { organizations: 2, vehicles: 56 } }, 'the demo fleet was loaded')
    t.match(logs.find((r) => r.msg.startsWith('shutting down')), { signal: 'SIGTERM' }, 'the shutdown is logged')
    t.equal(server.process.stderr(), '', 'nothing on stderr')
  })

  await t.test('a restart keeps the data and does not load the demo again', async (t) => {
    const server = await startServer(t, env)

    const token = await server.login('fleet_manager@fleet.example')
    const after = await server.gql<Counts>(COUNTS, {}, token)
    t.equal(after.data?.vehicles.totalCount, 50, 'still 50 vehicles')
    t.equal(after.data?.facilities.totalCount, 4, 'the 3 demo facilities and the new one')
    t.match(after.data?.facilities.nodes.find((f) => f.code === 'EAST'), { name: 'East Yard', type: 'YARD' }, 'the facility survived the restart')
    const facility = await server.gql<{ facility: { id: string } | null }>('query ($id: ID!) { facility(id: $id) { id } }', { id: facilityId }, token)
    t.equal(facility.data?.facility?.id, facilityId, 'under the same id')

    t.same(await server.stop(), { code: 0, signal: null })
    const logs = server.logs()
    t.ok(logs.some((r) => r.msg === 'Fleet API ready'), 'the logs are complete')
    t.notOk(logs.some((r) => r.msg.startsWith('applied ') || r.msg.startsWith('new embedded database') || r.msg.startsWith('prepared the')), 'nothing made or applied')
    t.notOk(logs.some((r) => r.msg.startsWith('loaded the demo fleet')), 'the demo is not loaded twice')
  })

  await t.test('another new DATA_DIR is copied from the same template', async (t) => {
    const other = temporaryDirectory(t, 'fleet-server-')
    const server = await startServer(t, { ...env, DATA_DIR: other })
    const token = await server.login('fleet_manager@fleet.example')
    t.equal((await server.gql<Counts>(COUNTS, {}, token)).data?.facilities.totalCount, 3, 'a demo of its own')
    t.same(await server.stop(), { code: 0, signal: null })
    const logs = server.logs()
    t.ok(logs.some((r) => r.msg.startsWith('new embedded database copied')), 'copied')
    t.notOk(logs.some((r) => r.msg.startsWith('prepared the embedded database template')), 'the template was not made again')
  })

  await t.test('the build step prepares the template once, and never for PostgreSQL', async (t) => {
    const cache = temporaryDirectory(t, 'fleet-templates-')
    const first = await runScript('src/cli/embedded-template.ts', [], { env: { EMBEDDED_TEMPLATE_CACHE: cache }, timeoutMs: 120_000 })
    t.equal(first.code, 0, first.stderr)
    t.match(first.stdout, /Embedded database template ready in [\d.]+ s: .*pglite-[0-9a-f]{16}/)
    const second = await runScript('src/cli/embedded-template.ts', [], { env: { EMBEDDED_TEMPLATE_CACHE: cache } })
    t.same([second.code, second.stdout], [0, ''], 'ready already: nothing to do, nothing said')
    const postgres = temporaryDirectory(t, 'fleet-templates-')
    const skipped = await runScript('src/cli/embedded-template.ts', [], { env: { EMBEDDED_TEMPLATE_CACHE: postgres, DATABASE_URL: 'postgres://127.0.0.1:1/none' } })
    t.same([skipped.code, skipped.stdout, readdirSync(postgres)], [0, '', []], 'with DATABASE_URL: nothing to prepare')
  })
})

void t.test('MIGRATE_ON_START=false only reports pending migrations', async (t) => {
  const server = await startServer(t, { DATA_DIR: temporaryDirectory(t, 'fleet-server-'), MIGRATE_ON_START: 'false' })
  t.same(await server.stop(), { code: 0, signal: null })
  const logs = server.logs()
  t.match(logs.find((r) => r.msg.startsWith('database has pending migrations')), { level: 40, pending: Array }, 'a warning names the pending migrations')
  t.notOk(logs.some((r) => r.msg.startsWith('applied ') || r.msg.startsWith('loaded the demo fleet')), 'nothing applied, nothing loaded')
})

void t.test('PostgreSQL: start-up migrates but never loads the demo', { skip: usingPostgres ? false : 'DATABASE_URL is not set' }, async (t) => {
  const { url } = await createDatabase(t, { fromTemplate: false })
  const server = await startServer(t, { DATABASE_URL: url })
  t.notMatch(server.process.stdout(), /Embedded database/)
  const login = await server.gql(LOGIN, { email: 'fleet_manager@fleet.example', password: 'fleet-demo' })
  t.equal(login.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', 'the demo accounts do not exist')
  t.same(await server.stop(), { code: 0, signal: null })
  t.ok(server.logs().some((r) => r.msg.startsWith('applied ')), 'migrations ran')
  t.notOk(server.logs().some((r) => r.msg.startsWith('loaded the demo fleet')), 'no demo data in a PostgreSQL database')
})

// No load shedding: on a busy machine the event loop of a process just started lags past its limit.
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', DB_CONNECTION_TIMEOUT_MS: '1000', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' }
const LISTENING = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/

interface Probe { status: number, body: Record<string, any>, retryAfter: string | null }

async function probe (url: string, init?: RequestInit): Promise<Probe> {
  const response = await fetch(url, init)
  return { status: response.status, body: await response.json() as Record<string, any>, retryAfter: response.headers.get('retry-after') }
}

/** Probes `url` until `accept` holds (the service's own answer is the event awaited). */
async function until (url: string, accept: (probe: Probe) => boolean, timeoutMs = 60_000): Promise<Probe> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answer = await probe(url)
    if (accept(answer)) return answer
    if (Date.now() > deadline) throw new Error(`${url} still answers ${answer.status} ${JSON.stringify(answer.body)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

void t.test('production, PostgreSQL away at start: refused, then silent, then back', { skip: usingPostgres ? false : 'needs PostgreSQL behind a switchable TCP endpoint' }, async (t) => {
  const { url } = await createDatabase(t, { fromTemplate: true })
  const database = new URL(url)
  const endpoint = await switchableEndpoint(t, Number(database.port === '' ? 5432 : database.port))
  database.host = `127.0.0.1:${endpoint.port}`
  const proc = startScript(t, 'src/server.ts', [], { env: { ...PRODUCTION, DATABASE_URL: database.toString() } })
  const base = (await proc.waitForOutput(LISTENING, 60_000))[1] as string

  const refused = await until(`${base}/health/readiness`, (p) => /connection refused/.test(p.body.reason ?? ''))
  t.match(refused, { status: 503, body: { status: 'starting', reason: 'connecting to the database: database not reachable yet (connection refused); retrying' } }, 'readiness says why')
  t.match(await probe(`${base}/health/liveness`), { status: 200, body: { status: 'ok' } }, 'liveness answers: no restart')
  t.match(await probe(`${base}/health/startup`), { status: 503, body: { status: 'starting', reason: /connection refused/ } })
  t.match(await probe(`${base}/health`), { status: 503, body: { status: 'unhealthy', checks: { database: { status: 'down' } } } })
  const early = await probe(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) })
  t.match(early, { status: 503, retryAfter: '2', body: { errors: [{ message: /^Fleet API is starting \(connecting to the database/, extensions: { code: 'SERVICE_UNAVAILABLE' } }] } }, 'requests: 503 with Retry-After, not a hang or a 500')
  t.notMatch(JSON.stringify(early.body), new RegExp(String(endpoint.port)), 'no address in what clients are told')

  await endpoint.stall()
  const silent = await until(`${base}/health/readiness`, (p) => /timed out/.test(p.body.reason ?? ''))
  t.match(silent, { status: 503, body: { status: 'starting', reason: /database not reachable yet \(connection timed out\); retrying/ } }, 'a listener that never answers is told apart')
  t.match(await probe(`${base}/health/liveness`), { status: 200 }, 'liveness still answers')
  t.match(await probe(`${base}/health`), { status: 503, body: { status: 'unhealthy' } })

  await endpoint.forward()
  const back = Date.now()
  await until(`${base}/health/readiness`, (p) => p.status === 200)
  t.pass(`ready ${Date.now() - back} ms after PostgreSQL answered, without a restart`)
  t.match(await probe(`${base}/health/startup`), { status: 200 })
  const login = await probe(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: LOGIN, variables: { email: 'fleet_manager@fleet.example', password: 'fleet-demo' } }) })
  t.match(login, { status: 200, body: { data: { login: { accessToken: String } } } }, 'and serves')

  proc.child.kill('SIGTERM')
  t.same(await proc.exited, { code: 0, signal: null })
  const logs = proc.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string, level: number })
  t.equal(logs.filter((r) => r.msg.startsWith('database not reachable yet')).length, 1, 'the outage is logged once, not at every retry')
  t.ok(logs.some((r) => r.msg === 'database reachable; start-up continued'), 'and its end')
  t.notOk(logs.some((r) => r.level >= 60), 'nothing fatal')
})

void t.test('SIGTERM while waiting for PostgreSQL: a clean exit', { skip: usingPostgres ? false : 'needs a PostgreSQL URL whose port refuses' }, async (t) => {
  const endpoint = await switchableEndpoint(t, 1)
  const proc = startScript(t, 'src/server.ts', [], { env: { ...PRODUCTION, DATABASE_URL: `postgres://fleet@127.0.0.1:${endpoint.port}/fleet` } })
  const base = (await proc.waitForOutput(LISTENING, 60_000))[1] as string
  await until(`${base}/health/readiness`, (p) => /connection refused/.test(p.body.reason ?? ''))
  proc.child.kill('SIGTERM')
  t.same(await proc.exited, { code: 0, signal: null }, 'exit code 0: start-up stops retrying')
  t.equal(proc.stderr(), '')
})
