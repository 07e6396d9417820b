import { parse } from 'graphql'
import t from 'tap'
import { buildTestApp, codes } from './helpers/app.js'

// Abuse limits: refused before execution with QUERY_TOO_COMPLEX (400), saying what and how much.

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars', DATABASE_URL: 'postgres://unused.invalid/db' }

void t.test('depth, cost, aliases and tokens', async (t) => {
  const { app, gql, login, statementsOf } = await buildTestApp(t, { env: { MAX_QUERY_DEPTH: '6', MAX_QUERY_COST: '1000', MAX_QUERY_ALIASES: '5', MAX_QUERY_TOKENS: '300' } })
  const token = await login('viewer@fleet.example')
  const refused = async (label: string, query: string, variables = {}, pattern?: RegExp) => {
    const response = await gql(query, variables, token)
    t.same(codes(response), ['QUERY_TOO_COMPLEX'], label)
    t.equal(response.status, 400, `${label}: 400`)
    t.equal(statementsOf(response), 0, `${label}: nothing ran`)
    if (pattern !== undefined) t.match(response.errors?.[0]?.message, pattern)
    return response
  }
  t.same(codes(await gql('{ vehicles(first: 10) { nodes { number facility { name } } } }', {}, token)), [], 'an ordinary query passes')

  await refused('too deep', '{ vehicles { nodes { assignments { nodes { driver { assignments { nodes { vehicle { number } } } } } } } } }', {}, /nested 9 levels deep; at most 6/)
  const cost = await refused('too costly', '{ facilities(first: 10) { nodes { vehicles(first: 100) { nodes { number name } } } } }', {}, /cost \d+/)
  t.ok((cost.errors?.[0]?.extensions.cost as number) > 1000)
  t.equal(cost.errors?.[0]?.extensions.limit, 1000)
  await refused('cost through a variable', 'query ($n: Int) { vehicles(first: $n) { nodes { number name vin make model year } } }', { n: 200 }, /cost/)
  t.same(codes(await gql('query ($n: Int) { vehicles(first: $n) { nodes { number } } }', { n: 5 }, token)), [], 'the same shape with a small page passes')
  await refused('cost through fragments', 'fragment F on Vehicle { number name vin make model year licensePlate } { vehicles(first: 200) { nodes { ...F } } }', {}, /cost/)
  await refused('too many aliases', `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: me { id }`).join(' ')} }`, {}, /6 aliases; at most 5/)
  await refused('too many tokens', `{ me { ${Array.from({ length: 400 }, () => 'id').join(' ')} } }`, {}, /more than 300 tokens/)
  t.same(codes(await gql('{ fleetPositions { vehicle { id number name status } position { latitude longitude speed heading recordedAt } } }', {}, token)), [], 'the live map\'s list passes')
  await refused('a connection below a list of unknown length (the fleet)', '{ fleetPositions { vehicle { assignments(first: 10) { nodes { id } } } } }', {}, /cost \d+/)
  await refused('cost through a variable\'s default', 'query ($n: Int = 200) { vehicles(first: $n) { nodes { number name vin make model year } } }', {}, /cost/)
  const costly = '{ facilities(first: 10) { nodes { vehicles(first: 100) { nodes { number name } } } } }'
  const twoOperations = `query Small { me { id } } query Large ${costly}`
  const named = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}` }, payload: { query: twoOperations, operationName: 'Small' } })
  t.equal(named.json().errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX', 'every operation of a document is measured, not only the one named')
  const batched = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}` }, payload: [{ query: twoOperations, operationName: 'Large' }] })
  t.equal(batched.json()[0]?.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX', 'in a batch too (where the name was not read)')
  const cycle = await gql('fragment A on Vehicle { ...B } fragment B on Vehicle { ...A } { vehicles { nodes { ...A } } }', {}, token)
  t.same(codes(cycle), ['BAD_USER_INPUT'], 'fragment cycles are a validation error, not a hang')
})

void t.test('batches, bodies and introspection', async (t) => {
  const { app, login } = await buildTestApp(t, { env: { MAX_BATCHED_OPERATIONS: '3', BODY_LIMIT_BYTES: '2048' } })
  const token = await login('viewer@fleet.example')
  const post = async (payload: unknown) => await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, payload: JSON.stringify(payload) })
  const batch = await post([{ query: '{ me { id } }' }, { query: '{ vehicles { totalCount } }' }])
  t.equal(batch.statusCode, 200)
  t.same(batch.json().map((r: { data: unknown }) => Object.keys(r.data as object)), [['me'], ['vehicles']], 'a batch runs each operation')
  const large = await post(Array.from({ length: 4 }, () => ({ query: '{ me { id } }' })))
  t.equal(large.statusCode, 400)
  t.equal(large.json().errors[0].extensions.code, 'QUERY_TOO_COMPLEX')
  const huge = await post({ query: `{ me { id } } # ${'x'.repeat(4000)}` })
  t.equal(huge.statusCode, 413, 'bodies over BODY_LIMIT_BYTES: 413')
  t.equal(huge.json().errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')

  const introspection = '{ __schema { queryType { name } } }'
  t.same((await post({ query: introspection })).json().data, { __schema: { queryType: { name: 'Query' } } }, 'introspection on outside production')
  const production = await buildTestApp(t, { env: PRODUCTION })
  const refused = await production.app.inject({ method: 'POST', url: '/graphql', headers: { accept: 'application/graphql-response+json' }, payload: { query: introspection } })
  t.equal(refused.statusCode, 400, 'a validation error: 400 in application/graphql-response+json')
  t.match(refused.json().errors[0].message, /introspection/i, 'off in production')
  const enabled = await buildTestApp(t, { env: { ...PRODUCTION, INTROSPECTION: 'true' } })
  t.equal((await enabled.app.inject({ method: 'POST', url: '/graphql', payload: { query: introspection } })).statusCode, 200, 'unless enabled')
})

