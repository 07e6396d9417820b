import t from 'tap'
import { buildTestApp } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'
import { dataFetcher } from './helpers/graphql.js'
import { privateRedis } from './helpers/redis.js'
import { type SubscriptionClient, subscribe } from './helpers/websocket.js'

// vehicleChanged across replicas: a change made through replica A reaches subscribers connected
// to replica B through Redis, only those of the same organization, over graphql-transport-ws
// with the access token in connection_init.

const SUBSCRIPTION = 'subscription { vehicleChanged { kind vehicle { id name status } } }'

void t.test(`vehicleChanged through Redis${usingPostgres ? ', across two replicas' : ' (one replica: two need a shared PostgreSQL)'}, scoped to the organization`, { timeout: 60_000 }, async (t) => {
  const redis = await privateRedis(t)
  // Two replicas share one PostgreSQL database and one Redis. An embedded database cannot be
  // shared, so without PostgreSQL the writer and the subscribers' replica are the same process
  // (events still go through Redis and back).
  const shared = usingPostgres ? await demoDatabase(t) : undefined
  const a = await buildTestApp(t, { database: shared, env: { REDIS_URL: redis.url } })
  const b = usingPostgres ? await buildTestApp(t, { database: shared, env: { REDIS_URL: redis.url } }) : a
  const base = await b.app.listen({ host: '127.0.0.1', port: 0 })
  const url = `${base.replace('http', 'ws')}/graphql`

  const demoOnB = await subscribe(t, url, `Bearer ${await b.login('viewer@fleet.example')}`, SUBSCRIPTION) as SubscriptionClient
  const otherOnB = await subscribe(t, url, `Bearer ${await b.login('viewer@other.example')}`, SUBSCRIPTION) as SubscriptionClient
  t.ok(Array.isArray(demoOnB.events) && Array.isArray(otherOnB.events), 'both subscribers connected and acknowledged')

  const onA = dataFetcher(a.gql, await a.login('fleet_manager@fleet.example'))
  const vehicle = (await onA<any>('{ vehicles(first: 1, filter: { status: [ACTIVE] }) { nodes { id version } } }')).vehicles.nodes[0]
  await onA('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Renamed on replica A" }) { id } }', { id: vehicle.id, v: vehicle.version })
  const created = (await onA<any>('mutation { createVehicle(input: { number: "SUB-1", name: "Subscribed", vin: "1FTBR1C80MKA00001", make: "Ford", model: "Transit", year: 2024, type: VAN, fuelType: GASOLINE }) { id } }')).createVehicle.id
  await onA('mutation ($id: ID!) { retireVehicle(id: $id) { id } }', { id: created })

  const events = await demoOnB.waitFor(3)
  t.same(events.map((e) => e.data.vehicleChanged.kind), ['UPDATED', 'CREATED', 'RETIRED'])
  t.same(events[0].data.vehicleChanged.vehicle, { id: vehicle.id, name: 'Renamed on replica A', status: 'ACTIVE' }, 'the vehicle as it is now, loaded on B')
  t.equal(events[2].data.vehicleChanged.vehicle.status, 'RETIRED')

  const onOther = dataFetcher(a.gql, await a.login('fleet_manager@other.example'))
  const theirs = (await onOther<any>('{ vehicles(first: 1) { nodes { id version } } }')).vehicles.nodes[0]
  await onOther('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Other fleet change" }) { id } }', { id: theirs.id, v: theirs.version })
  const otherEvents = await otherOnB.waitFor(1)
  t.equal(otherEvents[0].data.vehicleChanged.vehicle.name, 'Other fleet change')
  t.equal(otherEvents.length, 1, 'the other organization got only its own event')
  t.equal(demoOnB.events.length, 3, 'and demo never saw it')
  t.notOk(JSON.stringify(otherEvents).includes(vehicle.id), 'no demo vehicle id reached the other organization')

  // The gauge operators watch: both subscriptions counted on B while open, none once closed.
  const open = async (): Promise<string | undefined> => /^fleet_api_graphql_subscriptions_open\{field="Subscription\.vehicleChanged"\} (\S+)$/m.exec((await b.app.inject('/health/metrics')).body)?.[1]
  t.equal(await open(), '2', 'two subscriptions open on B')
  demoOnB.close()
  otherOnB.close()
  for (const until = Date.now() + 10_000; await open() !== '0' && Date.now() < until;) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(await open(), '0', 'closed subscriptions are no longer counted')
})

void t.test('connection_init without a valid token is refused: the socket closes with 4403 (Forbidden)', async (t) => {
  const { app } = await buildTestApp(t)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `${base.replace('http', 'ws')}/graphql`
  for (const [label, authorization] of [['no token', undefined], ['garbage', 'Bearer nope'], ['not bearer', 'Basic abc']] as const) {
    t.same(await subscribe(t, url, authorization, SUBSCRIPTION), { refused: 4403 }, `${label}: closed with 4403`)
  }
})
