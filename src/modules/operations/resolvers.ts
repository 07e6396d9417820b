import type { Resolvers } from '../../generated/graphql.js'
import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import { badInput } from '../../errors.js'
import { optionalText, text } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { switchesTopic } from './catalog.js'
import { endMaintenance, startMaintenance, upsertFeatureFlag } from './queries.js'

/** Applies a switch change here at once and tells the other replicas. */
async function announceSwitchChange (ctx: GraphQLContext): Promise<void> {
  await ctx.switches.reload()
  ctx.app.events.emit({ topic: switchesTopic(ctx.config.CACHE_NAMESPACE) }, (err) => {
    if (err !== undefined && err !== null) ctx.log.warn({ err }, 'could not announce a switch change; other replicas pick it up within SWITCHES_REFRESH_MS')
  })
}

const MAX_REPORT = { message: 2000, stack: 16000, url: 2000, userAgent: 500, release: 100 }

export const operationsResolvers: Resolvers = {
  Query: {
    featureFlags: (_, __, ctx) => {
      const { organizationId } = viewerOf(ctx)
      return ctx.switches.features.map((name) => ctx.switches.flag(name, organizationId))
    },
    maintenanceMode: (_, __, ctx) => ctx.switches.maintenance(viewerOf(ctx).organizationId)
  },
  Mutation: {
    setFeatureFlag: async (_, args, ctx) => {
      const viewer = viewerOf(ctx)
      if (!ctx.switches.isFeature(args.name)) throw badInput(`Unknown feature "${args.name}"; known: ${ctx.switches.features.join(', ')}`, 'name')
      const row = { organization_id: viewer.organizationId, name: args.name, enabled: args.enabled, reason: optionalText(args.reason, 'reason', 500), updated_by: viewer.userId }
      await write(ctx, async (trx) => await upsertFeatureFlag(trx, row))
      await announceSwitchChange(ctx)
      ctx.log.warn({ event: 'feature_flag_changed', flag: args.name, enabled: args.enabled }, `feature ${args.name} switched ${args.enabled ? 'on' : 'off'}`)
      return ctx.switches.flag(args.name, viewer.organizationId)
    },
    setMaintenanceMode: async (_, args, ctx) => {
      const viewer = viewerOf(ctx)
      const message = optionalText(args.message, 'message', 500) ?? 'Changes are paused for maintenance; reads work.'
      await write(ctx, async (trx) => {
        if (args.enabled) await startMaintenance(trx, { organization_id: viewer.organizationId, message, enabled_by: viewer.userId })
        else await endMaintenance(trx, viewer.organizationId)
      })
      await announceSwitchChange(ctx)
      ctx.log.warn({ event: 'maintenance_mode_changed', enabled: args.enabled }, `maintenance mode ${args.enabled ? 'on' : 'off'}`)
      return ctx.switches.maintenance(viewer.organizationId)
    },
    reportClientError: (_, { input }, ctx) => {
      const report = {
        message: text(input.message, 'input.message', MAX_REPORT.message),
        stack: optionalText(input.stack, 'input.stack', MAX_REPORT.stack),
        url: optionalText(input.url, 'input.url', MAX_REPORT.url),
        userAgent: optionalText(input.userAgent, 'input.userAgent', MAX_REPORT.userAgent),
        release: optionalText(input.release, 'input.release', MAX_REPORT.release)
      }
      ctx.app.telemetry.clientError(report, { requestId: ctx.requestId, userId: ctx.viewer?.userId, organizationId: ctx.viewer?.organizationId })
      ctx.log.warn({ event: 'client_error', url: report.url, release: report.release }, `UserReportedError: ${report.message}`)
      return true
    }
  },
  FeatureFlag: {},
  MaintenanceMode: {}
}
