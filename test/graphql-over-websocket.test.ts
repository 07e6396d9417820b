import { type Client, type ClientOptions, createClient } from 'graphql-ws'
import t, { type Test } from 'tap'
import { buildTestApp } from './helpers/app.js'
import { dataFetcher } from './helpers/graphql.js'
import { openSubscriptions } from './helpers/websocket.js'

// GraphQL over WebSocket (graphql-transport-ws) as graphql-ws's PROTOCOL.md words it, checked with
// the graphql-ws client itself: every refusal closes the socket with the protocol's code, which
// is what the client reports and decides its retries on, and an authenticated connection gets its
// own organization's events. What the client never sends (protocol violations) is sent raw.

const SUBSCRIPTION = 'subscription { vehicleChanged { kind vehicle { id name } } }'

async function service (t: Test) {
  const test = await buildTestApp(t)
  const url = `${(await test.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/graphql`
  return { ...test, url }
}

/** A graphql-ws client that does not retry, disposed of after the test. */
function clientOf (t: Test, url: string, options: Partial<ClientOptions> = {}): Client {
  const client = createClient({ url, retryAttempts: 0, ...options })
  t.teardown(async () => { await client.dispose() })
  return client
}

/** Subscribes, and resolves with the code of the close event the client reports. */
async function closeCodeOf (client: Client): Promise<number> {
  const closed = new Promise<number>((resolve) => { client.on('closed', (event) => { resolve((event as CloseEvent).code) }) })
  client.subscribe({ query: SUBSCRIPTION }, { next: () => {}, error: () => {}, complete: () => {} })
  return await closed
}

/** A socket speaking the protocol by hand, for the messages a well-behaved client never sends. */
async function rawSocket (t: Test, url: string, protocols: string | string[] = 'graphql-transport-ws') {
  const socket = new WebSocket(url, protocols)
  t.teardown(() => { socket.close() })
  const closed = new Promise<number>((resolve) => { socket.addEventListener('close', (event) => { resolve(event.code) }) })
  const inbox: Array<{ type: string, id?: string, payload?: any }> = []
  const wakers: Array<() => void> = []
  socket.addEventListener('message', (message) => {
    inbox.push(JSON.parse(String(message.data)))
    for (const wake of wakers.splice(0)) wake()
  })
  await new Promise((resolve) => { socket.addEventListener('open', resolve) })
  return {
    protocol: socket.protocol,
    closed,
    send: (message: object | string) => { socket.send(typeof message === 'string' ? message : JSON.stringify(message)) },
    /** The next message of this type; rejects if the socket closes before one arrives. */
    receive: async (type: string): Promise<{ type: string, id?: string, payload?: any }> => {
      for (;;) {
        const index = inbox.findIndex((message) => message.type === type)
        if (index !== -1) return inbox.splice(index, 1)[0] as { type: string }
        const arrived = new Promise<void>((resolve) => { wakers.push(resolve) })
        await Promise.race([arrived, closed.then((code) => { throw new Error(`closed with ${code} before a ${type} message`) })])
      }
    }
  }
}

void t.test('refusals close the socket with the protocol\'s codes, as the graphql-ws client reports them', async (t) => {
  const { url, login } = await service(t)
  for (const [label, connectionParams] of [['no token', {}], ['a token that is no token', { authorization: 'Bearer nope' }], ['not a bearer token', { authorization: 'Basic abc' }]] as const) {
    t.equal(await closeCodeOf(clientOf(t, url, { connectionParams })), 4403, `${label}: 4403 Forbidden`)
  }
  // Another subprotocol (subscriptions-transport-ws's), or none.
  const LegacyProtocol = class extends WebSocket {
    constructor (address: string | URL) { super(address, 'graphql-ws') }
  }
  t.equal(await closeCodeOf(clientOf(t, url, { webSocketImpl: LegacyProtocol })), 4406, 'another subprotocol: 4406 Subprotocol not acceptable')
  t.equal(await (await rawSocket(t, url, [])).closed, 4406, 'no subprotocol: 4406')
  // connection_init never sent (the parameters never resolve): the server does not wait for ever.
  t.equal(await closeCodeOf(clientOf(t, url, { connectionParams: async () => await new Promise<never>(() => {}) })), 4408, 'no connection_init: 4408 Connection initialisation timeout')

  const token = await login('viewer@fleet.example')
  const init = { type: 'connection_init', payload: { authorization: `Bearer ${token}` } }
  const subscribe = (id: string, query = SUBSCRIPTION) => ({ id, type: 'subscribe', payload: { query } })
  const closedAfter = async (label: string, code: number, steps: (socket: Awaited<ReturnType<typeof rawSocket>>) => Promise<void>) => {
    const socket = await rawSocket(t, url)
    await steps(socket)
    t.equal(await socket.closed, code, `${label}: ${code}`)
  }
  await closedAfter('a message that is not JSON', 4400, async (s) => { s.send('{ not json') })
  await closedAfter('a message type the protocol does not have (connection_terminate)', 4400, async (s) => { s.send({ type: 'connection_terminate' }) })
  await closedAfter('a message only a server sends (next)', 4400, async (s) => { s.send({ id: '1', type: 'next', payload: {} }) })
  await closedAfter('a connection_init whose payload is no object', 4400, async (s) => { s.send({ type: 'connection_init', payload: 'Bearer x' }) })
  await closedAfter('a subscribe whose query is no text (a syntax tree)', 4400, async (s) => {
    s.send(init)
    await s.receive('connection_ack')
    s.send({ id: '1', type: 'subscribe', payload: { query: { kind: 'Document', definitions: [] } } })
  })
  await closedAfter('subscribe before connection_init', 4401, async (s) => { s.send(subscribe('1')) })
  await closedAfter('a second connection_init', 4429, async (s) => {
    s.send(init)
    await s.receive('connection_ack')
    s.send(init)
  })
  await closedAfter('a subscribe with the id of an active subscription', 4409, async (s) => {
    s.send(init)
    await s.receive('connection_ack')
    s.send(subscribe('same'))
    s.send(subscribe('same'))
  })
})

