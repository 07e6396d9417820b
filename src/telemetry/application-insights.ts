import type { TelemetrySink, TraceSeverity } from './telemetry.js'

// Application Insights through the SDK's TelemetryClient with its own (non-global) OpenTelemetry
// providers, so it cannot collide with Sentry's. Telemetry is recorded explicitly from this
// service's hooks rather than by auto-instrumentation: requests from Fastify, SQL from Kysely,
// Redis from the cache store, traces from the logger. The runbook's Kusto queries read exactly
// these: `dependencies | where type == "SQL"`, `requests` by name, `traces` by severityLevel,
// `customEvents | where name == "UserReportedError"`.

interface Client {
  context: { tags: Record<string, string>, keys: Record<string, string> }
  commonProperties: Record<string, string>
  config: { samplingPercentage: number }
  trackRequest: (t: object) => void
  trackDependency: (t: object) => void
  trackTrace: (t: object) => void
  trackException: (t: object) => void
  trackEvent: (t: object) => void
  flush: () => Promise<void>
}

export interface ApplicationInsightsOptions {
  role: string
  instance: string
  release: string
  samplingPercentage: number
}

export async function applicationInsightsSink (connectionString: string, options: ApplicationInsightsOptions): Promise<TelemetrySink> {
  const sdk = await import('applicationinsights') as unknown as { TelemetryClient: new (cs: string, o: object) => Client, default?: { TelemetryClient: new (cs: string, o: object) => Client } }
  const TelemetryClient = sdk.default?.TelemetryClient ?? sdk.TelemetryClient
  const client = new TelemetryClient(connectionString, { useGlobalProviders: false })
  client.config.samplingPercentage = options.samplingPercentage
  client.context.tags[client.context.keys.cloudRole as string] = options.role
  client.context.tags[client.context.keys.cloudRoleInstance as string] = options.instance
  client.context.tags[client.context.keys.applicationVersion as string] = options.release

  return {
    request (record) {
      client.trackRequest({
        name: record.name,
        url: record.url,
        duration: record.durationMs,
        resultCode: String(record.statusCode),
        success: record.statusCode < 500,
        properties: { requestId: record.requestId, ...record.properties }
      })
    },
    dependency (record) {
      client.trackDependency({
        dependencyTypeName: record.type,
        name: record.name,
        data: record.data,
        target: record.target,
        duration: record.durationMs,
        success: record.success,
        resultCode: record.resultCode
      })
    },
    trace (message, severity: TraceSeverity, properties) {
      client.trackTrace({ message, severity, properties })
    },
    exception (err, context) {
      client.trackException({
        exception: err instanceof Error ? err : new Error(String(err)),
        properties: { requestId: context.requestId ?? '', operation: context.operation ?? '', userId: context.userId ?? '', organizationId: context.organizationId ?? '' }
      })
    },
    clientError (report, context) {
      client.trackEvent({
        name: 'UserReportedError',
        properties: {
          message: report.message,
          stack: report.stack ?? '',
          url: report.url ?? '',
          userAgent: report.userAgent ?? '',
          release: report.release ?? '',
          requestId: context.requestId ?? '',
          userId: context.userId ?? ''
        }
      })
    },
    flush: async () => { await client.flush() }
  }
}
