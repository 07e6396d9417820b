import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { loadConfig } from '../src/config.js'
import { buildManifest, MAX_REGISTERED_QUERY_LENGTH, TextLru } from '../src/graphql/persisted-queries.js'
import { sha256Hex } from '../src/graphql/persisted-query-manifest.js'
import { loadSchema } from '../src/graphql/schema.js'
import { buildTestApp } from './helpers/app.js'
import { ROOT } from './helpers/environment.js'
import { runScript, temporaryDirectory } from './helpers/process.js'
import { privateRedis } from './helpers/redis.js'
import { problemsOf } from './helpers/config.js'

// Automatic persisted queries (Apollo's APQ protocol) and the allow-list mode PERSISTED_QUERIES_ONLY.

interface Response {
  status: number
  headers: Record<string, unknown>
  body: any
}

/** `extensions` of a request sending `query` by its hash. */
function hashOf (query: string, version = 1) {
  return { persistedQuery: { version, sha256Hash: sha256Hex(query) } }
}

function client (app: FastifyInstance) {
  const headers = (token?: string) => token === undefined ? {} : { authorization: `Bearer ${token}` }
  return {
    post: async (payload: unknown, token?: string): Promise<Response> => {
      const response = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', ...headers(token) }, payload: JSON.stringify(payload) })
      return { status: response.statusCode, headers: response.headers, body: response.json() }
    },
    get: async (params: { query?: string, extensions?: object, variables?: object }, token?: string): Promise<Response> => {
      const query: Record<string, string> = {}
      if (params.query !== undefined) query.query = params.query
      if (params.extensions !== undefined) query.extensions = JSON.stringify(params.extensions)
      if (params.variables !== undefined) query.variables = JSON.stringify(params.variables)
      const response = await app.inject({ method: 'GET', url: '/graphql', query, headers: headers(token) })
      return { status: response.statusCode, headers: response.headers, body: response.json() }
    }
  }
}

const codesOf = (response: Response): string[] => (response.body.errors ?? []).map((e: any) => e.extensions?.code)

/** SQL statements a response reports in Server-Timing. */
function statementsOf (response: Response): number {
  const match = /desc="(\d+) statements"/.exec(String(response.headers['server-timing']))
  if (match === null) throw new Error('response has no Server-Timing statement count')
  return Number(match[1])
}

/** The answer to a hash the server does not know: what Apollo clients resend the query on. */
function isNotFound (t: Test, response: Response, label: string): void {
  t.equal(response.status, 200, `${label}: 200 in application/json, as Apollo Server answers it`)
  t.same(response.body.errors, [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }], `${label}: PersistedQueryNotFound`)
  t.notOk('data' in response.body, `${label}: no data`)
}

function isForbidden (t: Test, response: Response, reason: string, label: string): void {
  t.equal(response.status, 403, `${label}: 403`)
  t.same(codesOf(response), ['FORBIDDEN'], `${label}: FORBIDDEN`)
  t.equal(response.body.errors?.[0]?.extensions?.reason, reason, `${label}: reason ${reason}`)
}

