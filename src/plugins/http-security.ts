import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

// Security headers on every response, and cross-origin access only for the configured origins.
// The content security policy allows this service's own scripts and styles only; GraphiQL's
// editor sets inline styles, hence 'unsafe-inline' for style-src (never for scripts).

export interface HttpSecurityOptions {
  /** Origins allowed to call the API from a browser; empty: same origin only. */
  corsOrigins: string[]
  /** HSTS only where the service is reached over HTTPS (production behind TLS). */
  hsts: boolean
}

export const httpSecurityPlugin = fp(async (app: FastifyInstance, options: HttpSecurityOptions) => {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null
      }
    },
    hsts: options.hsts ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false
  })
  await app.register(cors, {
    origin: options.corsOrigins.length === 0 ? false : options.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'authorization', 'x-request-id', 'apollographql-client-name'],
    exposedHeaders: ['x-request-id', 'retry-after', 'server-timing'],
    maxAge: 600,
    credentials: false
  })
}, { name: 'http-security' })
