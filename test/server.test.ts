import t, { type Test } from 'tap'
import { createDatabase, usingPostgres } from './helpers/database.js'
import { type Env, type RunningProcess, startScript, temporaryDirectory } from './helpers/process.js'

// The process entry as a developer meets it: `node --import tsx src/server.ts` with no
// configuration at all migrates an embedded database, loads the demo fleet, prints where to
// go and how to sign in, serves real HTTP, and exits cleanly on SIGTERM, keeping its data.

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
  let facilityId: string

  await t.test('first start migrates, loads the demo and says how to sign in', async (t) => {
    const server = await startServer(t, { DATA_DIR: dataDir })
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
    t.match(logs.find((r) => r.msg.startsWith('applied ')), { msg: /^applied \d+ migration\(s\)$/, applied: Array }, 'migrations ran')
    t.match(logs.find((r) => r.msg === 'loaded the demo fleet into the embedded database'), { seeded: { organizations: 2, vehicles: 56 } }, 'the demo fleet was loaded')
    t.match(logs.find((r) => r.msg.startsWith('shutting down')), { signal: 'SIGTERM' }, 'the shutdown is logged')
    t.equal(server.process.stderr(), '', 'nothing on stderr')
  })

  await t.test('a restart keeps the data and does not load the demo again', async (t) => {
    const server = await startServer(t, { DATA_DIR: dataDir })

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
    t.notOk(logs.some((r) => r.msg.startsWith('applied ')), 'no migration to apply')
    t.notOk(logs.some((r) => r.msg.startsWith('loaded the demo fleet')), 'the demo is not loaded twice')
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
