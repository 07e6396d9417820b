import { resourceFromAttributes } from '@opentelemetry/resources'
import type { TelemetrySink, TraceSeverity } from './telemetry.js'

// Application Insights through the SDK's TelemetryClient with its own (non-global) OpenTelemetry
// providers, so it cannot collide with Sentry's. Telemetry is recorded explicitly from this
// service's hooks rather than by auto-instrumentation: requests from Fastify, SQL from Kysely,
// Redis from the cache store, traces from the logger. The runbook's Kusto queries read exactly
// these: `dependencies | where type == "SQL"`, `requests` by name, `traces` by severityLevel,
// `customEvents | where name == "UserReportedError"`.

interface Client {
  config: { samplingPercentage: number, azureMonitorOpenTelemetryOptions?: { resource?: unknown } }
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
  // cloud_RoleName / cloud_RoleInstance / application_Version come from the OpenTelemetry resource.
  client.config.azureMonitorOpenTelemetryOptions = {
    ...client.config.azureMonitorOpenTelemetryOptions,
    resource: resourceFromAttributes({ 'service.name': options.role, 'service.instance.id': options.instance, 'service.version': options.release })
  }

  return {
    request (record) {
      // The exporter names a request "<http.method> <http.route>" and reads its result code from
      // http.status_code only when http.method is present; the route carries the GraphQL
      // operation so that `requests | summarize percentile(duration, 95) by name` is per operation.
      client.trackRequest({
        name: `${record.method} ${record.route}`,
        url: record.url,
        duration: record.durationMs,
        resultCode: record.statusCode,
        success: record.statusCode < 500,
        properties: {
          'http.method': record.method,
          'http.route': record.route,
          'http.status_code': record.statusCode,
          requestId: record.requestId,
          ...record.properties
        }
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
        resultCode: record.resultCode,
        // RemoteDependencyData has a result code only for HTTP and RPC calls: keep the SQLSTATE
        // (or Redis error) in customDimensions.
        properties: { resultCode: record.resultCode }
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