void t.test('APQ: unknown hash, registration, then the hash alone over POST and GET', async (t) => {
  const { app, login } = await buildTestApp(t)
  const token = await login('viewer@fleet.example')
  const { post, get } = client(app)
  // A text of this test's own (the comment makes it unique): a shared Redis may have seen others.
  const query = `# ${randomUUID()}\nquery Numbers($n: Int) { vehicles(first: $n, orderBy: { field: NUMBER, direction: ASC }) { nodes { number } } }`
  const extensions = hashOf(query)

  isNotFound(t, await post({ extensions, variables: { n: 2 } }, token), 'first, the hash alone')
  // application/graphql-response+json answers a response without data with a 4xx; 404, since
  // older Apollo clients give up persisted queries on a 400.
  const modern = await app.inject({ method: 'POST', url: '/graphql', headers: { accept: 'application/graphql-response+json', authorization: `Bearer ${token}` }, payload: { extensions } })
  t.equal(modern.statusCode, 404, 'in application/graphql-response+json: 404')
  t.same(modern.json().errors?.[0]?.extensions, { code: 'PERSISTED_QUERY_NOT_FOUND' })
  const registered = await post({ query, extensions, variables: { n: 2 } }, token)
  t.equal(registered.status, 200)
  t.equal(registered.body.errors, undefined, 'query and hash together run')
  const numbers = registered.body.data.vehicles.nodes
  t.equal(numbers.length, 2)

  const byPost = await post({ extensions, variables: { n: 2 } }, token)
  t.same(byPost.body, { data: { vehicles: { nodes: numbers } } }, 'then the hash alone runs it (POST)')
  const byGet = await get({ extensions, variables: { n: 2 } }, token)
  t.equal(byGet.status, 200)
  t.same(byGet.body, { data: { vehicles: { nodes: numbers } } }, 'and over GET')
  t.same((await post({ extensions, variables: { n: 1 } }, token)).body.data.vehicles.nodes, numbers.slice(0, 1), 'with other variables')
  isNotFound(t, await get({ extensions: hashOf(`${query} `) }, token), 'GET with an unknown hash')

  const batch = await post([{ extensions, variables: { n: 1 } }, { extensions: hashOf(`${query}\n`) }], token)
  t.equal(batch.status, 200)
  t.same(batch.body[0], { data: { vehicles: { nodes: numbers.slice(0, 1) } } }, 'batches: a known hash runs')
  t.same(batch.body[1].errors?.[0]?.extensions, { code: 'PERSISTED_QUERY_NOT_FOUND' }, 'and an unknown one is not found, alone')

  isNotFound(t, await post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'not-a-sha256' } } }, token), 'a malformed hash is just unknown')
  const version2 = await post({ extensions: hashOf(query, 2) }, token)
  t.equal(version2.status, 400)
  t.equal(version2.body.errors?.[0]?.message, 'PersistedQueryNotSupported', 'another protocol version: PersistedQueryNotSupported (clients stop sending hashes)')
})

void t.test('APQ: a text is only ever registered under its own hash', async (t) => {
  const { app, login } = await buildTestApp(t)
  const token = await login('viewer@fleet.example')
  const { post } = client(app)
  const tag = randomUUID()
  const victim = `# ${tag}\n{ vehicles(first: 1) { nodes { number } } }`
  const impostor = `# ${tag}\n{ me { email role } }`

  const mismatch = await post({ query: impostor, extensions: hashOf(victim) }, token)
  t.equal(mismatch.status, 400, 'a hash that is not the text\'s: 400')
  t.same(codesOf(mismatch), ['BAD_USER_INPUT'])
  t.equal(mismatch.body.errors[0].message, 'provided sha does not match query')
  t.notOk('data' in mismatch.body, 'and nothing ran')
  isNotFound(t, await post({ extensions: hashOf(victim) }, token), 'the claimed hash stays unknown')
  isNotFound(t, await post({ extensions: hashOf(impostor) }, token), 'and the text was not registered under its own either')

  t.equal((await post({ query: victim, extensions: hashOf(victim) }, token)).status, 200)
  t.equal((await post({ query: impostor, extensions: hashOf(victim) }, token)).status, 400, 'a registered hash cannot be overwritten')
  t.same(Object.keys((await post({ extensions: hashOf(victim) }, token)).body.data), ['vehicles'], 'the hash still runs its own text')

  const invalid = `# ${tag}\n{ vehicles { nodes { noSuchField } } }`
  t.same(codesOf(await post({ query: invalid, extensions: hashOf(invalid) }, token)), ['BAD_USER_INPUT'], 'an invalid text is refused')
  isNotFound(t, await post({ extensions: hashOf(invalid) }, token), 'and not registered')
  const long = `# ${'x'.repeat(MAX_REGISTERED_QUERY_LENGTH)}\n{ me { id } }`
  t.equal((await post({ query: long, extensions: hashOf(long) }, token)).status, 200, 'a very long text runs')
  isNotFound(t, await post({ extensions: hashOf(long) }, token), 'but is not kept')
})

