import { SignJWT } from 'jose'
import { sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { buildTestApp, codes } from './helpers/app.js'
import { demoDatabase, proxiedDemoDatabase, switchableDemoDatabase, usingPostgres } from './helpers/database.js'
import { ok } from './helpers/graphql.js'

// Errors are part of the contract: a code in extensions, the field at fault where there is one,
// no SQL or stack traces, and a 4xx (never a 500) for anything the client got wrong.

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars', DATABASE_URL: 'postgres://unused.invalid/db' }

void t.test('malformed requests and invalid documents: BAD_USER_INPUT, nothing run, the status of the media type', async (t) => {
  const { app } = await buildTestApp(t)
  const post = async (payload: string, contentType = 'application/json', accept?: string) => {
    const response = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': contentType, ...(accept === undefined ? {} : { accept }) }, payload })
    return { status: response.statusCode, body: response.json() }
  }
  const refused = (label: string, body: any) => {
    t.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${label}: BAD_USER_INPUT`)
    t.notMatch(JSON.stringify(body), /at .*\.(js|ts):\d+/, `${label}: no stack trace`)
    t.notOk('data' in body, `${label}: no data (nothing ran)`)
  }
  for (const [label, payload] of [['broken JSON', '{"query": '], ['no query', '{}'], ['variables that are a list', JSON.stringify({ query: '{ me { id } }', variables: [1] })]] as const) {
    const { status, body } = await post(payload)
    t.equal(status, 400, `${label}: 400`)
    refused(label, body)
  }
  // GraphQL's own request errors: 400 in application/graphql-response+json; application/json
  // answers them 200, as the GraphQL-over-HTTP spec asks of that media type.
  const cases: Array<[string, string]> = [
    ['syntax error', JSON.stringify({ query: '{ vehicles { ' })],
    ['unknown field', JSON.stringify({ query: '{ vehicles { nope } }' })],
    ['wrong variable type', JSON.stringify({ query: 'query ($n: Int) { vehicles(first: $n) { totalCount } }', variables: { n: 'ten' } })],
    ['invalid DateTime literal', JSON.stringify({ query: '{ drivers(filter: { licenseExpiresBefore: "tomorrow" }) { totalCount } }' })],
    ['DateTime without a zone', JSON.stringify({ query: 'query ($d: DateTime) { drivers(filter: { licenseExpiresBefore: $d }) { totalCount } }', variables: { d: '2026-01-01T00:00:00' } })]
  ]
  for (const [label, payload] of cases) {
    const modern = await post(payload, 'application/json', 'application/graphql-response+json')
    t.equal(modern.status, 400, `${label}: 400 in application/graphql-response+json`)
    refused(label, modern.body)
    const legacy = await post(payload, 'application/json', 'application/json')
    t.equal(legacy.status, 200, `${label}: 200 in application/json`)
    refused(`${label} (application/json)`, legacy.body)
  }
  const text = await post('query { me { id } }', 'text/plain')
  t.ok(text.status >= 400 && text.status < 500, 'unsupported content type is a 4xx')

  const mutationByGet = await app.inject({ method: 'GET', url: '/graphql?query=' + encodeURIComponent('mutation { logout(refreshToken: "x") }') })
  t.ok(mutationByGet.statusCode >= 400 && mutationByGet.statusCode < 500, 'a mutation over GET is refused')
  t.equal(mutationByGet.json().errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')

  const queryByGet = await app.inject({ method: 'GET', url: '/graphql?query=' + encodeURIComponent('{ me { id } }') })
  t.same(queryByGet.json(), { data: { me: null } }, 'queries work over GET')
})

void t.test('invalid arguments name the field', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const token = await login('fleet_manager@fleet.example')
  const badId = await gql('{ vehicle(id: "42") { id } }', {}, token)
  t.same(codes(badId), ['BAD_USER_INPUT'])
  t.equal(badId.errors?.[0]?.extensions.field, 'id')
  const missing = await gql('{ vehicle(id: "00000000-0000-4000-8000-000000000000") { id } }', {}, token)
  t.same(missing.data, { vehicle: null }, 'a well-formed unknown id is simply null')
  const update = await gql('mutation { updateVehicle(id: "00000000-0000-4000-8000-000000000000", input: { expectedVersion: 1, name: "x" }) { id } }', {}, token)
  t.same(codes(update), ['NOT_FOUND'])
})

void t.test('database constraint violations are mapped, never leaked', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const token = await login('fleet_manager@fleet.example')
  const first = await gql<{ facilities: { nodes: Array<{ code: string }> } }>('{ facilities(first: 1) { nodes { code } } }', {}, token)
  const code = first.data?.facilities.nodes[0]?.code as string
  const duplicate = await gql(`mutation { createFacility(input: { code: "${code}", name: "Twin", type: YARD }) { id } }`, {}, token)
  t.same(codes(duplicate), ['CONFLICT'])
  t.equal(duplicate.errors?.[0]?.extensions.field, 'input.code')
  t.notMatch(JSON.stringify(duplicate.errors), /facilities_code_unique|duplicate key|SQL|INSERT/i, 'no constraint names or SQL')
})

void t.test('unexpected errors are logged with the request id and masked in production', async (t) => {
  for (const [mode, env] of [['test', {}], ['production', PRODUCTION]] as const) {
    const { gql, login, app } = await buildTestApp(t, { env })
    const token = await login('fleet_manager@fleet.example')
    // Break the database under the running app: a column the code relies on disappears.
    await sql`ALTER TABLE facilities RENAME COLUMN name TO name_gone`.execute(app.db)
    const response = await gql('{ facilities { nodes { name } } }', {}, token)
    t.same(codes(response), ['INTERNAL_SERVER_ERROR'], mode)
    t.equal(response.status, 500, `${mode}: a bug without data is a 500`)
    if (mode === 'production') {
      t.equal(response.errors?.[0]?.message, 'Internal server error', 'masked in production')
    } else {
      t.match(response.errors?.[0]?.message, /name/, 'the real message outside production')
    }
    t.notMatch(JSON.stringify(response), /\n\s+at /, 'never a stack trace')
  }
})

void t.test('a slow database becomes SERVICE_UNAVAILABLE (statement timeout)', { skip: usingPostgres ? false : 'needs PostgreSQL: PGlite runs in-process and cannot cancel a statement' }, async (t) => {
  const target = await demoDatabase(t)
  if (target.kind !== 'postgres') throw new Error('expected PostgreSQL')
  const { gql, login, app } = await buildTestApp(t, { database: { ...target, pool: { ...target.pool, statementTimeoutMs: 200 } } })
  const token = await login('fleet_manager@fleet.example')
  await sql`CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$`.execute(app.db)
  await sql`CREATE TRIGGER slow_insert BEFORE INSERT ON facilities FOR EACH ROW EXECUTE FUNCTION slow_insert()`.execute(app.db)
  const response = await gql('mutation { createFacility(input: { code: "SLOW", name: "Slow", type: YARD }) { id } }', {}, token)
  t.same(codes(response), ['SERVICE_UNAVAILABLE'])
  t.equal(response.status, 503)
  t.match(response.errors?.[0]?.message, /too long/)
  const after = await gql<{ facilities: { totalCount: number } }>('{ facilities { totalCount } }', {}, token)
  t.equal(after.data?.facilities.totalCount, 3, 'nothing was written, and reads still work')
})

void t.test('an unreachable database becomes SERVICE_UNAVAILABLE, not a crash', { skip: usingPostgres ? false : 'needs PostgreSQL over TCP (the embedded database cannot go away)' }, async (t) => {
  const { database, endpoint } = await switchableDemoDatabase(t)
  const { gql, config } = await buildTestApp(t, { database })
  // Started, then the server goes away: nothing listens on its address any more.
  await endpoint.refuse()
  // A well-formed token: checking it against the user's state needs the database.
  const token = await new SignJWT({ org: '00000000-0000-4000-8000-000000000001', role: 'VIEWER', sep: 0 })
    .setProtectedHeader({ alg: 'HS256' }).setSubject('00000000-0000-4000-8000-000000000002')
    .setIssuer('fleet-api').setAudience('fleet-api').setIssuedAt().setExpirationTime('5m')
    .sign(new TextEncoder().encode(config.JWT_SECRET))
  const response = await gql('{ vehicles { totalCount } }', {}, token)
  t.same(codes(response), ['SERVICE_UNAVAILABLE'])
  t.equal(response.status, 503)
  t.notMatch(JSON.stringify(response), new RegExp(`127\\.0\\.0\\.1|ECONNREFUSED|${new URL(database.url).pathname.slice(1)}|${endpoint.port}`), 'no host names or driver errors')
})

void t.test('a connection cut under a running statement becomes SERVICE_UNAVAILABLE, not a crash', { skip: usingPostgres ? false : 'needs PostgreSQL over TCP' }, async (t) => {
  const { database, direct, proxy } = await proxiedDemoDatabase(t)
  const { gql, login } = await buildTestApp(t, { database, env: { CACHE_TTL_SECONDS: '0' } })
  const token = await login('fleet_manager@fleet.example')
  const facility = ok(await gql<any>('{ facilities(first: 1) { nodes { id version } } }', {}, token)).facilities.nodes[0]

  // Another session holds the facility's row, so the mutation's UPDATE waits on a checked-out
  // connection; then that connection is cut (a failover, a network fault).
  const blocker = new pg.Client({ connectionString: direct.url })
  await blocker.connect()
  t.teardown(async () => { await blocker.end() })
  await blocker.query('begin')
  // (A lock for writing needs a write scope: the write policies hide the row otherwise.)
  await blocker.query("select set_config('fleet.organization_id', '*', true)")
  t.equal((await blocker.query('select id from facilities where id = $1 for update', [facility.id])).rowCount, 1)
  const pending = gql('mutation ($id: ID!, $v: Int!) { updateFacility(id: $id, input: { expectedVersion: $v, name: "Cut off" }) { name } }', { id: facility.id, v: facility.version }, token)
  for (let waited = 0; ; waited += 20) {
    const { rows } = await blocker.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'fleet-api' and wait_event_type = 'Lock'")
    if (rows[0].n > 0) break
    if (waited > 10_000) throw new Error('the mutation never waited on the lock')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  proxy.reset()
  const cut = await pending
  t.same(codes(cut), ['SERVICE_UNAVAILABLE'], 'the request is answered, as an outage')
  t.equal(cut.status, 503)
  await blocker.query('rollback')

  const after = ok(await gql<any>('query ($id: ID!) { facility(id: $id) { name version } }', { id: facility.id }, token)).facility
  t.equal(after.version, facility.version, 'the service goes on with fresh connections; nothing was written')
  t.not(after.name, 'Cut off')
})

void t.test('request ids: honoured when sane, generated otherwise, always returned', async (t) => {
  const { app } = await buildTestApp(t)
  const given = await app.inject({ method: 'POST', url: '/graphql', headers: { 'x-request-id': 'edge-1234.abc' }, payload: { query: '{ me { id } }' } })
  t.equal(given.headers['x-request-id'], 'edge-1234.abc')
  const hostile = await app.inject({ method: 'POST', url: '/graphql', headers: { 'x-request-id': 'x\u0000'.repeat(200) }, payload: { query: '{ me { id } }' } })
  t.match(hostile.headers['x-request-id'], /^[0-9a-f-]{36}$/)
})
