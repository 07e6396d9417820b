import * as Sentry from '@sentry/node'
import type { Config } from '../config.js'
import type { TelemetrySink } from './telemetry.js'

// Sentry receives what needs a human: unexpected errors (never user errors such as
// BAD_USER_INPUT, which the caller filters out) and the web app's own error reports. No PII:
// events carry the user id, never emails, tokens, passwords or request bodies.

const SENSITIVE_HEADERS = ['authorization', 'cookie', 'x-api-key', 'proxy-authorization']

export function sentryOptions (config: Config): Sentry.NodeOptions {
  return {
    dsn: config.SENTRY_DSN,
    environment: config.SENTRY_ENVIRONMENT,
    release: config.RELEASE,
    tracesSampleRate: config.SENTRY_TRACES_SAMPLE_RATE,
    // No personal data: no user info beyond the id we set, no cookies, bodies (login sends a
    // password), query strings or GraphQL variables, no local variables in stack frames.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: { request: { deny: SENSITIVE_HEADERS }, response: false },
      httpBodies: [],
      urlQueryParams: false,
      graphQL: { document: true, variables: false },
      databaseQueryData: false,
      stackFrameVariables: false
    },
    beforeSend (event) {
      if (event.request !== undefined) {
        delete event.request.data
        delete event.request.cookies
        for (const header of SENSITIVE_HEADERS) delete event.request.headers?.[header]
      }
      if (event.user !== undefined) event.user = event.user.id === undefined ? {} : { id: event.user.id }
      return event
    }
  }
}

export async function sentrySink (config: Config): Promise<TelemetrySink> {
  // Initialized by src/telemetry/instrument.ts when the process starts with it (full
  // auto-instrumentation); otherwise here, for errors and HTTP-level traces.
  if (!Sentry.isInitialized()) Sentry.init(sentryOptions(config))
  return {
    exception (err, context) {
      Sentry.withScope((scope) => {
        if (context.operation !== undefined) scope.setTag('graphql.operation', context.operation)
        if (context.requestId !== undefined) scope.setTag('request_id', context.requestId)
        if (context.organizationId !== undefined) scope.setTag('organization_id', context.organizationId)
        if (context.userId !== undefined) scope.setUser({ id: context.userId })
        Sentry.captureException(err)
      })
    },
    clientError (report, context) {
      Sentry.withScope((scope) => {
        scope.setTag('source', 'client')
        if (context.requestId !== undefined) scope.setTag('request_id', context.requestId)
        if (context.userId !== undefined) scope.setUser({ id: context.userId })
        scope.setContext('client', { url: report.url, userAgent: report.userAgent, release: report.release, stack: report.stack })
        Sentry.captureMessage(`UserReportedError: ${report.message}`, 'error')
      })
    },
    request: () => {},
    dependency: () => {},
    trace: () => {},
    flush: async () => { await Sentry.flush(2000) }
  }
}