void t.test('the limits apply to persisted queries', async (t) => {
  const dir = temporaryDirectory(t)
  const heavy = `query Heavy { me { ${Array.from({ length: 400 }, () => 'id').join(' ')} } }`
  const file = join(dir, 'manifest.json')
  writeFileSync(file, JSON.stringify({ [sha256Hex(heavy)]: heavy }))
  const { app, login } = await buildTestApp(t, { env: { MAX_QUERY_DEPTH: '6', MAX_QUERY_COST: '1000', MAX_QUERY_TOKENS: '300', PERSISTED_QUERIES_FILE: file } })
  const token = await login('viewer@fleet.example')
  const { post, get } = client(app)
  const tag = randomUUID()

  const deep = `# ${tag}\n{ vehicles { nodes { assignments { nodes { driver { assignments { nodes { vehicle { number } } } } } } } } }`
  const refused = await post({ query: deep, extensions: hashOf(deep) }, token)
  t.equal(refused.status, 400)
  t.same(codesOf(refused), ['QUERY_TOO_COMPLEX'], 'too deep: refused at registration')
  isNotFound(t, await post({ extensions: hashOf(deep) }, token), 'and not registered')

  const costly = `# ${tag}\nquery ($n: Int) { vehicles(first: $n) { nodes { number name vin make model year } } }`
  t.equal((await post({ query: costly, extensions: hashOf(costly), variables: { n: 5 } }, token)).status, 200, 'registered with a small page')
  for (const [label, response] of [
    ['POST', await post({ extensions: hashOf(costly), variables: { n: 200 } }, token)],
    ['GET', await get({ extensions: hashOf(costly), variables: { n: 200 } }, token)]
  ] as const) {
    t.same(codesOf(response), ['QUERY_TOO_COMPLEX'], `${label}: the hash with a large page costs too much`)
    t.equal(statementsOf(response), 0, `${label}: nothing ran`)
  }

  const tokens = await post({ extensions: hashOf(heavy) }, token)
  t.same(codesOf(tokens), ['QUERY_TOO_COMPLEX'], 'a manifest operation over the token limit is refused by hash too')
  t.match(tokens.body.errors[0].message, /more than 300 tokens/)
})

void t.test('registrations are shared through Redis, checked on the way back, and survive its failure', async (t) => {
  const redis = await privateRedis(t)
  const namespace = `test:apq:${randomUUID()}`
  const env = { REDIS_URL: redis.url, CACHE_NAMESPACE: namespace, PERSISTED_QUERIES_TTL_SECONDS: '600' }
  const a = await buildTestApp(t, { env })
  const b = await buildTestApp(t, { env })
  const token = await a.login('viewer@fleet.example')
  const onA = client(a.app)
  const onB = client(b.app)
  const query = '{ fleetSummary { totalVehicles } }'

  isNotFound(t, await onB.post({ extensions: hashOf(query) }, token), 'unknown on B')
  t.equal((await onA.post({ query, extensions: hashOf(query) }, token)).status, 200, 'registered through A')
  const key = `${namespace}:apq:${sha256Hex(query)}`
  const admin = redis.client()
  t.equal(await admin.get(key), query, 'stored in Redis under its hash')
  const ttl = await admin.ttl(key)
  t.ok(ttl > 590 && ttl <= 600, `for PERSISTED_QUERIES_TTL_SECONDS (${ttl} s left)`)
  const onBData = (await onB.post({ extensions: hashOf(query) }, token)).body
  t.same(Object.keys(onBData.data.fleetSummary), ['totalVehicles'], 'B runs it by hash: no extra round trip')

  const forged = '{ me { email } }'
  await admin.set(`${namespace}:apq:${sha256Hex('{ me { id } }')}`, forged)
  isNotFound(t, await onB.post({ extensions: hashOf('{ me { id } }') }, token), 'a text in Redis that is not the hash\'s own never runs')

  await redis.stop()
  const later = '{ fleetSummary { activeDrivers } }'
  const registered = await onA.post({ query: later, extensions: hashOf(later) }, token)
  t.equal(registered.status, 200, 'Redis down: registering still answers')
  t.equal(registered.body.errors, undefined)
  t.equal((await onA.post({ extensions: hashOf(later) }, token)).status, 200, 'A keeps what it registered')
  isNotFound(t, await onB.post({ extensions: hashOf(later) }, token), 'B does not know it: one extra round trip, no error')
  t.same(Object.keys((await onB.post({ extensions: hashOf(query) }, token)).body.data), ['fleetSummary'], 'B still has what it read from Redis before')

  // Without Redis every replica keeps its own registrations.
  const alone = await buildTestApp(t, { env: { REDIS_URL: '' } })
  isNotFound(t, await client(alone.app).post({ extensions: hashOf(query) }, token), 'an in-process replica only knows its own registrations')
})

