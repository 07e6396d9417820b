import { serverAudits } from 'graphql-http'
import t from 'tap'
import { buildTestApp } from './helpers/app.js'

// GraphQL over HTTP as its specification's reference audit checks it (graphql-http's
// serverAudits, every MUST, SHOULD and MAY), against the app listening on a port; then the parts
// the audit leaves out: how Accept is negotiated, and which statuses each media type gives.

const MODERN = 'application/graphql-response+json'

const codesOf = (body: { errors?: Array<{ extensions?: { code?: string } }> }): Array<string | undefined> => (body.errors ?? []).map((e) => e.extensions?.code)

void t.test('the GraphQL-over-HTTP audit passes entirely', async (t) => {
  const { app } = await buildTestApp(t)
  const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/graphql`
  const audits = serverAudits({ url, fetchFn: fetch })
  t.ok(audits.length >= 60, `${audits.length} audits`)
  for (const audit of audits) {
    const result = await audit.fn()
    t.equal(result.status, 'ok', `${audit.id} ${audit.name}${result.status === 'ok' ? '' : `: ${result.reason}`}`)
  }
})

void t.test('Accept chooses the media type; neither acceptable is a 406', async (t) => {
  const { app } = await buildTestApp(t)
  const ask = async (accept: string | undefined) => await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: accept === undefined ? {} : { accept },
    payload: { query: '{ __typename }' }
  })
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'application/json'],
    ['*/*', 'application/json'],
    ['application/*', 'application/json'],
    [MODERN, MODERN],
    [`${MODERN}, application/json;q=0.9`, MODERN],
    [`application/json, ${MODERN}`, 'application/json'],
    [`${MODERN};q=0.5, application/json`, 'application/json'],
    [`*/*, ${MODERN}`, MODERN],
    ['application/json;q=0, */*', MODERN],
    ['text/html, application/xhtml+xml, */*;q=0.8', 'application/json']
  ]
  for (const [accept, type] of cases) {
    const response = await ask(accept)
    t.equal(response.statusCode, 200, `${accept ?? 'no Accept'}: 200`)
    t.equal(response.headers['content-type'], `${type}; charset=utf-8`, `${accept ?? 'no Accept'}: ${type}`)
    t.match(response.headers.vary, /Accept/, `${accept ?? 'no Accept'}: Vary: Accept`)
  }
  for (const accept of ['text/html', 'application/json;q=0', 'application/json; charset=iso-8859-1']) {
    const response = await ask(accept)
    t.equal(response.statusCode, 406, `${accept}: 406`)
    t.equal(response.json().errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')
    t.match(response.json().errors?.[0]?.message, /application\/graphql-response\+json, application\/json/, `${accept}: names what is served`)
  }
})

void t.test('statuses: the spec\'s for each media type; the service\'s own refusals keep theirs', async (t) => {
  const { app } = await buildTestApp(t, { env: { MAX_QUERY_DEPTH: '3' } })
  const ask = async (accept: string, payload: object) => {
    const response = await app.inject({ method: 'POST', url: '/graphql', headers: { accept }, payload })
    return { status: response.statusCode, body: response.json() }
  }
  const cases: Array<[string, object, number, number, string]> = [
    // label, request, status in application/graphql-response+json, in application/json, code
    ['a syntax error', { query: '{' }, 400, 200, 'BAD_USER_INPUT'],
    ['an unknown field', { query: '{ nope }' }, 400, 200, 'BAD_USER_INPUT'],
    ['a variable that does not fit', { query: 'query ($id: ID!) { vehicle(id: $id) { id } }', variables: { id: null } }, 400, 200, 'BAD_USER_INPUT'],
    ['an operation name that names none', { query: 'query A { __typename }', operationName: 'B' }, 400, 200, 'BAD_USER_INPUT'],
    ['a subscription over HTTP', { query: 'subscription { vehicleChanged { kind } }' }, 400, 200, 'BAD_USER_INPUT'],
    ['a query over the depth limit', { query: '{ vehicles { nodes { facility { name } } } }' }, 400, 400, 'QUERY_TOO_COMPLEX'],
    ['parameters of the wrong type', { query: '{ __typename }', operationName: 7 }, 400, 400, 'BAD_USER_INPUT']
  ]
  for (const [label, payload, modern, legacy, code] of cases) {
    for (const [accept, status] of [[MODERN, modern], ['application/json', legacy]] as const) {
      const { status: got, body } = await ask(accept, payload)
      t.equal(got, status, `${label}, ${accept}: ${status}`)
      t.equal(body.errors?.[0]?.extensions?.code, code, `${label}, ${accept}: ${code}`)
      t.notOk('data' in body, `${label}, ${accept}: no data entry (nothing ran)`)
    }
  }
  for (const accept of [MODERN, 'application/json']) {
    const ran = await ask(accept, { query: '{ vehicles { totalCount } }' })
    t.equal(ran.status, 200, `an operation that ran and failed, ${accept}: 200`)
    t.same(ran.body.data, null, `${accept}: with its data entry`)
    t.equal(ran.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED')
  }
  const getWith = async (search: string) => await app.inject({ method: 'GET', url: `/graphql?${search}`, headers: { accept: MODERN } })
  const twoOperations = encodeURIComponent('query A { __typename } query B { __typename }')
  const cases2: Array<[string, string]> = [
    ['variables that are no object', 'query=%7B__typename%7D&variables=5'],
    ['extensions that are no JSON', 'query=%7B__typename%7D&extensions=x'],
    ['a query given twice', 'query=%7B__typename%7D&query=%7B__typename%7D'],
    ['an operation name that names none', 'query=%7B__typename%7D&operationName=B'],
    ['two operations and no name', `query=${twoOperations}`]
  ]
  for (const [label, search] of cases2) {
    const response = await getWith(search)
    t.equal(response.statusCode, 400, `GET with ${label}: 400`)
    t.equal(response.json().errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `GET with ${label}: BAD_USER_INPUT`)
  }
  t.same((await getWith('query=%7B__typename%7D&variables=%7B%7D')).json(), { data: { __typename: 'Query' } }, 'GET with proper parameters runs')
  t.same((await getWith(`query=${twoOperations}&operationName=B&variables=&extensions=`)).json(), { data: { __typename: 'Query' } }, 'empty optional parameters are absent ones')
  t.same(codesOf((await getWith(`query=${twoOperations}&operationName=`)).json()), ['BAD_USER_INPUT'], 'an empty operationName is none (sent again: a parsed document Mercurius keeps)')
})
