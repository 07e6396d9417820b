import { createHash, randomUUID } from 'node:crypto'
import { connect } from 'node:net'
import type { InjectOptions } from 'fastify'
import { getNamedType, type GraphQLOutputType, isInputObjectType, isNonNullType, isObjectType } from 'graphql'
import { generateKeyPair, SignJWT } from 'jose'
import t, { type Test } from 'tap'
import { loadSchema } from '../src/graphql/schema.js'
import { buildTestApp } from './helpers/app.js'
import { ROOT } from './helpers/environment.js'
import {
  type Claims, codesOf, errorsOf, failuresOf, leaksOf, plainLeaf, type Reply, replyOf, signedToken, stringsIn, tamperedToken, textSlots, unsignedToken
} from './helpers/hostile.js'
import { loadTestPlans, type Samples, type Self } from './helpers/plans/index.js'
import { buildArgs, type Filler, isConnection, pathName, type RootField, rootFields, selectionFor } from './helpers/schema-walk.js'

// Hostile input, thrown at a production build through its public surface: malformed bodies and
// content types, invalid GraphQL, deep and wide queries, oversized strings and lists, bad and
// foreign UUIDs, forged and revoked tokens, broken HTTP, and SQL / script injection strings in
// every String and ID argument of every root field (walked from schema/*.graphql, so new fields
// are attacked too). Every answer must be a 4xx or a GraphQL error with a code of the contract:
// never a 5xx, never a stack trace, SQL, a host name or a path; and the service must answer a
// signed-in query normally after each group. What the barrage needs to know of a root field (the
// values it must fix, what to undo after a call, ...) is its module's: the `hostile` part of
// src/modules/<name>/test-plan.ts (test/helpers/plans/).

const plans = await loadTestPlans()
const { fixed: FIXED, refusedInData: REFUSED_IN_DATA, storedIn: STORED_IN, after: AFTER, self: SELF, unique: UNIQUE } = plans.hostile

const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a-production-secret-of-at-least-32-chars',
  DATABASE_URL: 'postgres://unused.invalid/db',
  // The embedded database runs on the event loop: load shedding (tested on its own) would answer
  // 503 to the large requests below for reasons that have nothing to do with their content.
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
  OVERLOAD_MAX_HEAP_PERCENT: '0'
}

// Product bugs this suite finds and that are not fixed yet: the assertions of the cases named in
// KNOWN_BUGS / KNOWN_BARRAGE_BUGS run as `todo` (reported, not failing the run). The suite's first
// run found eight (a compiled document's bad variables, a \`query\` that is no GraphQL text, a
// subscription over HTTP, 100 000-entry enum lists, forged cursor values, a NUL at sign-in, lone
// surrogates, a stale switch read after a change); all are fixed, and these cases guard them.
const BUG: Record<string, string> = {}
const KNOWN_BUGS: Record<string, keyof typeof BUG> = {}

/** Hostile strings for every String and ID position, sent as variables (never spliced into the document). */
const HOSTILE: ReadonlyArray<{ name: string, value: string }> = [
  { name: 'SQL tautology', value: "' OR 1=1 --" },
  { name: 'SQL stacked DROP TABLE', value: "'; DROP TABLE vehicles; --" },
  { name: 'SQL UNION', value: "x' UNION SELECT password_hash FROM users --" },
  { name: 'LIKE wildcards and backslash', value: '%_\\%' },
  { name: 'script tag', value: '<script>alert(1)</script>' },
  { name: 'template expressions', value: '{{7*7}} ${7*7} #{7*7}' },
  { name: 'path traversal', value: '../../etc/passwd' },
  { name: 'percent-encoded NUL', value: '%00' },
  { name: 'NUL byte', value: 'nul\u0000byte' },
  { name: 'CRLF header injection', value: 'line\r\nSet-Cookie: x=1' },
  { name: 'lone surrogate', value: 'bad\ud800surrogate' },
  { name: 'long unicode (20,000 UTF-16 units)', value: '🚚Ünïcödé—'.repeat(2000) }
]

const SOME_UUID = 'b3a1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'
/** Not UUIDs, though some look close. */
const MALFORMED_IDS: ReadonlyArray<{ name: string, value: string }> = [
  { name: 'not-a-uuid', value: 'not-a-uuid' },
  { name: 'empty', value: '' },
  { name: 'blank', value: '   ' },
  { name: 'trailing space', value: `${SOME_UUID} ` },
  { name: 'leading space', value: ` ${SOME_UUID}` },
  { name: 'braces', value: `{${SOME_UUID}}` },
  { name: 'no dashes', value: SOME_UUID.replaceAll('-', '') },
  { name: 'non-hex digit', value: SOME_UUID.replace('b', 'g') },
  { name: 'one character short', value: SOME_UUID.slice(1) },
  { name: 'UUID then SQL', value: `${SOME_UUID}' OR '1'='1` },
  { name: 'an integer', value: '42' }
]
/** The ones every ID position of the barrage gets too (lookups by id get them all). */
const BARRAGE_MALFORMED_IDS = MALFORMED_IDS.filter((m) => ['empty', 'trailing space', 'no dashes', 'UUID then SQL'].includes(m.name))
const NIL_UUID = '00000000-0000-0000-0000-000000000000'
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff'

// ---- Judging answers. ----

interface Expect {
  /** The HTTP status, or the acceptable ones. */
  status?: number | readonly number[]
  /** The error codes, in order (empty: no errors). */
  codes?: readonly string[]
  /** At least one error, and every error has this code (one per failing field, say). */
  each?: string
  /** `extensions.field` of the first error. */
  field?: string
  /** Codes outside the contract that this case may answer with (a protocol's own, such as Apollo's APQ). */
  alsoCodes?: readonly string[]
  /** Further checks (pass `todo` on to their assertions). */
  check?: (t: Test, reply: Reply, todo: { todo?: string }) => void
}

/** Asserts the rules every answer obeys, then what this case expects. */
function verify (t: Test, label: string, reply: Reply, expect: Expect = {}, sent: readonly string[] = []): void {
  const bug = KNOWN_BUGS[label]
  const todo = bug === undefined ? {} : { todo: `known product bug BUG.${bug}` }
  t.same(failuresOf(reply, expect.alsoCodes), [], `${label}: no 5xx, only codes of the contract`, todo)
  // Never todo: whatever goes wrong, nothing internal may reach the client.
  t.same(leaksOf(reply, sent), [], `${label}: nothing internal in the body`)
  if (expect.status !== undefined) {
    const allowed = typeof expect.status === 'number' ? [expect.status] : expect.status
    t.ok(allowed.includes(reply.status), `${label}: HTTP ${allowed.join(' or ')} (got ${reply.status})`, todo)
  }
  if (expect.codes !== undefined) t.same(codesOf(reply), expect.codes, `${label}: ${expect.codes.length === 0 ? 'no errors' : expect.codes.join(', ')}`, todo)
  if (expect.each !== undefined) {
    const codes = codesOf(reply)
    t.ok(codes.length > 0 && codes.every((code) => code === expect.each), `${label}: ${expect.each} for every error (got ${codes.join(', ') || 'none'})`, todo)
  }
  if (expect.field !== undefined) t.equal(errorsOf(reply)[0]?.extensions?.field, expect.field, `${label}: extensions.field is ${expect.field}`, todo)
  expect.check?.(t, reply, todo)
}

interface Case {
  name: string
  send: () => Promise<Reply>
  expect: Expect
  /** What the request carried that may come back (echoed in a message or stored). */
  sent?: readonly string[]
}

/**
 * Sends each case and verifies its answer. `twice`: each case again right after, because the
 * second time a document arrives Mercurius runs it compiled (graphql-jit, `jit: 1`), through
 * different code.
 */
async function run (t: Test, cases: readonly Case[], options: { twice?: boolean } = {}): Promise<void> {
  const names = new Set<string>()
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`two cases are named "${c.name}"`)
    names.add(c.name)
    verify(t, c.name, await c.send(), c.expect, c.sent)
    if (options.twice === true) verify(t, `${c.name} (sent again)`, await c.send(), c.expect, c.sent)
  }
}

const BAD_REQUEST: Expect = { status: 400, codes: ['BAD_USER_INPUT'] }
const TOO_COMPLEX: Expect = { status: 400, codes: ['QUERY_TOO_COMPLEX'] }
/** Refused in the resolver: GraphQL over HTTP answers 200 with the error (and null data). */
const refusedField = (field: string): Expect => ({ status: 200, codes: ['BAD_USER_INPUT'], field })
const UNAUTHENTICATED: Expect = { status: 200, codes: ['UNAUTHENTICATED'] }

const base64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const cursor = (ordering: string, value: unknown, id: string = SOME_UUID): string => base64url([ordering, value, id])

/** Sends raw bytes over TCP and returns the first line of the answer ('' if the server just closed). */
async function rawHttp (port: number, bytes: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.setTimeout(5000, () => { socket.destroy(); reject(new Error('no answer within 5 s')) })
    socket.on('data', (chunk) => { answer += chunk.toString('latin1') })
    socket.on('error', () => resolve(answer.split('\r\n')[0] ?? ''))
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''))
    socket.write(bytes, 'latin1')
  })
}

