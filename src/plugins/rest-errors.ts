import type { FastifyReply } from 'fastify'
import type { ErrorCode } from '../errors.js'

/** The REST routes' error body: the codes of the GraphQL contract, `{ error: { code, message, ... } }`. */
export async function refuse (reply: FastifyReply, status: number, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
  return await reply.code(status).send({ error: { code, message, ...extra } })
}