void t.test('PERSISTED_QUERIES_TTL_SECONDS=0: no registration, the manifest still works', async (t) => {
  const dir = temporaryDirectory(t)
  const listed = '{ fleetSummary { totalVehicles } }'
  const file = join(dir, 'manifest.json')
  writeFileSync(file, JSON.stringify({ [sha256Hex(listed)]: listed }))
  const { app, login } = await buildTestApp(t, { env: { PERSISTED_QUERIES_TTL_SECONDS: '0', PERSISTED_QUERIES_FILE: file } })
  const token = await login('viewer@fleet.example')
  const { post } = client(app)
  t.same(Object.keys((await post({ extensions: hashOf(listed) }, token)).body.data), ['fleetSummary'], 'a manifest hash runs')
  const other = `# ${randomUUID()}\n{ me { id } }`
  const unknown = await post({ extensions: hashOf(other) }, token)
  t.equal(unknown.body.errors?.[0]?.message, 'PersistedQueryNotSupported', 'another hash: not supported, so clients send queries')
  t.equal((await post({ query: other, extensions: hashOf(other) }, token)).status, 200, 'query and hash run')
  t.equal((await post({ extensions: hashOf(other) }, token)).body.errors?.[0]?.message, 'PersistedQueryNotSupported', 'but register nothing')
  t.equal((await post({ query: other }, token)).status, 200, 'and any other query runs: this is not the allow-list mode')
})

