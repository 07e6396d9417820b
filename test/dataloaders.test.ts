import t from 'tap'
import { buildTestApp } from './helpers/app.js'

// Every relation goes through a per-request DataLoader: the number of SQL statements of a page
// does not depend on its size. Counts come from the Server-Timing header the app sets. The
// shared entity cache is off here (CACHE_TTL_SECONDS=0) so that counts are those of a cold
// cache; test/cache.test.ts counts with it. Every signed-in request starts with one statement:
// the viewer's current state (role, active, session), checked on each request.
const COLD = { env: { CACHE_TTL_SECONDS: '0' } }

const DASHBOARD = `query ($first: Int!) {
  vehicles(first: $first) { nodes { facility { name } currentDriver { name } currentAssignment { startsAt } } }
}`

interface Dashboard { vehicles: { nodes: Array<{ facility: { name: string } | null, currentDriver: { name: string } | null }> } }
interface Facilities { facilities: { nodes: Array<{ vehicles: { totalCount: number, nodes: unknown[] } }> } }

void t.test('statements per request do not grow with the page', async (t) => {
  const { gql, login, statementsOf } = await buildTestApp(t, COLD)
  const token = await login('fleet_manager@fleet.example')

  const small = await gql<Dashboard>(DASHBOARD, { first: 5 }, token)
  const large = await gql<Dashboard>(DASHBOARD, { first: 50 }, token)
  t.equal(small.data?.vehicles.nodes.length, 5)
  t.equal(large.data?.vehicles.nodes.length, 50)
  t.ok((large.data?.vehicles.nodes.filter((v) => v.currentDriver !== null).length ?? 0) > 20, 'the page really has drivers to load')
  // viewer + the vehicles page, which brings the facility, current assignment and driver it selects
  t.equal(statementsOf(small), 2, 'dashboard query for 5 vehicles: 2 statements')
  t.equal(statementsOf(large), 2, 'dashboard query for 50 vehicles: still 2 statements')
})

void t.test('a list brings the relations the query selects, read through fragments and edges', async (t) => {
  const { gql, login, statementsOf } = await buildTestApp(t, COLD)
  const token = await login('fleet_manager@fleet.example')
  const fields = 'id number facility { id name code } currentAssignment { id startsAt endsAt driver { id } } currentDriver { id name licenseNumber }'
  const listed = await gql<{ vehicles: { nodes: Array<{ id: string, facility: unknown, currentDriver: unknown }> } }>(`{ vehicles(first: 30) { nodes { ${fields} } } }`, {}, token)
  const nodes = listed.data?.vehicles.nodes ?? []
  t.equal(statementsOf(listed), 2)
  t.ok(nodes.some((v) => v.facility === null) || nodes.some((v) => v.currentDriver === null), 'the page has vehicles without a relation too')
  // The same vehicles one by one, through the loaders alone: the same answers.
  const one = await gql<Record<string, unknown>>(`{ ${nodes.map((v, i) => `v${i}: vehicle(id: "${v.id}") { ${fields} }`).join(' ')} }`, {}, token)
  t.same(Object.values(one.data ?? {}), nodes, 'what the list brought equals what the loaders load')

  const throughFragments = await gql<{ vehicles: { edges: Array<{ node: unknown }> } }>(`
    query { vehicles(first: 30) { edges { node { ...Row } } } }
    fragment Row on Vehicle { id number ... on Vehicle { facility { id name code } } currentAssignment { id startsAt endsAt driver { id } } currentDriver { id name licenseNumber } }`, {}, token)
  t.same(throughFragments.data?.vehicles.edges.map((e) => e.node), nodes)
  t.equal(statementsOf(throughFragments), 2, 'edges { node } and fragments are read too')

  const plain = await gql(`{ vehicles(first: 30) { nodes { id number } } }`, {}, token)
  t.equal(statementsOf(plain), 2)
  const aliased = await gql<{ vehicles: { nodes: Array<{ site: unknown }> } }>(`{ vehicles(first: 30) { nodes { site: facility { id name code } } } }`, {}, token)
  t.same(aliased.data?.vehicles.nodes.map((v) => v.site), nodes.map((v) => v.facility), 'an alias reads the same relation')
})

void t.test('nested connections batch across parents', async (t) => {
  const { gql, login, statementsOf } = await buildTestApp(t, COLD)
  const token = await login('fleet_manager@fleet.example')
  const query = `query ($first: Int!) {
    facilities(first: 10) { nodes { name vehicles(first: $first) { totalCount nodes { number assignments(first: 2) { totalCount nodes { driver { name } vehicle { number } } } } } } }
  }`
  const few = await gql<Facilities>(query, { first: 2 }, token)
  const many = await gql<Facilities>(query, { first: 20 }, token)
  t.equal(few.data?.facilities.nodes.length, 3)
  t.same(few.data?.facilities.nodes.map((f) => f.vehicles.nodes.length), [2, 2, 2])
  t.ok(many.data?.facilities.nodes.every((f) => f.vehicles.nodes.length === Math.min(20, f.vehicles.totalCount)))
  // viewer, facilities, vehicle pages, vehicle counts, assignment pages, assignment counts, drivers, vehicles by id
  t.equal(statementsOf(few), 8)
  t.equal(statementsOf(many), 8, 'same count with ten times the vehicles')
})

void t.test('drivers with their vehicles, and the fleet summary', async (t) => {
  const { gql, login, statementsOf } = await buildTestApp(t, COLD)
  const token = await login('dispatcher@fleet.example')
  const drivers = await gql<{ drivers: { nodes: unknown[] } }>(
    '{ drivers(first: 40) { totalCount nodes { name currentVehicle { number facility { code } } currentAssignment { isCurrent } } } }', {}, token)
  t.equal(drivers.data?.drivers.nodes.length, 40)
  // viewer, drivers page, count, current assignments, vehicles, facilities
  t.equal(statementsOf(drivers), 6)

  const summary = await gql('{ fleetSummary { totalVehicles vehiclesByStatus { status count } activeDrivers activeAssignments } }', {}, token)
  // viewer, one GROUP BY for both vehicle fields, one count each for drivers and assignments
  t.equal(statementsOf(summary), 4)
})

void t.test('a loader never crosses organizations', async (t) => {
  const { gql, login } = await buildTestApp(t, COLD)
  const demo = await login('fleet_manager@fleet.example')
  const other = await login('fleet_manager@other.example')
  const ids = (await gql<{ vehicles: { nodes: Array<{ id: string }> } }>('{ vehicles(first: 3) { nodes { id } } }', {}, demo)).data?.vehicles.nodes.map((v) => v.id) ?? []
  t.equal(ids.length, 3)
  const query = `{ ${ids.map((id, i) => `v${i}: vehicle(id: "${id}") { id }`).join(' ')} }`
  t.same((await gql(query, {}, other)).data, { v0: null, v1: null, v2: null }, 'other organization sees nulls')
  t.same(Object.values((await gql<Record<string, { id: string }>>(query, {}, demo)).data ?? {}).map((v) => v.id), ids, 'owner sees them, in order')
})