void t.test('subscriptions get the same limits', async (t) => {
  const { app, login } = await buildTestApp(t, { env: { MAX_QUERY_DEPTH: '6', MAX_QUERY_COST: '1000', MAX_QUERY_TOKENS: '300' } })
  const token = await login('viewer@fleet.example')
  const url = `${(await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/graphql`
  /** The first message answering a subscription: `next`/`error` with its payload, or `closed` with the socket's close code. */
  const answer = async (query: string | object, variables: object = {}, operationName?: string): Promise<{ type: string, payload: any }> => {
    const socket = new WebSocket(url, 'graphql-transport-ws')
    t.teardown(() => { socket.close() })
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('no answer within 5 s')) }, 5000)
      socket.addEventListener('open', () => { socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })) })
      socket.addEventListener('message', (message) => {
        const data = JSON.parse(String(message.data)) as { type: string, payload?: unknown }
        if (data.type === 'connection_ack') socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables, operationName } }))
        if (data.type === 'error' || data.type === 'next') {
          clearTimeout(timer)
          resolve({ type: data.type, payload: data.payload })
        }
      })
      socket.addEventListener('close', (event) => {
        clearTimeout(timer)
        resolve({ type: 'closed', payload: event.code })
      })
    })
  }
  const refused = async (label: string, query: string, pattern: RegExp, variables: object = {}, operationName?: string): Promise<void> => {
    const { type, payload } = await answer(query, variables, operationName)
    t.equal(type, 'error', `${label}: refused`)
    t.equal(payload?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX', `${label}: QUERY_TOO_COMPLEX`)
    t.match(payload?.[0]?.message, pattern, label)
  }
  await refused('too deep', 'subscription { vehicleChanged { vehicle { assignments { nodes { driver { assignments { nodes { vehicle { number } } } } } } } } }', /nested \d+ levels deep; at most 6/)
  await refused('too costly through a variable (counted as the largest page)', 'subscription ($n: Int) { vehicleChanged { vehicle { assignments(first: $n) { nodes { id startsAt endsAt notes createdAt updatedAt } } } } }', /cost \d+/, { n: 2 })
  await refused('too many tokens', `subscription { vehicleChanged { vehicle { ${Array.from({ length: 400 }, () => 'id').join(' ')} } } }`, /more than 300 tokens/)
  await refused('a costly subscription beside a small query', `query Small { me { id } } subscription Large { vehicleChanged { vehicle { assignments(first: 200) { nodes { id startsAt endsAt notes createdAt updatedAt } } } } }`, /cost \d+/, {}, 'Large')

  // Not GraphQL text: a syntax tree sent as JSON would skip the checks made on text. Nor is it a
  // message of the protocol, whose query is text: the socket is closed with 4400.
  const tree = await answer(JSON.parse(JSON.stringify(parse('subscription { vehicleChanged { kind } }', { noLocation: true }))))
  t.same(tree, { type: 'closed', payload: 4400 }, 'a syntax tree is refused: the socket is closed with 4400 (bad request)')
  // Subscriptions are validated like queries (Mercurius does not validate them).
  const invalid = await answer('subscription { vehicleChanged { noSuchField } }')
  t.equal(invalid.type, 'error', 'an invalid subscription is refused')
  t.equal(invalid.payload?.[0]?.extensions?.code, 'BAD_USER_INPUT')
  t.match(invalid.payload?.[0]?.message, /noSuchField/)
})
