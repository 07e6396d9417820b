import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery, printSchema } from 'graphql'
import t from 'tap'
import { MAX_OF_TYPE } from '../src/graphql/limits.js'
import { buildTestApp, codes } from './helpers/app.js'

// Introspection, where it is on, answers graphql-js's standard query (what GraphiQL, IDEs and
// codegen send) whatever MAX_QUERY_DEPTH says, and stays bounded by the schema: the lists that
// multiply (types, fields, args) cannot be cycled through type references, ofType nests a bounded
// number of levels, and the schema is read once per operation.

// Every option GraphiQL 3 and codegen may set that graphql 16 answers.
const ALL_OPTIONS = { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true }

void t.test('the standard introspection query returns the whole schema, whatever MAX_QUERY_DEPTH says', async (t) => {
  const { app, gql } = await buildTestApp(t, { env: { MAX_QUERY_DEPTH: '4' } })
  const expected = printSchema(app.graphql.schema)
  for (const [label, options] of [['every option', ALL_OPTIONS], ['the defaults', {}], ['graphql 15\'s depth (typeDepth 7)', { typeDepth: 7 }]] as const) {
    // Twice: the second time Mercurius runs the document compiled (graphql-jit), through other code.
    for (const run of ['first run', 'compiled']) {
      const response = await gql<IntrospectionQuery>(getIntrospectionQuery(options))
      t.same(codes(response), [], `${label}, ${run}: no errors`)
      t.equal(response.status, 200)
      t.equal(printSchema(buildClientSchema(response.data as IntrospectionQuery)), expected, `${label}, ${run}: the schema, as the server has it`)
    }
  }
  t.same(codes(await gql('{ vehicles { nodes { assignments { nodes { id } } } } }')), ['QUERY_TOO_COMPLEX'], 'data queries still get the depth limit')
})

void t.test('hostile introspection is refused with QUERY_TOO_COMPLEX', async (t) => {
  const { gql } = await buildTestApp(t)
  const refused = async (label: string, query: string, pattern: RegExp): Promise<void> => {
    const response = await gql(query)
    t.same(codes(response), ['QUERY_TOO_COMPLEX'], label)
    t.match(response.errors?.[0]?.message, pattern, `${label}: says why`)
    t.equal(response.data, null, `${label}: nothing ran`)
  }
  const ofTypes = (n: number): string => `${'ofType { '.repeat(n)}name${' }'.repeat(n)}`

  await refused('the types > fields > type > fields cycle, shallow as it is', '{ __schema { types { fields { type { fields { name } } } } } }', /lists `fields` of a type reached through a reference/)
  // graphql-js's own MaxIntrospectionDepthRule refuses four nested lists, at validation; the
  // shallower cycles above it lets through.
  const deeper = await gql('{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }')
  t.same(codes(deeper), ['BAD_USER_INPUT'], 'the cycle repeated: refused by graphql-js\'s validation first')
  t.match(deeper.errors?.[0]?.message, /Maximum introspection depth exceeded/)
  await refused('the cycle from __type', '{ __type(name: "Query") { fields { type { ofType { fields { args { name } } } } } } }', /lists `fields`/)
  await refused('the cycle through arguments', '{ __type(name: "Query") { fields { args { type { inputFields { name } } } } } }', /lists `inputFields`/)
  await refused('the cycle through interfaces', '{ __schema { types { interfaces { possibleTypes { name } } } } }', /lists `possibleTypes`/)
  await refused('the cycle through possible types', '{ __schema { types { possibleTypes { fields { name } } } } }', /lists `fields`/)
  await refused('the cycle hidden in fragments', 'fragment R on __Type { name ofType { ...L } } fragment L on __Type { enumValues { name } } { __schema { types { fields { type { ...R } } } } }', /lists `enumValues`/)
  await refused(`ofType nested ${MAX_OF_TYPE + 1} deep`, `{ __type(name: "Vehicle") { fields { type { ${ofTypes(MAX_OF_TYPE + 1)} } } } }`, new RegExp(`ofType ${MAX_OF_TYPE + 1} levels deep; at most ${MAX_OF_TYPE}`))
  await refused('__schema read twice under aliases', '{ a: __schema { types { name } } b: __schema { types { name } } }', /reads __schema 2 times/)
  await refused('more aliases than MAX_QUERY_ALIASES', `{ ${Array.from({ length: 31 }, (_, i) => `t${i}: __type(name: "Vehicle") { fields { name } }`).join(' ')} }`, /31 aliases/)

  const allowed = async (label: string, query: string): Promise<void> => {
    const response = await gql(query)
    t.same(codes(response), [], label)
  }
  await allowed(`ofType nested ${MAX_OF_TYPE} deep`, `{ __type(name: "Vehicle") { fields { type { ${ofTypes(MAX_OF_TYPE)} } } } }`)
  await allowed('a type\'s own lists, read where it is listed', '{ __type(name: "Vehicle") { fields { name args { name type { name } } type { name kind ofType { name } } } interfaces { name } } }')
  await allowed('the root types with their fields', '{ __schema { queryType { fields { name } } mutationType { fields { name } } } }')
  await allowed('__schema twice under one key (merged, read once)', '{ __schema { queryType { name } } __schema { types { name } } }')
})
