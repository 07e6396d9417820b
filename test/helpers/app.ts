import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config.js'
import type { DatabaseTarget } from '../../src/database/connect.js'
import { demoDatabase } from './database.js'

interface TestLike {
  teardown: (fn: () => unknown) => void
}

export interface GraphQLResponse<T = unknown> {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  data: T | null
  errors?: Array<{ message: string, path?: Array<string | number>, extensions: { code: string, field?: string } & Record<string, unknown> }>
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  /** POST /graphql, as the given access token if any. */
  gql: <T = Record<string, any>>(query: string, variables?: object, token?: string) => Promise<GraphQLResponse<T>>
  /** Signs in a demo user and returns the access token. */
  login: (email: string, password?: string) => Promise<string>
  /** Number of SQL statements the last response reported (Server-Timing). */
  statementsOf: (response: GraphQLResponse) => number
}

export interface TestAppOptions {
  env?: Record<string, string>
  database?: DatabaseTarget
  /** A second database standing in for a read replica. */
  readDatabase?: DatabaseTarget
  /** Receives the app's JSON log lines. */
  logStream?: { write: (line: string) => void }
  /** Return before start-up work has finished (it runs once the app is ready); waits by default. */
  waitForStartup?: boolean
}

export async function buildTestApp (t: TestLike, options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? await demoDatabase(t)
  const config = loadConfig({
    // Test databases are clones of one template: the same ids in every file. Apps that share a
    // database share its cache keys; all others get keys of their own.
    CACHE_NAMESPACE: database.kind === 'postgres' ? `test:${new URL(database.url).pathname.slice(1)}` : `test:${randomUUID()}`,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    MIGRATE_ON_START: 'false',
    // Suites send hundreds of requests a minute from one address; the limits have their own tests.
    // So does load shedding (test/stress.test.ts): a busy CI machine must not shed the suites.
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    // A Redis command slower than the production default (50 ms) counts as a miss and goes to
    // PostgreSQL: right for a sick Redis, but on a busy CI machine it turned exact statement
    // counts into a coin toss. The tests of a failing Redis set the production value.
    REDIS_COMMAND_TIMEOUT_MS: '2000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: '1000',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '1000',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
    ...(process.env.REDIS_URL === undefined ? {} : { REDIS_URL: process.env.REDIS_URL }),
    ...options.env
  })
  const app = await buildApp(config, { database, readDatabase: options.readDatabase, logStream: options.logStream })
  t.teardown(async () => { await app.close() })
  if (options.waitForStartup !== false) {
    await app.ready()
    await app.startup.finished
  }

  const gql: TestApp['gql'] = async (query, variables, token) => {
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      payload: { query, variables }
    })
    const body = response.json()
    return { status: response.statusCode, headers: response.headers, data: body.data ?? null, errors: body.errors }
  }

  const tokens = new Map<string, string>()
  const login: TestApp['login'] = async (email, password = 'fleet-demo') => {
    const cached = tokens.get(`${email}\n${password}`)
    if (cached !== undefined) return cached
    const response = await gql<{ login: { accessToken: string } }>(
      'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
      { email, password }
    )
    if (response.data === null) throw new Error(`login as ${email} failed: ${JSON.stringify(response.errors)}`)
    tokens.set(`${email}\n${password}`, response.data.login.accessToken)
    return response.data.login.accessToken
  }

  const statementsOf: TestApp['statementsOf'] = (response) => {
    const match = /desc="(\d+) statements"/.exec(String(response.headers['server-timing']))
    if (match === null) throw new Error('response has no Server-Timing statement count')
    return Number(match[1])
  }

  return { app, config, gql, login, statementsOf }
}

/** The error codes of a response, in order. */
export function codes (response: GraphQLResponse): string[] {
  return (response.errors ?? []).map((e) => e.extensions.code)
}