void t.test('PERSISTED_QUERIES_ONLY runs the manifest\'s operations and nothing else', async (t) => {
  const dir = temporaryDirectory(t)
  const file = join(dir, 'persisted-queries.json')
  const script = await runScript('scripts/persisted-queries.ts', ['--out', file])
  t.equal(script.code, 0, `npm run persisted-queries writes the manifest: ${script.stderr}`)
  t.match(script.stdout, /2 operations \(Dashboard, SignIn\) from 3 files/)
  const manifest = JSON.parse(readFileSync(file, 'utf8'))
  const operations = new Map<string, { id: string, body: string }>(manifest.operations.map((o: any) => [o.name, o]))
  const signIn = operations.get('SignIn')
  const dashboard = operations.get('Dashboard')
  if (signIn === undefined || dashboard === undefined) throw new Error(`unexpected manifest ${JSON.stringify(manifest)}`)

  const { app, config } = await buildTestApp(t, { env: { PERSISTED_QUERIES_ONLY: 'true', PERSISTED_QUERIES_FILE: file } })
  t.equal(config.GRAPHIQL, false, 'GraphiQL is off by default in this mode')
  t.equal((await app.inject({ method: 'GET', url: '/graphiql' })).statusCode, 404)
  const { post, get } = client(app)
  const byId = (operation: { id: string }) => ({ persistedQuery: { version: 1, sha256Hash: operation.id } })

  const session = await post({ extensions: byId(signIn), variables: { email: 'viewer@fleet.example', password: 'fleet-demo' } })
  t.equal(session.status, 200)
  const token = session.body.data?.login?.accessToken as string
  t.type(token, 'string', 'SignIn by hash')
  const overGet = await get({ extensions: byId(signIn), variables: { email: 'viewer@fleet.example', password: 'fleet-demo' } })
  t.equal(overGet.status, 405, 'a listed mutation is not run over GET either')
  t.notOk('data' in overGet.body)
  const viaPost = await post({ extensions: byId(dashboard), variables: { first: 2 } }, token)
  t.equal(viaPost.body.data?.vehicles?.nodes?.length, 2, 'Dashboard by hash (POST)')
  const viaGet = await get({ extensions: byId(dashboard), variables: { first: 2 } }, token)
  t.same(viaGet.body, viaPost.body, 'Dashboard by hash (GET)')
  t.same((await post({ query: dashboard.body, variables: { first: 2 } }, token)).body, viaPost.body, 'Dashboard by its exact text')
  t.same((await get({ query: dashboard.body, variables: { first: 2 } }, token)).body, viaPost.body, 'and over GET')
  t.same((await post({ query: dashboard.body, extensions: byId(dashboard), variables: { first: 2 } }, token)).body, viaPost.body, 'and with text and hash together')

  isForbidden(t, await post({ query: '{ me { id } }' }, token), 'PERSISTED_QUERY_REQUIRED', 'any other text')
  isForbidden(t, await get({ query: '{ me { id } }' }, token), 'PERSISTED_QUERY_REQUIRED', 'over GET too')
  isForbidden(t, await post({ query: dashboard.body.replace('\n', '\n '), variables: { first: 2 } }, token), 'PERSISTED_QUERY_REQUIRED', 'a listed text, reformatted')
  isForbidden(t, await post({ query: '{ __schema { queryType { name } } }' }), 'PERSISTED_QUERY_REQUIRED', 'introspection')
  isForbidden(t, await post({ query: '{ me { id ' }), 'PERSISTED_QUERY_REQUIRED', 'a syntax error: refused before parsing')
  isForbidden(t, await post({ extensions: hashOf('{ me { id } }') }, token), 'PERSISTED_QUERY_NOT_IN_LIST', 'an unknown hash')
  isForbidden(t, await get({ extensions: hashOf('{ me { id } }') }, token), 'PERSISTED_QUERY_NOT_IN_LIST', 'an unknown hash over GET')
  isForbidden(t, await post({ query: '{ me { id } }', extensions: hashOf('{ me { id } }') }, token), 'PERSISTED_QUERY_REQUIRED', 'an APQ registration')
  isForbidden(t, await post({ extensions: hashOf('{ me { id } }') }, token), 'PERSISTED_QUERY_NOT_IN_LIST', 'which registered nothing')
  const mismatch = await post({ query: dashboard.body, extensions: byId(signIn) }, token)
  t.equal(mismatch.status, 400, 'a listed text under another listed hash: mismatch')

  const batch = await post([{ extensions: byId(dashboard), variables: { first: 1 } }, { query: '{ me { id } }' }], token)
  t.equal(batch.body[0].data?.vehicles?.nodes?.length, 1, 'a batch runs its listed operation')
  t.same(batch.body[1].errors?.map((e: any) => e.extensions), [{ code: 'FORBIDDEN', reason: 'PERSISTED_QUERY_REQUIRED' }], 'and refuses the other')

  // Subscriptions send their text over the WebSocket: it must be a listed one as well.
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws')
  t.teardown(() => { socket.close() })
  const refusal = await new Promise<any>((resolve, reject) => {
    setTimeout(() => { reject(new Error('the subscription was neither refused nor answered')) }, 5000).unref()
    socket.addEventListener('open', () => { socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })) })
    socket.addEventListener('message', (message) => {
      const data = JSON.parse(String(message.data))
      if (data.type === 'connection_ack') socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { vehicleChanged { kind } }' } }))
      else if (data.type === 'error') resolve(data)
      else reject(new Error(`unexpected ${String(message.data)}`))
    })
    socket.addEventListener('error', () => { reject(new Error('websocket error')) })
  })
  t.same(refusal.payload.map((e: any) => e.extensions), [{ code: 'FORBIDDEN', reason: 'PERSISTED_QUERY_REQUIRED' }], 'a subscription outside the manifest is refused')
})