// ---- The service under attack. ----

async function target (t: Test) {
  const { app, config, login } = await buildTestApp(t, { env: PRODUCTION })
  // The statuses GraphQL over HTTP gives with its own media type, where every refused request is a
  // 4xx (application/json answers GraphQL's request errors 200: test/graphql-over-http.test.ts).
  const inject = async (options: InjectOptions): Promise<Reply> => replyOf(await app.inject({ ...options, headers: { accept: 'application/graphql-response+json', ...options.headers } }))
  const post = async (payload: unknown, headers: Record<string, string | string[]> = {}): Promise<Reply> => await inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload)
  })
  const admin = await login('admin@fleet.example')
  const ask = async (query: string, variables?: object, token: string | null = admin): Promise<Reply> =>
    await post({ query, variables }, token === null ? {} : { authorization: `Bearer ${token}` })
  const get = async (query: string, variables: object = {}, token: string | null = admin): Promise<Record<string, any>> => {
    const reply = await ask(query, variables, token)
    if (reply.status !== 200 || codesOf(reply).length > 0) throw new Error(`set-up query failed: ${reply.text.slice(0, 300)}`)
    return reply.body.data
  }
  const { me } = await get('{ me { id organization { id } } }')
  const adminId: string = me.id
  const organizationId: string = me.organization.id

  /** The check after each group: a normal signed-in query still answers, with the expected fleet. */
  const stillServes = async (t: Test, label: string, vehicles?: number): Promise<void> => {
    const reply = await ask('{ me { id } vehicles(first: 1) { totalCount nodes { id } } }')
    t.equal(reply.status, 200, `${label}: afterwards a signed-in query answers 200`)
    t.same(codesOf(reply), [], `${label}: afterwards without errors`)
    t.equal(reply.body?.data?.me?.id, adminId, `${label}: afterwards me is the signed-in admin`)
    const count = reply.body?.data?.vehicles?.totalCount
    if (vehicles === undefined) t.ok(typeof count === 'number' && count >= 50, `${label}: afterwards the demo fleet is listed (${String(count)} vehicles)`)
    else t.equal(count, vehicles, `${label}: afterwards the demo fleet is listed, unchanged (${vehicles} vehicles)`)
  }
  return { app, config, login, inject, post, ask, get, admin, adminId, organizationId, stillServes }
}
type Target = Awaited<ReturnType<typeof target>>

void t.test('the judge recognises what it must refuse', async (t) => {
  const reply = (status: number, body: unknown): Reply => ({ status, text: JSON.stringify(body), body })
  const error = (message: string, code = 'BAD_USER_INPUT'): unknown => ({ data: null, errors: [{ message, extensions: { code } }] })
  t.same(failuresOf(reply(400, error('Bad'))), [], 'a 400 with BAD_USER_INPUT is fine')
  t.equal(failuresOf(reply(500, error('Internal server error', 'INTERNAL_SERVER_ERROR'))).length, 2, 'a 500 and INTERNAL_SERVER_ERROR')
  t.equal(failuresOf(reply(200, error('Overloaded', 'SERVICE_UNAVAILABLE'))).length, 1, 'SERVICE_UNAVAILABLE, even with 200')
  t.equal(failuresOf(reply(400, { errors: [{ message: 'no code' }] })).length, 1, 'an error without a code')
  t.equal(failuresOf(reply(400, error('x', 'OOPS'))).length, 1, 'a code outside the contract')
  t.equal(failuresOf({ status: 400, text: '<html>', body: undefined }).length, 1, 'a body that is not JSON')
  const leaking: Array<[string, string]> = [
    ['a stack frame', 'TypeError: x\n    at resolve (/app/dist/src/modules/vehicles/resolvers.js:12:5)'],
    ['a TypeScript location', 'failed in resolvers.ts:42'],
    ['a module path', 'Cannot find module node_modules/pg'],
    ['SQL', 'select "id" from "vehicles" where "number" = $1'],
    ['a PostgreSQL message', 'syntax error at or near "OR"'],
    ['a missing relation', 'relation "vehicles" does not exist'],
    ['a constraint name', 'Key violates vehicles_number_unique'],
    ['a driver error', 'connect ECONNREFUSED'],
    ['a host name', 'could not reach unused.invalid'],
    ['a path of this machine', `open ${ROOT}src/app.ts`]
  ]
  for (const [what, message] of leaking) t.not(leaksOf(reply(400, error(message))).length, 0, `${what} is a leak`)
  const sql = "x' UNION SELECT password_hash FROM users --"
  t.same(leaksOf(reply(200, { data: { vehicle: { name: sql } } }), [sql]), [], 'SQL the client sent itself, read back, is not a leak')
  t.not(leaksOf(reply(200, { data: { vehicle: { name: sql } } }), []).length, 0, '... but the same text from nowhere is')
})