void t.test('ids the client or the server completed may be used again; pings are answered', async (t) => {
  const { url, login } = await service(t)
  const s = await rawSocket(t, url, ['graphql-ws', 'graphql-transport-ws'])
  t.equal(s.protocol, 'graphql-transport-ws', 'offered both subprotocols, the client gets graphql-transport-ws')
  s.send({ type: 'ping' })
  t.ok(await s.receive('pong'), 'a ping before connection_init is answered')
  s.send({ type: 'connection_init', payload: { authorization: `Bearer ${await login('viewer@fleet.example')}` } })
  await s.receive('connection_ack')
  s.send({ id: 'a', type: 'subscribe', payload: { query: 'subscription { vehicleChanged { noSuchField } } ' } })
  const refused = await s.receive('error')
  t.equal(refused.id, 'a')
  t.equal(refused.payload?.[0]?.extensions?.code, 'BAD_USER_INPUT', 'an invalid subscription: an error message, the socket stays')
  s.send({ id: 'a', type: 'subscribe', payload: { query: SUBSCRIPTION } })
  s.send({ id: 'a', type: 'complete' })
  s.send({ id: 'a', type: 'subscribe', payload: { query: SUBSCRIPTION } })
  // Messages are handled in order: a pong means none of the three subscribes closed the socket.
  s.send({ type: 'ping' })
  t.ok(await s.receive('pong'), 'the id refused by the server, then completed by the client, is taken again each time')
})

void t.test('an authenticated graphql-ws client gets its own organization\'s events', { timeout: 60_000 }, async (t) => {
  const { url, gql, login } = await service(t)
  const events = { demo: [] as any[], other: [] as any[] }
  const failures: unknown[] = []
  const subscribeAs = async (email: string, into: any[]) => {
    const client = clientOf(t, url, { connectionParams: { authorization: `Bearer ${await login(email)}` } })
    return client.subscribe({ query: SUBSCRIPTION }, { next: (event) => { into.push(event) }, error: (err) => { failures.push(err) }, complete: () => {} })
  }
  const stopDemo = await subscribeAs('viewer@fleet.example', events.demo)
  await subscribeAs('viewer@other.example', events.other)
  /** Whether `done` comes to hold within 10 s (polled). */
  const eventually = async (done: () => boolean | Promise<boolean>): Promise<boolean> => {
    for (const until = Date.now() + 10_000; Date.now() < until;) {
      if (await done()) return true
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    return false
  }
  t.ok(await eventually(async () => await openSubscriptions(url) === 2), 'both subscriptions listen')

  const demo = dataFetcher(gql, await login('fleet_manager@fleet.example'))
  const other = dataFetcher(gql, await login('fleet_manager@other.example'))
  const rename = async (as: typeof demo, name: string): Promise<string> => {
    const vehicle = (await as<any>('{ vehicles(first: 1) { nodes { id version } } }')).vehicles.nodes[0]
    await as('mutation ($id: ID!, $v: Int!, $name: String!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: $name }) { id } }', { id: vehicle.id, v: vehicle.version, name })
    return vehicle.id
  }
  const demoVehicle = await rename(demo, 'Renamed in demo')
  const otherVehicle = await rename(other, 'Renamed in other')
  t.ok(await eventually(() => events.demo.length >= 1 && events.other.length >= 1), 'both changes arrived')
  t.same(events.demo, [{ data: { vehicleChanged: { kind: 'UPDATED', vehicle: { id: demoVehicle, name: 'Renamed in demo' } } } }], 'demo got its change, and only it')
  t.same(events.other, [{ data: { vehicleChanged: { kind: 'UPDATED', vehicle: { id: otherVehicle, name: 'Renamed in other' } } } }], 'other got its change, and only it')

  stopDemo()
  t.ok(await eventually(async () => await openSubscriptions(url) === 1), 'unsubscribing (complete) ends the subscription on the server')
  t.same(failures, [], 'no client saw an error')
})