void t.test('the manifest: formats, start-up problems and the generator', async (t) => {
  const dir = temporaryDirectory(t)
  const write = (name: string, content: unknown) => {
    const path = join(dir, name)
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
    return path
  }
  const query = '{ me { id } }'
  const plain = write('plain.json', { [sha256Hex(query)]: query })
  const apollo = write('apollo.json', { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256Hex(query), name: 'Me', type: 'query', body: query }] })
  t.same([...loadConfig({ PERSISTED_QUERIES_FILE: plain }).PERSISTED_QUERIES ?? []], [[sha256Hex(query), { body: query }]], '{ "<sha256>": "<query>" }')
  t.same([...loadConfig({ PERSISTED_QUERIES_FILE: apollo }).PERSISTED_QUERIES ?? []], [[sha256Hex(query), { body: query, name: 'Me' }]], 'Apollo\'s persisted-query manifest')
  t.equal(loadConfig({ PERSISTED_QUERIES_FILE: write('missing-for-tools.json', '') }, { purpose: 'tool' }).PERSISTED_QUERIES, undefined, 'command-line tools do not read it')
  t.equal(loadConfig({}).PERSISTED_QUERIES_ONLY, false, 'the allow-list is off by default')

  const missing = join(dir, 'nowhere.json')
  t.same(problemsOf({ PERSISTED_QUERIES_ONLY: 'true' }), ['PERSISTED_QUERIES_ONLY needs PERSISTED_QUERIES_FILE, the manifest of the operations to allow'])
  t.same(problemsOf({ PERSISTED_QUERIES_ONLY: 'true', PERSISTED_QUERIES_FILE: plain, GRAPHIQL: 'true' }), ['GRAPHIQL cannot be on with PERSISTED_QUERIES_ONLY: GraphiQL sends queries (its introspection query first) that are not in the manifest'])
  t.same(problemsOf({ PERSISTED_QUERIES_FILE: missing }), [`PERSISTED_QUERIES_FILE cannot be read (${missing}): no such file`])
  t.same(problemsOf({ PERSISTED_QUERIES_FILE: dir }), [`PERSISTED_QUERIES_FILE cannot be read (${dir}): EISDIR: illegal operation on a directory, read`])
  t.match(problemsOf({ PERSISTED_QUERIES_FILE: write('broken.json', '{ "a": ') }), [/^PERSISTED_QUERIES_FILE \(.*broken\.json\) is not valid JSON: /])
  t.match(problemsOf({ PERSISTED_QUERIES_FILE: write('list.json', [query]) }), [/must be a JSON object: \{ "<sha256>": "<query>" \} or an Apollo persisted-query manifest$/])
  t.match(problemsOf({ PERSISTED_QUERIES_FILE: write('relay.json', { d41d8cd98f00b204e9800998ecf8427e: query }) }), [new RegExp(`has 1 invalid entry: "d41d8cd98f00b204e9800998ecf8427e": the id must be the SHA-256 of the query text, ${sha256Hex(query)}$`)])
  t.match(problemsOf({ PERSISTED_QUERIES_FILE: write('many.json', Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`id${i}`, i === 0 ? '' : query]))) }), [/has 7 invalid entries: "id0": the query text must be a non-empty string; .* \(and 2 more\)$/])
  t.match(problemsOf({ PERSISTED_QUERIES_FILE: write('format.json', { format: 'relay', operations: [] }) }), [/unknown format "relay"/])
  t.match(problemsOf({ PERSISTED_QUERIES_FILE: write('version.json', { format: 'apollo-persisted-query-manifest', version: 2, operations: [] }) }), [/version 2 is not supported \(expected 1\)$/])
  t.match(problemsOf({ PERSISTED_QUERIES_FILE: write('operations.json', { format: 'apollo-persisted-query-manifest', version: 1 }) }), [/"operations" must be an array$/])
  t.match(problemsOf({ PERSISTED_QUERIES_FILE: write('entry.json', { format: 'apollo-persisted-query-manifest', version: 1, operations: ['x'] }) }), [/operations\[0\]: the query text must be a non-empty string$/])
  const empty = write('empty.json', {})
  t.same(problemsOf({ PERSISTED_QUERIES_FILE: empty }), [], 'an empty manifest is harmless without the allow-list')
  t.same(problemsOf({ PERSISTED_QUERIES_ONLY: 'true', PERSISTED_QUERIES_FILE: empty }), ['PERSISTED_QUERIES_FILE lists no operation: PERSISTED_QUERIES_ONLY would refuse every request'])

  const stale = '{ vehicles { nodes { mileage } } }'
  // (Without Redis: an app whose start fails is never closed, and its Redis client would keep the test running.)
  await t.rejects(buildTestApp(t, { env: { REDIS_URL: '', PERSISTED_QUERIES_FILE: write('stale.json', { [sha256Hex(stale)]: stale, [sha256Hex('{ me {')]: '{ me {' }) } }), {
    name: 'ConfigError',
    problems: [/^PERSISTED_QUERIES_FILE: operation [0-9a-f]{12}: Cannot query field "mileage" on type "Vehicle"/, /^PERSISTED_QUERIES_FILE: operation [0-9a-f]{12}: Syntax Error/]
  }, 'operations that do not validate against the schema stop the start')
  const introspection = '{ __schema { queryType { name } } }'
  await t.rejects(buildTestApp(t, { env: { REDIS_URL: '', NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars', DATABASE_URL: 'postgres://unused.invalid/db', PERSISTED_QUERIES_FILE: write('introspection.json', { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256Hex(introspection), name: 'Schema', body: introspection }] }) } }), {
    name: 'ConfigError',
    problems: [/^PERSISTED_QUERIES_FILE: operation Schema: GraphQL introspection has been disabled/]
  }, 'with the server\'s validation rules (introspection off in production)')

  // The generator, from the repository's operations/ and from documents with mistakes.
  const schema = loadSchema().schema
  const files = readdirSync(join(ROOT, 'operations')).map((name) => ({ path: name, text: readFileSync(join(ROOT, 'operations', name), 'utf8') }))
  const built = buildManifest(files, schema)
  t.same(built.problems, [])
  t.same(built.manifest.operations.map((o) => [o.name, o.type]), [['Dashboard', 'query'], ['SignIn', 'mutation']], 'one entry per operation, by name')
  const dashboard = built.manifest.operations[0]
  t.equal(dashboard?.id, sha256Hex(dashboard?.body ?? ''), 'under the SHA-256 of its body')
  t.match(dashboard?.body, /fragment VehicleRow on Vehicle/, 'with the fragments it uses, from other files')
  const broken = buildManifest([
    { path: 'a.graphql', text: 'query A { me { id ...F } } fragment F on User { email ...G } fragment G on User { id ...F }' },
    { path: 'b.graphql', text: '{ me { id } } query A { me { id } } fragment F on User { id }' },
    { path: 'c.graphql', text: 'query C { me { nope } } type T { a: Int }' },
    { path: 'd.graphql', text: 'query D {' },
    { path: 'e.graphql', text: 'query E { me { ...Missing } }' }
  ], schema)
  t.equal(broken.problems.length, 8)
  t.match(broken.problems, [
    'b.graphql: an operation has no name (persisted operations are known by name in logs and metrics)',
    'b.graphql: operation A is already defined in a.graphql',
    'b.graphql: fragment F is already defined in a.graphql',
    'c.graphql: only operations and fragments belong in operation documents, found ObjectTypeDefinition',
    /^d\.graphql: Syntax Error/,
    /^a\.graphql: operation A: Cannot spread fragment "F" within itself via "G"/,
    /^c\.graphql: operation C: Cannot query field "nope" on type "User"/,
    /^e\.graphql: operation E: Unknown fragment "Missing"/
  ])
  t.same(buildManifest([], schema).problems, ['no operation found'])
  const generated = await runScript('scripts/persisted-queries.ts', [join(dir, 'nowhere')])
  t.equal(generated.code, 1, 'the script fails on a missing input')
  t.match(generated.stderr, /ENOENT/)
})

void t.test('the in-process cache is bounded by characters, least recently used first', async (t) => {
  const lru = new TextLru(10)
  lru.set('a', 'aaaa')
  lru.set('b', 'bbbb')
  t.equal(lru.get('a'), 'aaaa', 'a is used: b is now the oldest')
  lru.set('c', 'cccc')
  t.equal(lru.get('b'), undefined, 'b made room')
  t.equal(lru.get('a'), 'aaaa')
  lru.set('a', 'aa')
  t.equal(lru.characters, 6, 'replacing a value counts its new length')
  lru.set('huge', 'x'.repeat(11))
  t.equal(lru.get('huge'), undefined, 'a value larger than the whole cache is not kept')
  t.equal(lru.get('c'), 'cccc', 'and evicts nothing')
})