void t.test('hostile input against a production build', async (t) => {
  for (const [key, bug] of Object.entries(BUG)) t.comment(`known product bug BUG.${key} (its cases run as todo): ${bug}`)
  const h = await target(t)
  const DEMO_VEHICLES = (await h.get('{ vehicles { totalCount } }')).vehicles.totalCount as number
  t.equal(DEMO_VEHICLES, 50, 'the demo fleet has its 50 vehicles to begin with')
  const raw = async (payload: string | Buffer, contentType?: string): Promise<Reply> =>
    await h.inject({ method: 'POST', url: '/graphql', headers: contentType === undefined ? {} : { 'content-type': contentType }, payload })
  const JSON_TYPE = 'application/json'

  await t.test('HTTP: malformed bodies, wrong content types and methods', async (t) => {
    const getQuery = async (search: string): Promise<Reply> => await h.inject({ method: 'GET', url: `/graphql?${search}` })
    const astOf = (definitions: unknown): string => JSON.stringify({ kind: 'Document', definitions })
    await run(t, [
      { name: 'malformed JSON', send: () => raw('{"query": ', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'an unterminated JSON string', send: () => raw('{"query":"{ me { id } }', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'JSON followed by garbage', send: () => raw('{"query":"{ me { id } }"} trailing', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'GraphQL text labelled application/json', send: () => raw('{ me { id } }', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'bytes that are not UTF-8', send: () => raw(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), JSON_TYPE), expect: BAD_REQUEST },
      { name: 'an empty body', send: () => raw('', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'a JSON number', send: () => raw('42', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'a JSON string', send: () => raw('"{ me { id } }"', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'JSON null', send: () => raw('null', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'JSON true', send: () => raw('true', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'an object without a query', send: () => h.post({}), expect: BAD_REQUEST },
      { name: 'a batch of things that are not operations', send: () => h.post([1, null, 'x']), expect: BAD_REQUEST },
      {
        name: 'an empty batch',
        send: () => h.post([]),
        // Nothing asked, nothing answered: an empty list, or a refusal.
        expect: { status: [200, 400], check: (t, r) => t.ok(Array.isArray(r.body) ? r.body.length === 0 : codesOf(r)[0] === 'BAD_USER_INPUT', 'an empty batch: [] or BAD_USER_INPUT') }
      },
      { name: 'query is null', send: () => h.post({ query: null }), expect: BAD_REQUEST },
      { name: 'query is a number', send: () => h.post({ query: 42 }), expect: BAD_REQUEST },
      { name: 'query is true', send: () => h.post({ query: true }), expect: BAD_REQUEST },
      { name: 'query is an object', send: () => h.post({ query: { a: 1 } }), expect: BAD_REQUEST },
      { name: 'query is an empty list', send: () => h.post({ query: [] }), expect: BAD_REQUEST },
      { name: 'query is a list of two', send: () => h.post({ query: ['{ me { id } }', '{ me { id } }'] }), expect: BAD_REQUEST },
      {
        name: 'query is a one-element list',
        send: () => h.post({ query: ['{ me { id } }'] }),
        // Fastify's schema coercion may take the element for the string; either way no harm.
        expect: { status: [200, 400], check: (t, r) => t.ok(r.status === 400 || r.body?.data?.me === null, 'refused, or answered as the plain query') }
      },
      { name: 'query is JSON text that is no GraphQL document', send: () => h.post({ query: '{"a":1}' }), expect: BAD_REQUEST },
      { name: 'query is a JSON syntax tree without definitions', send: () => h.post({ query: '{"kind":"Document"}' }), expect: BAD_REQUEST },
      { name: 'query is a JSON syntax tree with a broken operation', send: () => h.post({ query: astOf([{ kind: 'OperationDefinition', operation: 'query' }]) }), expect: BAD_REQUEST },
      { name: 'variables is a string', send: () => h.post({ query: '{ me { id } }', variables: '{}' }), expect: BAD_REQUEST },
      { name: 'variables is a list', send: () => h.post({ query: '{ me { id } }', variables: [1, 2] }), expect: BAD_REQUEST },
      { name: 'variables is a number', send: () => h.post({ query: '{ me { id } }', variables: 5 }), expect: BAD_REQUEST },
      { name: 'extensions is a string', send: () => h.post({ query: '{ me { id } }', extensions: 'x' }), expect: BAD_REQUEST },
      { name: 'operationName names no operation', send: () => h.post({ query: 'query A { me { id } }', operationName: 'B' }), expect: BAD_REQUEST },
      { name: 'operationName is a number', send: () => h.post({ query: 'query A { me { id } }', operationName: 42 }), expect: BAD_REQUEST },
      { name: 'two operations without operationName', send: () => h.post({ query: 'query A { me { id } } query B { me { id } }' }), expect: BAD_REQUEST },
      { name: '__proto__ in the body', send: () => raw('{"query":"{ me { id } }","__proto__":{"isAdmin":true}}', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'constructor.prototype in variables', send: () => raw('{"query":"{ me { id } }","variables":{"constructor":{"prototype":{"isAdmin":true}}}}', JSON_TYPE), expect: BAD_REQUEST },
      { name: 'text/plain carrying GraphQL', send: () => raw('{ me { id } }', 'text/plain'), expect: { status: [400, 415], codes: ['BAD_USER_INPUT'] } },
      { name: 'text/plain carrying JSON', send: () => raw('{"query":"{ me { id } }"}', 'text/plain'), expect: { status: [400, 415], codes: ['BAD_USER_INPUT'] } },
      { name: 'application/x-www-form-urlencoded', send: () => raw('query=%7B%20me%20%7B%20id%20%7D%20%7D', 'application/x-www-form-urlencoded'), expect: { status: 415, codes: ['BAD_USER_INPUT'] } },
      {
        name: 'multipart/form-data (an upload)',
        send: () => raw('--X\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ me { id } }"}\r\n--X--\r\n', 'multipart/form-data; boundary=X'),
        expect: { status: 415, codes: ['BAD_USER_INPUT'] }
      },
      { name: 'application/xml', send: () => raw('<query>{ me { id } }</query>', 'application/xml'), expect: { status: 415, codes: ['BAD_USER_INPUT'] } },
      { name: 'no content type', send: () => raw(Buffer.from('{"query":"{ me { id } }"}')), expect: { status: 415, codes: ['BAD_USER_INPUT'] } },
      { name: 'GET with a mutation', send: () => getQuery(`query=${encodeURIComponent('mutation { logout(refreshToken: "x") }')}`), expect: { status: 405, codes: ['BAD_USER_INPUT'] } },
      { name: 'GET without a query', send: () => getQuery(''), expect: BAD_REQUEST },
      { name: 'GET with variables that are not JSON', send: () => getQuery(`query=${encodeURIComponent('{ me { id } }')}&variables=notjson`), expect: BAD_REQUEST },
      { name: 'GET with two queries', send: () => getQuery('query=%7Bme%7Bid%7D%7D&query=%7Bme%7Bid%7D%7D'), expect: BAD_REQUEST },
      { name: 'GET with an operationName that names no operation', send: () => getQuery('query=%7Bme%7Bid%7D%7D&operationName=B'), expect: BAD_REQUEST },
      { name: 'PUT /graphql', send: () => h.inject({ method: 'PUT', url: '/graphql', headers: { 'content-type': JSON_TYPE }, payload: '{"query":"{ me { id } }"}' }), expect: { status: [404, 405] } },
      { name: 'DELETE /graphql', send: () => h.inject({ method: 'DELETE', url: '/graphql' }), expect: { status: [404, 405] } },
      { name: 'a path-traversal URL', send: () => h.inject({ method: 'GET', url: '/graphql/../../../etc/passwd' }), expect: { status: [400, 404] } }
    ], { twice: true })
    await h.stillServes(t, 'HTTP', DEMO_VEHICLES)
  })

  await t.test('GraphQL: invalid documents, variables and operations', async (t) => {
    const ask = async (query: string, variables?: object): Promise<Reply> => await h.ask(query, variables)
    await run(t, [
      { name: 'a syntax error', send: () => ask('{ vehicles { '), expect: BAD_REQUEST },
      { name: 'an unterminated string', send: () => ask('{ vehicle(id: "abc) { id } }'), expect: BAD_REQUEST },
      { name: 'a NUL character in the document', send: () => ask('{ me { id } }\u0000'), expect: BAD_REQUEST },
      { name: 'a document of only a comment', send: () => ask('# nothing to see'), expect: BAD_REQUEST },
      { name: 'an unknown field', send: () => ask('{ nope }'), expect: BAD_REQUEST },
      { name: 'an unknown nested field', send: () => ask('{ vehicles { nodes { nope } } }'), expect: BAD_REQUEST },
      { name: 'a 50,000-character field name', send: () => ask(`{ ${'x'.repeat(50_000)} }`), expect: BAD_REQUEST },
      { name: 'a missing required argument', send: () => ask('{ vehicle { id } }'), expect: BAD_REQUEST },
      { name: 'an argument of the wrong type', send: () => ask('{ vehicles(first: "ten") { totalCount } }'), expect: BAD_REQUEST },
      { name: 'an enum value given as a string', send: () => ask('{ vehicles(orderBy: { field: "NAME" }) { totalCount } }'), expect: BAD_REQUEST },
      { name: 'an unknown enum value in variables', send: () => ask('query ($s: [VehicleStatus!]) { vehicles(filter: { status: $s }) { totalCount } }', { s: ['EXPLODED'] }), expect: BAD_REQUEST },
      { name: 'an unknown input field', send: () => ask('{ vehicles(filter: { evil: true }) { totalCount } }'), expect: BAD_REQUEST },
      { name: 'a missing selection set', send: () => ask('{ vehicles }'), expect: BAD_REQUEST },
      { name: 'a selection on a scalar', send: () => ask('{ me { id { x } } }'), expect: BAD_REQUEST },
      { name: 'an undefined variable', send: () => ask('{ vehicles(first: $n) { totalCount } }'), expect: BAD_REQUEST },
      { name: 'a variable of the wrong type', send: () => ask('query ($n: Int) { vehicles(first: $n) { totalCount } }', { n: 'ten' }), expect: BAD_REQUEST },
      { name: 'a required variable left out', send: () => ask('query ($id: ID!) { vehicle(id: $id) { id } }'), expect: BAD_REQUEST },
      { name: 'a list where an Int goes', send: () => ask('query ($n: Int) { vehicles(first: $n) { totalCount } }', { n: Array(10_000).fill(1) }), expect: BAD_REQUEST },
      {
        name: 'Infinity for a Float (1e400 in JSON)',
        send: () => raw('{"query":"mutation ($lat: Float) { createFacility(input: { code: \\"INF\\", name: \\"Infinity\\", type: YARD, latitude: $lat, longitude: 0 }) { id } }","variables":{"lat":1e400}}', JSON_TYPE),
        expect: BAD_REQUEST
      },
      { name: 'a fragment cycle', send: () => ask('fragment A on Vehicle { ...B } fragment B on Vehicle { ...A } { vehicles { nodes { ...A } } }'), expect: BAD_REQUEST },
      { name: 'an unknown fragment', send: () => ask('{ vehicles { nodes { ...Nope } } }'), expect: BAD_REQUEST },
      { name: 'an unknown directive', send: () => ask('{ me @nope { id } }'), expect: BAD_REQUEST },
      {
        name: 'one directive repeated 200 times',
        send: () => ask(`{ me ${'@include(if: true) '.repeat(200)}{ id } }`),
        expect: { status: 400, check: (t, r) => t.ok(codesOf(r).length > 0 && codesOf(r).every((c) => c === 'BAD_USER_INPUT' || c === 'QUERY_TOO_COMPLEX'), 'refused as bad input or too complex') }
      },
      { name: 'introspection (__schema) in production', send: () => ask('{ __schema { types { name } } }'), expect: { status: 400, each: 'BAD_USER_INPUT' } },
      { name: 'introspection (__type) in production', send: () => ask('{ __type(name: "Vehicle") { fields { name } } }'), expect: { status: 400, each: 'BAD_USER_INPUT' } },
      {
        name: 'a wrong variable for a document that ran before',
        send: async () => {
          await h.ask('query ($n: Int) { facilities(first: $n) { totalCount } }', { n: 1 })
          return await ask('query ($n: Int) { facilities(first: $n) { totalCount } }', { n: 'one' })
        },
        expect: BAD_REQUEST
      },
      { name: 'a subscription over HTTP', send: () => ask('subscription { vehicleChanged { kind } }'), expect: { status: [400, 405], codes: ['BAD_USER_INPUT'] } }
    ], { twice: true })
    await h.stillServes(t, 'GraphQL', DEMO_VEHICLES)
  })

  await t.test('sizes: bodies, strings, lists and batches beyond the limits', async (t) => {
    const { BODY_LIMIT_BYTES: bodyLimit, MAX_BATCHED_OPERATIONS: maxBatch, MAX_QUERY_TOKENS: maxTokens } = h.config
    const big = (bytes: number): string => 'x'.repeat(bytes)
    const statuses = async (list: string, type: string, n: number): Promise<Reply> =>
      await h.ask(`query ($s: [${type}!]) { ${list}(first: 1, filter: { status: $s }) { totalCount } }`, { s: Array(n).fill('ACTIVE') })
    const active = {
      vehicles: (await h.get('{ vehicles(filter: { status: [ACTIVE] }) { totalCount } }')).vehicles.totalCount,
      drivers: (await h.get('{ drivers(filter: { status: [ACTIVE] }) { totalCount } }')).drivers.totalCount
    }
    /** A list of 100,000 equal statuses: the same answer as one, or refused naming the filter. */
    const sameAsOne = (list: 'vehicles' | 'drivers'): Expect => ({
      status: 200,
      check: (t, r, todo) => t.ok(r.body?.data?.[list]?.totalCount === active[list] || (codesOf(r)[0] === 'BAD_USER_INPUT' && errorsOf(r)[0]?.extensions?.field === 'filter.status'),
        `${list}: the count of ACTIVE ones (${active[list]}) or BAD_USER_INPUT naming filter.status`, todo)
    })
    await run(t, [
      { name: `a body of twice BODY_LIMIT_BYTES (${2 * bodyLimit} bytes)`, send: () => h.post({ query: '{ me { id } }', variables: { x: big(2 * bodyLimit) } }), expect: { status: 413, codes: ['BAD_USER_INPUT'] } },
      { name: 'a 100 KB search string', send: () => h.ask('query ($s: String) { vehicles(filter: { search: $s }) { totalCount } }', { s: big(100_000) }), expect: refusedField('filter.search') },
      { name: 'a 100 KB email at sign-in', send: () => h.ask('mutation ($e: String!) { login(email: $e, password: "fleet-demo") { accessToken } }', { e: `${big(100_000)}@fleet.example` }, null), expect: UNAUTHENTICATED },
      { name: 'a 100 KB password at sign-in', send: () => h.ask('mutation ($p: String!) { login(email: "admin@fleet.example", password: $p) { accessToken } }', { p: big(100_000) }, null), expect: UNAUTHENTICATED },
      { name: 'a 900 KB error report', send: () => h.ask('mutation ($m: String!) { reportClientError(input: { message: $m }) }', { m: big(900_000) }, null), expect: refusedField('input.message') },
      { name: '100,000 statuses in a vehicles filter', send: () => statuses('vehicles', 'VehicleStatus', 100_000), expect: sameAsOne('vehicles') },
      { name: '100,000 statuses in a drivers filter', send: () => statuses('drivers', 'DriverStatus', 100_000), expect: sameAsOne('drivers') },
      { name: 'JSON variables nested 20,000 deep', send: () => raw(`{"query":"query ($f: VehicleFilter) { vehicles(filter: $f) { totalCount } }","variables":{"f":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}}`, JSON_TYPE), expect: BAD_REQUEST },
      { name: `a batch of ${maxBatch + 1} operations (MAX_BATCHED_OPERATIONS + 1)`, send: () => h.post(Array.from({ length: maxBatch + 1 }, () => ({ query: '{ me { id } }' })), { authorization: `Bearer ${h.admin}` }), expect: TOO_COMPLEX },
      { name: 'a batch of 10,000 operations', send: () => h.post(Array.from({ length: 10_000 }, () => ({ query: '{ me { id } }' }))), expect: TOO_COMPLEX },
      { name: `a document of ${maxTokens + 1} tokens`, send: () => h.ask(`{ me { ${'id '.repeat(maxTokens)} } }`), expect: TOO_COMPLEX }
    ], { twice: true })
    await h.stillServes(t, 'sizes', DEMO_VEHICLES)
  })

  await t.test('complexity: deep nesting, aliases, page sizes, fragment explosions', async (t) => {
    const { MAX_QUERY_DEPTH: maxDepth, MAX_QUERY_ALIASES: maxAliases } = h.config
    let nested = 'id'
    for (let i = 0; i < maxDepth; i++) nested = `vehicles(first: 1) { nodes { facility { ${nested} } } }`
    const fragments = ['fragment F0 on Vehicle { id number }']
    for (let i = 1; i <= 9; i++) fragments.push(`fragment F${i} on Vehicle { ...F${i - 1} ...F${i - 1} ...F${i - 1} }`)
    await run(t, [
      { name: `nesting deeper than MAX_QUERY_DEPTH (${maxDepth})`, send: () => h.ask(`{ facilities(first: 1) { nodes { ${nested} } } }`), expect: TOO_COMPLEX },
      {
        name: '2,400 levels of braces',
        send: () => h.ask(`{${' a {'.repeat(2400)} b ${'}'.repeat(2401)}`),
        expect: { status: 400, check: (t, r) => t.ok(['QUERY_TOO_COMPLEX', 'BAD_USER_INPUT'].includes(codesOf(r)[0] ?? ''), 'QUERY_TOO_COMPLEX or BAD_USER_INPUT') }
      },
      { name: `${maxAliases + 1} aliases (MAX_QUERY_ALIASES + 1)`, send: () => h.ask(`{ ${Array.from({ length: maxAliases + 1 }, (_, i) => `a${i}: me { id }`).join(' ')} }`), expect: TOO_COMPLEX },
      { name: '1,000 aliases', send: () => h.ask(`{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: me { id }`).join(' ')} }`), expect: TOO_COMPLEX },
      { name: 'ten aliased pages of 200', send: () => h.ask(`{ ${Array.from({ length: 10 }, (_, i) => `p${i}: vehicles(first: 200) { nodes { id number name vin make model year } }`).join(' ')} }`), expect: TOO_COMPLEX },
      { name: 'pages of 200 inside pages of 200', send: () => h.ask('{ facilities(first: 200) { nodes { vehicles(first: 200) { nodes { id } } } } }'), expect: TOO_COMPLEX },
      {
        name: 'fragments expanding 3^9 times',
        send: async () => {
          const started = Date.now()
          const reply = await h.ask(`${fragments.join(' ')} { vehicles(first: 1) { nodes { ...F9 } } }`)
          t.ok(Date.now() - started < 5000, 'fragments expanding 3^9 times: answered within 5 s')
          return reply
        },
        expect: TOO_COMPLEX
      }
    ], { twice: true })
    await h.stillServes(t, 'complexity', DEMO_VEHICLES)
  })

  await t.test('paging: out-of-range sizes and malformed cursors', async (t) => {
    const page = async (args: string, variables: { c?: string, n?: number } = {}): Promise<Reply> => {
      const declared = [...('c' in variables ? ['$c: String'] : []), ...('n' in variables ? ['$n: Int'] : [])]
      return await h.ask(`query${declared.length === 0 ? '' : ` (${declared.join(', ')})`} { vehicles(${args}) { totalCount nodes { number } } }`, variables)
    }
    const byName = await h.get('{ vehicles(first: 1, orderBy: { field: NAME }) { pageInfo { endCursor } } }')
    const nameCursor: string = byName.vehicles.pageInfo.endCursor
    await run(t, [
      { name: 'first: -1', send: () => page('first: -1'), expect: refusedField('first') },
      { name: 'first: 100000', send: () => page('first: 100000'), expect: refusedField('first') },
      { name: 'first: 2^31 - 1', send: () => page('first: 2147483647'), expect: refusedField('first') },
      { name: 'first: 2^31 (not an Int)', send: () => page('first: 2147483648'), expect: BAD_REQUEST },
      { name: 'first: 2^31 in variables', send: () => page('first: $n', { n: 2 ** 31 }), expect: BAD_REQUEST },
      { name: 'first: -2^53 in variables', send: () => page('first: $n', { n: -(2 ** 53) }), expect: BAD_REQUEST },
      { name: 'first: 1.5', send: () => page('first: 1.5'), expect: BAD_REQUEST },
      { name: 'last: -1', send: () => page('last: -1'), expect: refusedField('last') },
      { name: 'first and last together', send: () => page('first: 1, last: 1'), expect: refusedField('last') },
      { name: 'after: garbage', send: () => page('after: $c', { c: 'garbage!' }), expect: refusedField('after') },
      { name: 'after: an empty string', send: () => page('after: $c', { c: '' }), expect: refusedField('after') },
      { name: 'before: garbage', send: () => page('last: 1, before: $c', { c: 'garbage!' }), expect: refusedField('before') },
      { name: 'after: base64 of plain text', send: () => page('after: $c', { c: base64url('hello') }), expect: refusedField('after') },
      { name: 'after: base64 of {}', send: () => page('after: $c', { c: base64url({}) }), expect: refusedField('after') },
      { name: 'after: base64 of a list of four', send: () => page('after: $c', { c: base64url(['NUMBER_ASC', 'V-001', SOME_UUID, 1]) }), expect: refusedField('after') },
      { name: 'after: a cursor of another ordering', send: () => page('after: $c', { c: nameCursor }), expect: refusedField('after') },
      { name: 'after: a cursor whose id is no UUID', send: () => page('after: $c', { c: cursor('NUMBER_ASC', 'V-001', "1' OR '1'='1") }), expect: refusedField('after') },
      { name: 'after: a cursor whose value has the wrong type', send: () => page('after: $c', { c: cursor('NUMBER_ASC', { $gt: '' }) }), expect: refusedField('after') },
      { name: 'after: a cursor with a NUL in its value', send: () => h.ask('query ($c: String) { vehicles(after: $c) { totalCount } }', { c: cursor('NUMBER_ASC', 'V\u0000') }), expect: refusedField('after') },
      { name: 'after: a cursor with a NUL in a drivers value', send: () => h.ask('query ($c: String) { drivers(after: $c) { totalCount } }', { c: cursor('NAME_ASC', 'A\u0000') }), expect: refusedField('after') },
      {
        name: 'after: a cursor with a timestamp PostgreSQL cannot hold',
        send: () => h.ask('query ($c: String) { vehicles(after: $c, orderBy: { field: CREATED_AT }) { totalCount } }', { c: cursor('CREATED_AT_ASC', '+275760-09-13T00:00:00.000Z') }),
        expect: { status: 200, codes: ['BAD_USER_INPUT'] }
      },
      {
        name: 'after: a cursor with an impossible date',
        send: () => h.ask('query ($c: String) { vehicles(after: $c, orderBy: { field: CREATED_AT }) { totalCount } }', { c: cursor('CREATED_AT_ASC', '2026-02-30T00:00:00Z') }),
        expect: { status: 200, codes: ['BAD_USER_INPUT'] }
      },
      {
        name: 'after: a cursor with a year beyond any integer column',
        send: () => h.ask('query ($c: String) { vehicles(after: $c, orderBy: { field: YEAR }) { totalCount } }', { c: cursor('YEAR_ASC', 99_999_999_999) }),
        expect: { status: 200, codes: ['BAD_USER_INPUT'] }
      },
      {
        name: 'after: a cursor with SQL as its value',
        send: () => page('first: 3, after: $c', { c: cursor('NUMBER_ASC', "' OR 1=1 --") }),
        // The value is a bound parameter: the page after that text in number order, nothing more.
        expect: { status: 200, codes: [], check: (t, r) => t.ok(r.body.data.vehicles.nodes.length <= 3 && r.body.data.vehicles.totalCount === DEMO_VEHICLES, 'an ordinary page of at most 3') }
      },
      {
        name: 'after: garbage in a nested connection',
        send: () => h.ask('query ($c: String) { facilities(first: 2) { nodes { vehicles(first: 1, after: $c) { totalCount } } } }', { c: 'garbage!' }),
        expect: { status: 200, each: 'BAD_USER_INPUT', check: (t, r) => t.ok(errorsOf(r).every((e) => e.extensions?.field === 'after'), 'every error names after') }
      }
    ], { twice: true })
    await h.stillServes(t, 'paging', DEMO_VEHICLES)
  })

  await t.test('UUIDs: malformed, unknown and of the other organization', async (t) => {
    const schema = loadSchema().schema
    const query = schema.getQueryType()
    if (query === null || query === undefined) throw new Error('the schema has no Query type')
    // Every query that looks a row up by id, and the list query that can name one of its rows.
    const lookups = Object.values(query.getFields())
      .filter((f) => f.args.length === 1 && f.args[0]?.name === 'id' && isNonNullType(f.args[0].type) && getNamedType(f.args[0].type).name === 'ID')
      .map((f) => ({
        name: f.name,
        list: Object.values(query.getFields()).find((l) => isConnection(l.type) && l.args.every((a) => !isNonNullType(a.type)) &&
          getNamedType((getNamedType(l.type) as { getFields: () => Record<string, { type: GraphQLOutputType }> }).getFields().nodes?.type as GraphQLOutputType) === getNamedType(f.type))?.name
      }))
    t.ok(['vehicle', 'driver', 'facility', 'assignment'].every((name) => lookups.some((l) => l.name === name && l.list !== undefined)), 'vehicle, driver, facility and assignment are looked up by id (and listed)')
    const other = await h.login('admin@other.example')
    const cases: Case[] = []
    for (const { name, list } of lookups) {
      const lookup = `query ($id: ID!) { ${name}(id: $id) { id } }`
      for (const bad of MALFORMED_IDS) cases.push({ name: `${name}(id: ${bad.name})`, send: () => h.ask(lookup, { id: bad.value }), expect: refusedField('id'), sent: [bad.value] })
      const isNull: Expect = { status: 200, codes: [], check: (t, r) => t.equal(r.body?.data?.[name], null, `${name}: null`) }
      cases.push(
        { name: `${name}(id: the nil UUID)`, send: () => h.ask(lookup, { id: NIL_UUID }), expect: isNull },
        { name: `${name}(id: the max UUID)`, send: () => h.ask(lookup, { id: MAX_UUID }), expect: isNull },
        { name: `${name}(id: a random UUID)`, send: () => h.ask(lookup, { id: randomUUID() }), expect: isNull }
      )
      if (list === undefined) {
        t.comment(`${name}: no list query names its rows, so no foreign id is tried (UUID shapes only)`)
        continue
      }
      const theirs: string | undefined = (await h.get(`{ ${list}(first: 1) { nodes { id } } }`, {}, other))[list].nodes[0]?.id
      const ours: string | undefined = (await h.get(`{ ${list}(first: 1) { nodes { id } } }`))[list].nodes[0]?.id
      if (theirs === undefined || ours === undefined) throw new Error(`${list}: the demo organizations should both have rows`)
      cases.push(
        { name: `${name}(id: one of the other organization)`, send: () => h.ask(lookup, { id: theirs }), expect: isNull },
        { name: `${name}(id: one of the other organization, upper case)`, send: () => h.ask(lookup, { id: theirs.toUpperCase() }), expect: isNull },
        { name: `${name}(id: our own, upper case)`, send: () => h.ask(lookup, { id: ours.toUpperCase() }), expect: { status: 200, codes: [], check: (t, r) => t.equal(r.body?.data?.[name]?.id, ours, `${name}: found, the id in lower case`) } }
      )
    }
    const theirs = (await h.get('{ vehicles(first: 1) { nodes { id version } } facilities(first: 1) { nodes { id } } drivers(first: 1) { nodes { id } } }', {}, other))
    const ours = await h.get('{ drivers(first: 1) { nodes { id } } }')
    const theirVehicle = theirs.vehicles.nodes[0]
    cases.push(
      { name: 'updateVehicle(id: one of the other organization)', send: () => h.ask('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Mine now" }) { id } }', { id: theirVehicle.id, v: theirVehicle.version }), expect: { status: 200, codes: ['NOT_FOUND'] } },
      { name: 'retireVehicle(id: one of the other organization)', send: () => h.ask('mutation ($id: ID!) { retireVehicle(id: $id) { id } }', { id: theirVehicle.id }), expect: { status: 200, codes: ['NOT_FOUND'] } },
      {
        name: 'assignDriver(vehicleId: one of the other organization)',
        send: () => h.ask('mutation ($v: ID!, $d: ID!) { assignDriver(input: { vehicleId: $v, driverId: $d, startsAt: "2099-01-01T00:00:00Z", endsAt: "2099-01-02T00:00:00Z" }) { id } }', { v: theirVehicle.id, d: ours.drivers.nodes[0].id }),
        expect: { status: 200, check: (t, r) => t.ok(codesOf(r)[0] === 'NOT_FOUND' || (codesOf(r)[0] === 'BAD_USER_INPUT' && errorsOf(r)[0]?.extensions?.field === 'input.vehicleId'), 'NOT_FOUND, or BAD_USER_INPUT naming input.vehicleId') }
      },
      { name: 'vehicles(filter: { facilityId: one of the other organization })', send: () => h.ask('query ($f: ID) { vehicles(filter: { facilityId: $f }) { totalCount } }', { f: theirs.facilities.nodes[0].id }), expect: { status: 200, codes: [], check: (t, r) => t.equal(r.body?.data?.vehicles?.totalCount, 0, 'an empty list') } },
      { name: 'assignments(filter: { driverId: one of the other organization })', send: () => h.ask('query ($d: ID) { assignments(filter: { driverId: $d }) { totalCount } }', { d: theirs.drivers.nodes[0].id }), expect: { status: 200, codes: [], check: (t, r) => t.equal(r.body?.data?.assignments?.totalCount, 0, 'an empty list') } }
    )
    await run(t, cases, { twice: true })
    const after = await h.get('query ($id: ID!) { vehicle(id: $id) { id } }', { id: theirVehicle.id }, other)
    t.equal(after.vehicle?.id, theirVehicle.id, 'the other organization still has its vehicle, unretired')
    await h.stillServes(t, 'UUIDs', DEMO_VEHICLES)
  })

  await t.test('persisted queries: unknown, lying and refused hashes', async (t) => {
    const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
    const persisted = (hash: unknown, version: unknown = 1): object => ({ persistedQuery: { version, sha256Hash: hash } })
    const byHash = async (hash: unknown, query?: string, version?: unknown): Promise<Reply> =>
      await h.post({ query, extensions: persisted(hash, version) }, { authorization: `Bearer ${h.admin}` })
    const probe = await byHash(sha256(`{ me { id } } # ${randomUUID()}`))
    if (codesOf(probe)[0] !== 'PERSISTED_QUERY_NOT_FOUND') {
      // Without persisted queries a hash alone is just a request without a query.
      verify(t, 'a persisted-query hash (persisted queries off)', probe, BAD_REQUEST)
      return
    }
    /** Apollo's protocol answers an unknown hash with its own code, for the client to send the text (404 in this media type). */
    const UNKNOWN: Expect = { status: 404, codes: ['PERSISTED_QUERY_NOT_FOUND'], alsoCodes: ['PERSISTED_QUERY_NOT_FOUND'] }
    const mine = '{ me { id } }'
    const other = '{ vehicles { totalCount } }'
    const deep = `{ facilities { nodes { ${Array.from({ length: h.config.MAX_QUERY_DEPTH }, () => 'vehicles { nodes { facility {').join(' ')} id ${'} } }'.repeat(h.config.MAX_QUERY_DEPTH)} } } }`
    await run(t, [
      { name: 'a hash nobody registered', send: () => byHash('a'.repeat(64)), expect: UNKNOWN },
      { name: 'SQL for a hash', send: () => byHash("' OR 1=1 --"), expect: UNKNOWN, sent: ["' OR 1=1 --"] },
      { name: 'a number for a hash', send: () => byHash(42), expect: BAD_REQUEST },
      { name: 'protocol version 2', send: () => byHash(sha256(mine), undefined, 2), expect: BAD_REQUEST },
      { name: 'persistedQuery is a string', send: () => h.post({ extensions: { persistedQuery: 'x' } }), expect: BAD_REQUEST },
      { name: 'a query sent with the hash of another', send: () => byHash(sha256(other), mine), expect: BAD_REQUEST },
      { name: '... and that hash is not taken by it', send: () => byHash(sha256(other)), expect: UNKNOWN },
      { name: 'an invalid query registered under its hash', send: () => byHash(sha256('{ nope }'), '{ nope }'), expect: BAD_REQUEST },
      { name: '... is not registered', send: () => byHash(sha256('{ nope }')), expect: UNKNOWN },
      { name: 'a query over the depth limit registered under its hash', send: () => byHash(sha256(deep), deep), expect: TOO_COMPLEX },
      { name: '... is not registered either', send: () => byHash(sha256(deep)), expect: UNKNOWN },
      {
        name: 'a mutation registered over GET',
        send: () => h.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent('mutation { logout(refreshToken: "x") }')}&extensions=${encodeURIComponent(JSON.stringify(persisted(sha256('mutation { logout(refreshToken: "x") }'))))}` }),
        expect: { status: 405, codes: ['BAD_USER_INPUT'] }
      },
      { name: 'extensions over GET that are not JSON', send: () => h.inject({ method: 'GET', url: '/graphql?extensions=notjson' }), expect: BAD_REQUEST },
      {
        name: 'a query registered under its own hash (control)',
        send: async () => { await byHash(sha256(mine), mine); return await byHash(sha256(mine)) },
        expect: { status: 200, codes: [], check: (t, r) => t.equal(r.body?.data?.me?.id, h.adminId, 'runs by hash alone') }
      }
    ])
    await h.stillServes(t, 'persisted queries', DEMO_VEHICLES)
  })

  await t.test('tokens: garbage, expired, forged, tampered, revoked; wrong header formats', async (t) => {
    const secret = h.config.JWT_SECRET
    const adminClaims: Claims = { sub: h.adminId, org: h.organizationId, role: 'ADMIN' }
    const viewer = await h.login('viewer@fleet.example')
    const { privateKey } = await generateKeyPair('RS256')
    const other = await h.login('admin@other.example')
    const otherOrg: string = (await h.get('{ me { organization { id } } }', {}, other)).me.organization.id
    const asHeader = async (authorization: string | string[], query = '{ vehicles(first: 1) { totalCount } }'): Promise<Reply> =>
      await h.post({ query }, { authorization })
    /** A refused token: UNAUTHENTICATED where a viewer is needed, and `me` is nobody. */
    const refusedToken = (name: string, header: () => Promise<string>, message?: RegExp): Case[] => [
      { name: `${name}: vehicles`, send: async () => await asHeader(await header()), expect: { ...UNAUTHENTICATED, check: message === undefined ? undefined : (t, r) => t.match(errorsOf(r)[0]?.message, message) } },
      { name: `${name}: me`, send: async () => await asHeader(await header(), '{ me { id } }'), expect: { status: 200, codes: [], check: (t, r) => t.equal(r.body?.data?.me, null, `${name}: me is nobody`) } }
    ]
    const hs256 = async (claims: Claims, options = {}): Promise<string> => `Bearer ${await signedToken(secret, claims, options)}`
    const LOGIN = 'mutation ($e: String!) { login(email: $e, password: "fleet-demo") { accessToken refreshToken } }'
    const REFRESH = 'mutation ($r: String!) { refreshSession(refreshToken: $r) { accessToken refreshToken } }'
    const session = async (): Promise<{ accessToken: string, refreshToken: string }> => (await h.get(LOGIN, { e: 'dispatcher@fleet.example' }, null)).login

    const control = await asHeader(await hs256(adminClaims), '{ me { id } vehicles(first: 1) { totalCount } }')
    t.equal(control.body?.data?.me?.id, h.adminId, 'control: a token signed the same way and not expired is accepted (the refusals below are for what is wrong with each)')

    await run(t, [
      ...refusedToken('garbage', async () => 'Bearer garbage'),
      ...refusedToken('"Bearer" and nothing', async () => 'Bearer'),
      ...refusedToken('"Bearer" and spaces', async () => 'Bearer     '),
      ...refusedToken('three empty segments', async () => 'Bearer ..'),
      ...refusedToken('an 8 KB token', async () => `Bearer ${'a'.repeat(8192)}`),
      ...refusedToken('expired (right key, exp in the past)', async () => await hs256(adminClaims, { expiresIn: -60 }), /expired/i),
      ...refusedToken('not valid yet (nbf in an hour)', async () => await hs256(adminClaims, { notBefore: 3600 })),
      ...refusedToken('alg: none', async () => `Bearer ${unsignedToken(adminClaims)}`),
      ...refusedToken('alg: None', async () => `Bearer ${unsignedToken(adminClaims, 'None')}`),
      ...refusedToken('alg: NONE with a signature', async () => `Bearer ${unsignedToken(adminClaims, 'NONE')}${'A'.repeat(43)}`),
      ...refusedToken('signed with a wrong key', async () => `Bearer ${await signedToken('another-secret-of-at-least-32-characters', adminClaims)}`),
      ...refusedToken('HS512 with the right secret', async () => `Bearer ${await new SignJWT({ org: h.organizationId, role: 'ADMIN', sep: 0 }).setProtectedHeader({ alg: 'HS512' }).setSubject(h.adminId).setIssuer('fleet-api').setAudience('fleet-api').setExpirationTime('5m').sign(new TextEncoder().encode(secret))}`),
      ...refusedToken('the right key and claims but no expiry (valid for ever otherwise)', async () => `Bearer ${await new SignJWT({ org: h.organizationId, role: 'ADMIN', sep: 0 }).setProtectedHeader({ alg: 'HS256' }).setSubject(h.adminId).setIssuer('fleet-api').setAudience('fleet-api').setIssuedAt().sign(new TextEncoder().encode(secret))}`),
      ...refusedToken('RS256 with a key of its own', async () => `Bearer ${await new SignJWT({ org: h.organizationId, role: 'ADMIN', sep: 0 }).setProtectedHeader({ alg: 'RS256' }).setSubject(h.adminId).setIssuer('fleet-api').setAudience('fleet-api').setExpirationTime('5m').sign(privateKey)}`),
      ...refusedToken('a viewer\'s token with role ADMIN written in (signature kept)', async () => `Bearer ${tamperedToken(viewer, { role: 'ADMIN' })}`),
      ...refusedToken('an admin\'s token moved to the other organization (signature kept)', async () => `Bearer ${tamperedToken(h.admin, { org: otherOrg })}`),
      ...refusedToken('an admin\'s token with its expiry pushed back a year (signature kept)', async () => `Bearer ${tamperedToken(h.admin, { exp: Math.floor(Date.now() / 1000) + 31_536_000 })}`),
      ...refusedToken('the wrong issuer', async () => await hs256(adminClaims, { issuer: 'someone-else' })),
      ...refusedToken('the wrong audience', async () => await hs256(adminClaims, { audience: 'someone-else' })),
      ...refusedToken('an unknown role', async () => await hs256({ ...adminClaims, role: 'ROOT' })),
      ...refusedToken('no organization claim', async () => await hs256({ sub: h.adminId, role: 'ADMIN' } as Claims)),
      ...refusedToken('a refresh token as an access token', async () => `Bearer ${(await session()).refreshToken}`),
      ...refusedToken('the Basic scheme', async () => 'Basic YWRtaW5AZmxlZXQuZXhhbXBsZTpmbGVldC1kZW1v'),
      ...refusedToken('the Token scheme', async () => `Token ${h.admin}`),
      ...refusedToken('two tokens in one header', async () => `Bearer ${h.admin} ${h.admin}`),
      ...refusedToken('two comma-separated credentials', async () => `Bearer ${h.admin}, Bearer ${h.admin}`),
      ...refusedToken('a token with "%00" appended', async () => `Bearer ${h.admin}%00`),
      {
        name: 'lower-case "bearer" (the scheme is case-insensitive, RFC 7235)',
        send: () => asHeader(`bearer ${h.admin}`, '{ me { id } }'),
        expect: { status: 200, codes: [], check: (t, r) => t.equal(r.body?.data?.me?.id, h.adminId, 'accepted as the admin') }
      },
      {
        name: 'two Authorization headers (viewer first, admin second)',
        send: () => asHeader([`Bearer ${viewer}`, `Bearer ${h.admin}`], '{ featureFlags { name } }'),
        expect: { status: 200, check: (t, r) => t.ok(['FORBIDDEN', 'UNAUTHENTICATED'].includes(codesOf(r)[0] ?? ''), 'no admin powers from the second header (FORBIDDEN or UNAUTHENTICATED)') }
      },
      {
        name: 'a refresh token after logout',
        send: async () => {
          const { refreshToken } = await session()
          const out = await h.ask('mutation ($r: String!) { logout(refreshToken: $r) }', { r: refreshToken }, null)
          t.equal(out.body?.data?.logout, true, 'logout ends the session')
          return await h.ask(REFRESH, { r: refreshToken }, null)
        },
        expect: UNAUTHENTICATED
      },
      {
        name: 'a rotated refresh token presented again',
        send: async () => {
          const first = await session()
          const second = (await h.get(REFRESH, { r: first.refreshToken }, null)).refreshSession
          const replay = await h.ask(REFRESH, { r: first.refreshToken }, null)
          verify(t, 'the newest refresh token of the family after the replay', await h.ask(REFRESH, { r: second.refreshToken }, null), UNAUTHENTICATED)
          return replay
        },
        expect: UNAUTHENTICATED
      },
      { name: 'an access token as a refresh token', send: async () => await h.ask(REFRESH, { r: (await session()).accessToken }, null), expect: UNAUTHENTICATED },
      { name: 'a garbage refresh token', send: () => h.ask(REFRESH, { r: 'garbage' }, null), expect: UNAUTHENTICATED }
    ])
    await h.stillServes(t, 'tokens', DEMO_VEHICLES)
  })

  await t.test('HTTP on the wire: broken requests and oversized headers', async (t) => {
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 })
    const port = Number(new URL(base).port)
    const post = async (headers: Record<string, string>): Promise<Response> =>
      await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query":"{ me { id } }"}' })
    t.equal((await post({ authorization: `Bearer ${'a'.repeat(20_000)}` })).status, 431, 'a 20 KB header: 431')
    t.equal((await post({ 'x-padding': 'x'.repeat(100_000) })).status, 431, 'a 100 KB header: 431')
    const cases: Array<[string, string, RegExp]> = [
      ['a malformed request line', 'GARBAGE\r\n\r\n', /^HTTP\/1\.1 400/],
      ['a Content-Length that is not a number', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}', /^HTTP\/1\.1 400/],
      ['two different Content-Lengths', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n{}', /^HTTP\/1\.1 400/],
      ['a bad chunk size', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n', /^HTTP\/1\.1 400/],
      ['a NUL in a header value', 'GET /health/liveness HTTP/1.1\r\nHost: x\r\nX-Evil: a\u0000b\r\n\r\n', /^HTTP\/1\.1 400/]
    ]
    for (const [name, bytes, status] of cases) t.match(await rawHttp(port, bytes), status, `${name}: ${String(status)}`)
    // A request cut off in the middle of its body: the server must not wait forever or crash.
    const cut = connect(port, '127.0.0.1')
    cut.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":')
    await new Promise((resolve) => setTimeout(resolve, 50))
    cut.destroy()
    const normal = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.admin}` }, body: '{"query":"{ me { id } }"}' })
    t.same(await normal.json(), { data: { me: { id: h.adminId } } }, 'after all that, a real request over HTTP answers normally')
    await h.stillServes(t, 'HTTP on the wire', DEMO_VEHICLES)
  })

  let created = 0
  await t.test('injection strings in every String and ID argument of every root field (schema-driven)', async (t) => {
    created = await barrage(t, h)
  })

  await t.test('after the whole barrage', async (t) => {
    await h.stillServes(t, 'after everything', DEMO_VEHICLES + created)
    const fresh = await h.ask('mutation { login(email: "admin@fleet.example", password: "fleet-demo") { accessToken } }', {}, null)
    t.type(fresh.body?.data?.login?.accessToken, 'string', 'the users table is intact: the admin signs in again')
    const tables = await h.get('{ vehicles { totalCount } drivers { totalCount } facilities { totalCount } assignments { totalCount } }')
    t.ok(tables.drivers.totalCount > 0 && tables.facilities.totalCount > 0 && tables.assignments.totalCount > 0, 'drivers, facilities and assignments are all still there')
  })
})

// ---- The schema-driven barrage. ----

/** Known product bugs in the barrage: problems matching an entry are reported as `todo`. */
const KNOWN_BARRAGE_BUGS: ReadonlyArray<{ input?: string, where?: RegExp, issue?: RegExp, bug: keyof typeof BUG }> = []

/** The same text after the normalizations a field may apply (trim, upper or lower case). */
function normalForms (value: string): Set<string> {
  return new Set([value, value.trim()].flatMap((v) => [v, v.toUpperCase(), v.toLowerCase()]))
}

/** Sends every hostile string to every text position as the demo admin; returns how many vehicles it created. */
async function barrage (t: Test, h: Target): Promise<number> {
  const schema = loadSchema().schema
  const queryFields = Object.values(schema.getQueryType()?.getFields() ?? {})
  /** The query that reads one row of a type by id (`vehicle(id:)` for Vehicle). */
  const lookupOf = (type: GraphQLOutputType) => queryFields.find((f) => f.args.length === 1 && f.args[0]?.name === 'id' && getNamedType(f.type) === getNamedType(type))

  // Rows to fill the positions that are not under attack, and values the plans fix.
  const read = async (from: Record<string, (h: Target) => Promise<string>>): Promise<Record<string, string>> => {
    const values: Record<string, string> = {}
    for (const [name, of] of Object.entries(from)) values[name] = await of(h)
    return values
  }
  const samples: Samples = { ids: await read(plans.hostile.ids), values: await read(plans.hostile.values) }
  const entityOf = (rf: RootField, path: readonly string[]): string => {
    const leaf = path.at(-1) ?? ''
    const named = /^(\w+?)Ids?$/.exec(leaf)?.[1]
    const entity = named ?? (leaf === 'id' && path.length === 1 ? lookupOf(rf.field.type)?.name ?? plans.hostile.ownIds[rf.name] : undefined)
    if (entity === undefined || samples.ids[entity] === undefined) {
      throw new Error(`${rf.root}.${rf.name}(${pathName(path)}): no sample id for it; add hostile.ids.${entity ?? '<entity>'} to the test-plan.ts of the module that owns it`)
    }
    return entity
  }

  const fields = rootFields(schema).filter((rf) => rf.root !== 'Subscription')
  const stored = new Map<string, Set<string>>()
  const tally = { stored: 0, accepted: 0, refused: 0, calls: 0 }
  let created = 0
  let n = 0
  const attacked: string[] = []

  for (const rf of fields) {
    const slots = textSlots(rf.field)
    if (slots.length === 0) continue
    attacked.push(`${rf.root}.${rf.name}`)
    const requiredPaths = new Set(slots.filter((s) => s.required).map((s) => pathName(s.path)))
    const lookup = lookupOf(rf.field.type)
    // Updates take the version of the row they change: read it before each call.
    const versioned = lookup !== undefined && rf.field.args.some((a) => a.name === 'id') &&
      rf.field.args.some((a) => { const input = getNamedType(a.type); return isInputObjectType(input) && input.getFields().expectedVersion !== undefined })
    const selfRule = SELF[rf.name]
    const self: Self | undefined = selfRule === undefined ? undefined : { email: selfRule.email, password: 'fleet-demo', token: await h.login(selfRule.email) }

    for (const slot of slots) {
      const where = `${rf.root}.${rf.name}(${pathName(slot.path)})`
      const leaf = slot.path.at(-1) as string
      const inputs = slot.scalar === 'ID' ? [...HOSTILE, ...BARRAGE_MALFORMED_IDS] : HOSTILE
      const problems: string[] = []
      const known: string[] = []
      const counts = { stored: 0, accepted: 0, refused: 0 }
      const earlier = new Set<string>()
      const attack = async (input: { name: string, value: string }, n: number): Promise<void> => {
        const issues: string[] = []
        const fill: Filler = (path, type, needed) => {
          const key = pathName(path)
          if (key === pathName(slot.path)) return input.value
          const fixed = FIXED[rf.name]?.[key]
          if (fixed !== undefined) return fixed(samples)
          if (self !== undefined && selfRule !== undefined && key in selfRule.fixed(self)) return selfRule.fixed(self)[key]
          if (type.name === 'ID') return requiredPaths.has(key) || needed === true ? samples.ids[entityOf(rf, path)] : undefined
          const last = path.at(-1) ?? ''
          if (type.name === 'String' && requiredPaths.has(key)) return UNIQUE[last]?.(n)
          if (type.name === 'Int' && last === 'year') return 2024
          // Assignments in windows of their own, far ahead: they never overlap one another or the demo data.
          if (type.name === 'DateTime' && (last === 'startsAt' || last === 'endsAt')) return new Date(Date.now() + 400 * 86_400_000 + n * 7_200_000 + (last === 'endsAt' ? 3_600_000 : 0)).toISOString()
          return undefined
        }
        let args = buildArgs(rf.field, fill)
        if (versioned && pathName(slot.path) !== 'id') {
          const id = (args as { id?: string }).id as string
          const current = await h.get(`query ($id: ID!) { ${lookup?.name}(id: $id) { version } }`, { id })
          args = buildArgs(rf.field, (path, type, needed) => pathName(path) === 'input.expectedVersion' ? current[lookup?.name as string]?.version : fill(path, type, needed))
        }
        const type = rf.field.type
        const named = getNamedType(type)
        // Where the attacked field shows in the answer: on the returned object, or one level down (`user` of UserCredentials).
        const list = Object.entries(STORED_IN[rf.name] ?? {}).find(([prefix]) => pathName(slot.path).startsWith(`${prefix}.`))?.[1]
        const holderField = !isObjectType(named)
          ? undefined
          : list !== undefined
            ? named.getFields()[list]
            : !plainLeaf(type, leaf)
                ? Object.values(named.getFields()).find((f) => f.args.length === 0 && isObjectType(getNamedType(f.type)) && plainLeaf(f.type, leaf))
                : undefined
        const holderType = holderField?.type ?? type
        const holderNamed = getNamedType(holderType)
        const readable = leaf !== 'id' && plainLeaf(holderType, leaf)
        const inner = isObjectType(holderNamed) ? `${holderNamed.getFields().id === undefined ? '' : 'id'} ${readable ? leaf : ''}` : ''
        const selection = REFUSED_IN_DATA[rf.name]?.selection ?? (rf.root === 'Query'
          ? selectionFor(type)
          : !isObjectType(named) ? '' : holderField === undefined ? `{ __typename ${inner} }` : `{ __typename ${holderField.name} { ${inner} } }`)
        const used = rf.field.args.filter((a) => args[a.name] !== undefined)
        const signature = used.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')
        const call = used.length === 0 ? rf.name : `${rf.name}(${used.map((a) => `${a.name}: $${a.name}`).join(', ')})`
        const operation = `${rf.root === 'Query' ? 'query' : 'mutation'}${signature === '' ? '' : ` (${signature})`} { ${call} ${selection} }`

        const reply = await h.ask(operation, args, self?.token ?? h.admin)
        tally.calls++
        await AFTER[rf.name]?.(h)
        issues.push(...failuresOf(reply))
        // What the client sent may come back, in this call or, in a list of lines, from an earlier one.
        const leaks = leaksOf(reply, [...stringsIn(args), ...earlier])
        const errors = errorsOf(reply)
        const value = reply.body?.data?.[rf.name]
        const held = holderField === undefined ? value : value?.[holderField.name]
        const holder = Array.isArray(held) ? held.at(-1) : held
        if (errors.length === 0 && reply.status === 200) {
          if (rf.root === 'Query') {
            // A search for an injection string is a literal search: it finds nothing (not everything).
            if (!(value === null || (isConnection(type) && value.totalCount === 0))) issues.push(`accepted, and matched: ${JSON.stringify(value).slice(0, 120)}`)
            counts.accepted++
          } else if (slot.scalar === 'ID' && REFUSED_IN_DATA[rf.name] !== undefined) {
            if (REFUSED_IN_DATA[rf.name]?.refused(value) === true) counts.refused++
            else issues.push(`a malformed id was not reported as refused: ${JSON.stringify(value).slice(0, 120)}`)
          } else if (slot.scalar === 'ID') {
            issues.push('a malformed id was accepted')
          } else if (self !== undefined && selfRule !== undefined) {
            const problem = await selfRule.accepted(h, self, input.value)
            if (problem === null) counts.stored++
            else issues.push(problem)
          } else if (readable && holder !== null && typeof holder === 'object') {
            const forms = normalForms(input.value)
            if (!forms.has(holder[leaf])) {
              const what = JSON.stringify(String(holder[leaf]).slice(0, 40))
              // null, or what an earlier call of this slot stored: the state from before this change.
              const stale = holder[leaf] === null || earlier.has(String(holder[leaf]))
              issues.push(stale ? `answered with an earlier state (${what}) instead of what was sent` : `stored ${what} instead of what was sent`)
            } else {
              earlier.add(String(holder[leaf]))
              const reader = lookupOf(holderType)
              if (reader !== undefined && typeof holder.id === 'string') {
                const again = await h.get(`query ($id: ID!) { ${reader.name}(id: $id) { ${leaf} } }`, { id: holder.id })
                if (!forms.has(again[reader.name]?.[leaf])) issues.push(`read back as ${JSON.stringify(String(again[reader.name]?.[leaf]).slice(0, 40))}`)
              }
              const key = `${holderNamed.name}.${leaf}`
              stored.set(key, (stored.get(key) ?? new Set()).add(String(holder[leaf]).toUpperCase()))
              counts.stored++
            }
            if (rf.name === 'createVehicle') created++
          } else {
            if (rf.name === 'createVehicle') created++
            counts.accepted++
          }
        } else {
          counts.refused++
          for (const error of errors) {
            const code = error?.extensions?.code
            const field = error?.extensions?.field
            // The item of a list is named with its index (input.tasks[0].notes for input.tasks.notes).
            const unindexed = String(field).replace(/\[\d+\]/g, '')
            if (code === 'BAD_USER_INPUT') {
              if (unindexed !== pathName(slot.path) && !unindexed.startsWith(`${pathName(slot.path)}.`) && !String(field).startsWith(`${pathName(slot.path)}[`)) {
                issues.push(`BAD_USER_INPUT naming ${String(field)}, not ${pathName(slot.path)} (${error.message}): ` +
                  `if the value filled in for ${String(field)} is at fault, give a valid one in hostile.fixed of ${plans.fileFor(rf.root, rf.name)}`)
              }
            } else if (code === 'CONFLICT') {
              // Only a unique value that an earlier call of this barrage stored may conflict.
              const taken = stored.get(`${holderNamed.name}.${leaf}`)?.has(input.value.trim().toUpperCase()) === true
              if (!taken || field !== pathName(slot.path)) issues.push(`CONFLICT (${String(field)}): ${error.message}`)
            } else if (code === 'INTERNAL_SERVER_ERROR' || code === 'SERVICE_UNAVAILABLE') {
              // Already reported by failuresOf.
            } else if (code !== 'UNAUTHENTICATED' || slot.scalar === 'ID') {
              issues.push(`${String(code)}: ${error.message}`)
            }
          }
        }
        problems.push(...leaks.map((leak) => `${input.name}: ${leak}`))
        for (const issue of issues) {
          const label = `${input.name}: ${issue}`
          const bug = KNOWN_BARRAGE_BUGS.find((k) => (k.input === undefined || k.input === input.name) && (k.where?.test(where) ?? true) && (k.issue?.test(issue) ?? true))
          if (bug !== undefined) known.push(`${label} [BUG.${bug.bug}]`)
          else problems.push(label)
        }
      }
      // Calls that cannot get in each other's way go out together: reads, malformed ids (refused before
      // anything is written), sign-ins and error reports, and creations (rows of their own, unique values).
      // Updates of one row, the caller's own password and the switches go one at a time.
      const together = rf.root === 'Query' || slot.scalar === 'ID' || rf.name.startsWith('create') || plans.hostile.concurrent.has(rf.name)
      const numbered = inputs.map((input) => ({ input, n: ++n }))
      if (together) await Promise.all(numbered.map(async ({ input, n }) => { await attack(input, n) }))
      else for (const { input, n } of numbered) await attack(input, n)
      tally.stored += counts.stored
      tally.accepted += counts.accepted
      tally.refused += counts.refused
      t.same(problems, [], `${where}: ${inputs.length} hostile values; ${counts.stored} stored verbatim, ${counts.accepted} accepted, ${counts.refused} refused; no 5xx, nothing internal`)
      if (known.length > 0) {
        const bugs = new Set(known.map((label) => /\[BUG\.(\w+)\]$/.exec(label)?.[1]))
        t.same(known, [], `${where}: known product bugs`, { todo: [...bugs].map((bug) => `known product bug BUG.${bug}`).join(', ') })
      }
    }
  }
  t.ok(attacked.length >= 20, `${attacked.length} root fields attacked: ${attacked.join(', ')}`)
  const untouched = fields.filter((rf) => textSlots(rf.field).length === 0).map((rf) => `${rf.root}.${rf.name}`)
  t.comment(`${tally.calls} hostile calls; root fields without a String or ID argument (nothing to inject): ${untouched.join(', ')}`)
  t.ok(tally.stored > 20, `hostile strings were stored and read back verbatim (${tally.stored}), so no SQL ran and nothing was mangled`)
  t.ok(tally.refused > 100, `hostile strings were refused (${tally.refused})`)
  for (const key of ['Vehicle.name', 'Driver.name', 'Facility.name']) {
    t.ok(stored.get(key)?.has("'; DROP TABLE VEHICLES; --"), `${key} holds '; DROP TABLE vehicles; -- as plain text`)
  }
  return created
}
