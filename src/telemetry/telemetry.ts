import { hostname } from 'node:os'
import type { Config } from '../config.js'

// One facade over the error and telemetry back ends the runbook names: Sentry (unexpected
// errors, client error reports, sampled traces) and Azure Application Insights (requests, SQL
// and Redis dependencies, traces, exceptions, custom events). Each SDK is imported only when
// its setting is present; with neither, this is a set of no-ops and neither package is loaded.

export interface RequestContext {
  requestId?: string
  operation?: string
  userId?: string
  organizationId?: string
}

export interface RequestRecord {
  method: string
  /** The route, with the GraphQL operation name when there is one ("/graphql Dashboard"). */
  route: string
  url: string
  durationMs: number
  statusCode: number
  requestId: string
  properties?: Record<string, string>
}

export interface DependencyRecord {
  type: 'SQL' | 'Redis'
  name: string
  data: string
  target: string
  durationMs: number
  success: boolean
  resultCode: string
}

export type TraceSeverity = 'Information' | 'Warning' | 'Error' | 'Critical'

export interface ClientErrorReport {
  message: string
  stack?: string | null
  url?: string | null
  userAgent?: string | null
  release?: string | null
}

export interface TelemetrySink {
  exception: (err: unknown, context: RequestContext) => void
  request: (record: RequestRecord) => void
  dependency: (record: DependencyRecord) => void
  trace: (message: string, severity: TraceSeverity, properties: Record<string, string>) => void
  clientError: (report: ClientErrorReport, context: RequestContext) => void
  flush: () => Promise<void>
}

export interface Telemetry extends TelemetrySink {
  readonly backends: string[]
}

export async function createTelemetry (config: Config): Promise<Telemetry> {
  const sinks: Array<[string, TelemetrySink]> = []
  if (config.SENTRY_DSN !== undefined) {
    const { sentrySink } = await import('./sentry.js')
    sinks.push(['sentry', await sentrySink(config)])
  }
  if (config.APPLICATIONINSIGHTS_CONNECTION_STRING !== undefined) {
    const { applicationInsightsSink } = await import('./application-insights.js')
    sinks.push(['applicationinsights', await applicationInsightsSink(config.APPLICATIONINSIGHTS_CONNECTION_STRING, {
      role: 'fleet-api',
      instance: hostname(),
      release: config.RELEASE,
      samplingPercentage: config.APPLICATIONINSIGHTS_SAMPLING_PERCENTAGE
    })])
  }
  const each = <K extends keyof TelemetrySink>(method: K) =>
    ((...args: Parameters<TelemetrySink[K]>) => {
      for (const [, sink] of sinks) (sink[method] as (...a: Parameters<TelemetrySink[K]>) => unknown)(...args)
    }) as TelemetrySink[K]
  return {
    backends: sinks.map(([name]) => name),
    exception: each('exception'),
    request: each('request'),
    dependency: each('dependency'),
    trace: each('trace'),
    clientError: each('clientError'),
    flush: async () => { await Promise.all(sinks.map(async ([, sink]) => { await sink.flush() })) }
  }
}
