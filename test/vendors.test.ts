import t from 'tap'
import { buildTestApp } from './helpers/app.js'
import { ok, refused } from './helpers/graphql.js'

// Vendors: the businesses work orders go to and parts come from.

const VENDOR = 'id name kinds contactName email phone address website notes active version'
const CREATE = `mutation ($input: CreateVendorInput!) { createVendor(input: $input) { ${VENDOR} } }`
const UPDATE = `mutation ($id: ID!, $input: UpdateVendorInput!) { updateVendor(id: $id, input: $input) { ${VENDOR} } }`
const LIST = 'query ($f: VendorFilter, $after: String) { vendors(filter: $f, first: 2, after: $after) { totalCount nodes { name kinds active } pageInfo { hasNextPage endCursor } } }'

void t.test('vendors: create, validate, update, filter and page', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const manager = await login('fleet_manager@fleet.example')
  const created = ok(await gql<any>(CREATE, { input: { name: 'Eastside Diesel', kinds: ['WORKSHOP', 'WORKSHOP', 'PARTS_SUPPLIER'], email: 'Shop@Eastside.example', phone: '+1 614 555 0199', website: 'https://eastside.example' } }, manager)).createVendor
  t.match(created, { name: 'Eastside Diesel', kinds: ['WORKSHOP', 'PARTS_SUPPLIER'], email: 'shop@eastside.example', active: true, version: 1 }, 'kinds once each, email lower-cased')

  refused(t, await gql(CREATE, { input: { name: 'eastside diesel', kinds: ['TOWING'] } }, manager), 'CONFLICT', 'input.name', 'a name is unique, whatever its case')
  refused(t, await gql(CREATE, { input: { name: 'No kind', kinds: [] } }, manager), 'BAD_USER_INPUT', 'input.kinds', 'at least one kind')
  refused(t, await gql(CREATE, { input: { name: 'Bad mail', kinds: ['OTHER'], email: 'not-an-email' } }, manager), 'BAD_USER_INPUT', 'input.email')
  refused(t, await gql(CREATE, { input: { name: 'Bad phone', kinds: ['OTHER'], phone: 'call me' } }, manager), 'BAD_USER_INPUT', 'input.phone')
  refused(t, await gql(CREATE, { input: { name: 'Bad site', kinds: ['OTHER'], website: 'ftp://files.example' } }, manager), 'BAD_USER_INPUT', 'input.website')
  refused(t, await gql(CREATE, { input: { name: ' ', kinds: ['OTHER'] } }, manager), 'BAD_USER_INPUT', 'input.name', 'a blank name')

  const updated = ok(await gql<any>(UPDATE, { id: created.id, input: { expectedVersion: 1, active: false, notes: 'Closed on Sundays', email: null } }, manager)).updateVendor
  t.match(updated, { active: false, notes: 'Closed on Sundays', email: null, version: 2 })
  refused(t, await gql(UPDATE, { id: created.id, input: { expectedVersion: 1, name: 'Stale' } }, manager), 'CONFLICT', 'input.expectedVersion', 'a stale version')
  refused(t, await gql(UPDATE, { id: created.id, input: { expectedVersion: 2, name: null } }, manager), 'BAD_USER_INPUT', 'input.name', 'a name cannot be removed')

  const towing = ok(await gql<any>(LIST, { f: { kind: ['TOWING'] } }, manager)).vendors
  t.same(towing.nodes.map((v: any) => v.name), ['Metro Towing'], 'filter by kind (the demo has one towing company)')
  t.same(ok(await gql<any>(LIST, { f: { active: false } }, manager)).vendors.nodes.map((v: any) => v.name), ['Eastside Diesel'], 'filter by active')
  t.same(ok(await gql<any>(LIST, { f: { search: 'NATARAJ' } }, manager)).vendors.nodes.map((v: any) => v.name), ['Tri-County Parts Supply'], 'search finds a contact name')
  const first = ok(await gql<any>(LIST, {}, manager)).vendors
  const second = ok(await gql<any>(LIST, { after: first.pageInfo.endCursor }, manager)).vendors
  t.equal(first.totalCount, 6)
  t.ok(first.pageInfo.hasNextPage)
  t.notSame(first.nodes.map((v: any) => v.name), second.nodes.map((v: any) => v.name), 'the next page goes on by name')
  t.same([...first.nodes, ...second.nodes].map((v: any) => v.name), [...first.nodes, ...second.nodes].map((v: any) => v.name).toSorted(), 'by name')

  refused(t, await gql(CREATE, { input: { name: 'By a mechanic', kinds: ['OTHER'] } }, await login('mechanic@fleet.example')), 'FORBIDDEN')
  t.equal(ok(await gql<any>('{ vendors { totalCount } }', {}, await login('mechanic@fleet.example'))).vendors.totalCount, 6, 'mechanics read vendors')
})
