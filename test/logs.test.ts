import t from 'tap'
import { buildTestApp } from './helpers/app.js'

// JSON logs an on-call engineer can search: the request id (honoured from x-request-id),
// operation, organization and user on every line of a request, the duration on the last one;
// credentials never; failed sign-ins at warn with "authentication" in the message.

interface Line { level: number, msg: string, reqId?: string, operation?: string, userId?: string, organizationId?: string, responseTime?: number, [key: string]: unknown }

void t.test('request logs', async (t) => {
  const lines: Line[] = []
  const raw: string[] = []
  const logStream = { write: (line: string) => { raw.push(line); lines.push(JSON.parse(line) as Line) } }
  const { app, login } = await buildTestApp(t, { env: { LOG_LEVEL: 'info' }, logStream })
  const token = await login('dispatcher@fleet.example')

  const response = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${token}`, 'x-request-id': 'trace-abc-123', 'content-type': 'application/json' },
    payload: { query: 'query Roster { drivers(first: 2) { nodes { name } } }', operationName: 'Roster' }
  })
  t.equal(response.headers['x-request-id'], 'trace-abc-123')
  const mine = lines.filter((l) => l.reqId === 'trace-abc-123')
  t.ok(mine.length >= 2, 'incoming and completed lines carry the request id')
  const completed = mine.find((l) => l.msg === 'request completed')
  t.match(completed, { operation: 'Roster', operationType: 'query', userId: String, organizationId: String, responseTime: Number, res: { statusCode: 200 } })

  const failed = await app.inject({
    method: 'POST',
    url: '/graphql',
    payload: { query: 'mutation { login(email: "dispatcher@fleet.example", password: "not-the-password") { accessToken } }' }
  })
  t.equal(failed.json().errors[0].extensions.code, 'UNAUTHENTICATED')
  const warning = lines.find((l) => l.level === 40 && /authentication/.test(l.msg))
  t.ok(warning, 'a failed sign-in is a warning mentioning "authentication"')
  t.equal(warning?.reqId, failed.headers['x-request-id'])

  const everything = raw.join('')
  t.notMatch(everything, /fleet-demo|not-the-password/, 'no passwords')
  t.notOk(everything.includes(token), 'no access tokens')
  t.notMatch(everything, /dispatcher@fleet\.example/, 'no emails')
})
