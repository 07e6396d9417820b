import { updateVersioned } from '../../database/optimistic.js'
import type { Resolvers } from '../../generated/graphql.js'
import { viewerOf } from '../../graphql/context.js'
import { currencyCode } from '../../graphql/money.js'
import { write } from '../../graphql/writes.js'
import { ORGANIZATION } from './loaders.js'

export const organizationResolvers: Resolvers = {
  Organization: {
    settings: (org) => ({ vinCheckDigitRequired: org.vin_check_digit_required, currency: org.currency })
  },
  Mutation: {
    updateOrganizationSettings: async (_, { input }, ctx) => {
      const { organizationId } = viewerOf(ctx)
      const patch = {
        ...(typeof input.vinCheckDigitRequired === 'boolean' ? { vin_check_digit_required: input.vinCheckDigitRequired } : {}),
        ...(typeof input.currency === 'string' ? { currency: currencyCode(input.currency, 'input.currency') } : {})
      }
      const org = await write(ctx, async (trx) => await updateVersioned(trx, 'organizations', { organizationId, id: organizationId }, input.expectedVersion, patch, 'Organization'))
      await ctx.cache.invalidate(ORGANIZATION.entity, org.id, [org.id])
      ctx.loaders.organizations.byId.clear(org.id).prime(org.id, org)
      return org
    }
  }
}
