import t from 'tap'
import { buildTestApp, codes } from './helpers/app.js'

// Edge cases of the keyset connections shared by every list.

const cursor = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url')

void t.test('first: 0 still says whether there is something to page through', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const token = await login('viewer@fleet.example')
  const empty = await gql('{ vehicles(first: 0) { totalCount nodes { id } pageInfo { hasNextPage startCursor } } }', {}, token)
  t.same(empty.data, { vehicles: { totalCount: 50, nodes: [], pageInfo: { hasNextPage: true, startCursor: null } } })
  const none = await gql('{ vehicles(first: 0, filter: { search: "no such vehicle" }) { pageInfo { hasNextPage } } }', {}, token)
  t.same(none.data, { vehicles: { pageInfo: { hasNextPage: false } } })
  const nested = await gql('{ facilities(first: 1) { nodes { vehicles(first: 0) { nodes { id } pageInfo { hasNextPage } } } } }', {}, token)
  t.same(nested.data, { facilities: { nodes: [{ vehicles: { nodes: [], pageInfo: { hasNextPage: true } } }] } })
})

void t.test('a forged cursor is refused before it reaches the database, naming the argument', async (t) => {
  const { gql, login, statementsOf } = await buildTestApp(t)
  const token = await login('viewer@fleet.example')
  // Puts the viewer's state in the shared cache: the requests below then need no statement at all.
  await gql('{ me { id } }', {}, token)
  const id = '00000000-0000-4000-8000-000000000000'
  const forged: Array<[string, string]> = [
    ['YEAR_ASC', cursor(['YEAR_ASC', 'abc', id])],
    ['ODOMETER_ASC', cursor(['ODOMETER_ASC', '12; DROP TABLE vehicles', id])],
    ['CREATED_AT_ASC', cursor(['CREATED_AT_ASC', 'yesterday', id])],
    ['NUMBER_ASC', cursor(['NUMBER_ASC', 42, id])],
    ['NUMBER_ASC', cursor(['NUMBER_ASC', 'V-001', 'not-a-uuid'])]
  ]
  for (const [order, after] of forged) {
    const [field, direction] = [order.slice(0, order.lastIndexOf('_')), order.slice(order.lastIndexOf('_') + 1)]
    const response = await gql('query ($after: String, $order: VehicleOrder) { vehicles(after: $after, orderBy: $order) { totalCount } }',
      { after, order: { field, direction } }, token)
    t.same(codes(response), ['BAD_USER_INPUT'], order)
    t.equal(response.errors?.[0]?.extensions.field, 'after')
    t.equal(statementsOf(response), 0, 'no SQL ran')
  }
  const valid = cursor(['YEAR_ASC', 2020, id])
  const ok = await gql('query ($after: String) { vehicles(after: $after, orderBy: { field: YEAR }) { nodes { year } } }', { after: valid }, token)
  t.equal(ok.errors, undefined, 'a well-formed cursor works even for a row that is gone')
  t.ok((ok.data?.vehicles.nodes as Array<{ year: number }>).every((v) => v.year >= 2020))
})

void t.test('a nullable sort column keeps its null rows: drivers without a licence expiry sort last', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const token = await login('fleet_manager@fleet.example')
  for (const name of ['Zed Noexpiry', 'Amy Noexpiry']) {
    const created = await gql('mutation ($name: String!) { createDriver(input: { name: $name, licenseNumber: $name }) { id } }', { name }, token)
    t.equal(created.errors, undefined)
  }
  const all = (await gql('{ drivers { totalCount } }', {}, token)).data?.drivers.totalCount as number
  const pageThrough = async (direction: 'ASC' | 'DESC') => {
    const names: Array<string | null> = []
    let after: string | null = null
    for (;;) {
      const response: any = await gql('query ($after: String, $direction: SortDirection) { drivers(first: 7, after: $after, orderBy: { field: LICENSE_EXPIRES_AT, direction: $direction }) { totalCount nodes { name licenseExpiresAt } pageInfo { hasNextPage endCursor } } }', { after, direction }, token)
      t.equal(response.data.drivers.totalCount, all, 'ordering does not change the count')
      names.push(...response.data.drivers.nodes.map((d: { name: string, licenseExpiresAt: string | null }) => d.licenseExpiresAt === null ? d.name : null))
      if (!response.data.drivers.pageInfo.hasNextPage) break
      after = response.data.drivers.pageInfo.endCursor
    }
    return names
  }
  const ascending = await pageThrough('ASC')
  t.equal(ascending.length, all, 'every driver once, across pages and the null boundary')
  t.same(ascending.slice(-2).sort(), ['Amy Noexpiry', 'Zed Noexpiry'], 'no expiry: last when ascending')
  t.ok(ascending.slice(0, -2).every((name) => name === null))
  const descending = await pageThrough('DESC')
  t.same(descending.slice(0, 2).sort(), ['Amy Noexpiry', 'Zed Noexpiry'], 'and first when descending')
})
