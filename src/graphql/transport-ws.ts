import { EventEmitter } from 'node:events'
import type { WebSocket } from '@fastify/websocket'
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType, parseMessage } from 'graphql-ws'

// GraphQL over WebSocket exactly as graphql-ws's PROTOCOL.md words it, in front of Mercurius,
// which speaks it loosely: it answers a refused connection_init with a `connection_error`
// message the protocol does not have (graphql-ws clients then report a protocol error, not
// "forbidden", and retry wrongly), answers invalid messages with `error` messages, lets a client
// initialise twice, subscribe before the acknowledgement or reuse an active id, waits for ever on
// a socket that never initialises, and closes a wrong subprotocol with 1002. The protocol closes
// the socket with a code for each refusal. A guard stands between the socket and Mercurius: every
// message is checked with graphql-ws's own parser and in the protocol's order; Mercurius sees only
// the ones it may, and its `connection_error` goes out as the close 4403.

/** graphql-ws's default `connectionInitWaitTimeout`. */
const CONNECTION_INIT_TIMEOUT_MS = 3000

/** Mercurius writes `{ type, id, payload }` in this order: a message's type is read without parsing it. */
const hasType = (data: string, type: MessageType | 'connection_error'): boolean => data.startsWith(`{"type":"${type}"`)

/**
 * The subprotocol of a new socket (ws's `handleProtocols`): graphql-transport-ws when the client
 * offers it among others; otherwise the client's first, so that the socket opens and the guard
 * refuses it with 4406 (a handshake without one fails in the client, which cannot then say why).
 */
export function chooseSubprotocol (offered: Set<string>): string | false {
  return offered.has(GRAPHQL_TRANSPORT_WS_PROTOCOL) ? GRAPHQL_TRANSPORT_WS_PROTOCOL : offered.values().next().value ?? false
}

/** Closes a socket whose subprotocol is not graphql-transport-ws (4406); otherwise the socket Mercurius is to use. */
export function guardTransportWs (socket: WebSocket): WebSocket | null {
  if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
    socket.close(CloseCode.SubprotocolNotAcceptable, 'Subprotocol not acceptable')
    return null
  }
  // The guard stands in for the part of a socket Mercurius uses: protocol, readyState, send, close and its events.
  return new ProtocolGuard(socket) as unknown as WebSocket
}

class ProtocolGuard extends EventEmitter {
  readonly #socket: WebSocket
  #initialised = false
  #acknowledged = false
  #closing = false
  /** Operations the client started and neither side completed yet. */
  readonly #active = new Set<string>()

  constructor (socket: WebSocket) {
    super()
    this.#socket = socket
    const initTimeout = setTimeout(() => { if (!this.#initialised) this.#refuse(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout') }, CONNECTION_INIT_TIMEOUT_MS)
    socket.on('close', (code, reason) => {
      clearTimeout(initTimeout)
      this.emit('close', code, reason)
    })
    socket.on('error', (err) => { this.emit('error', err) })
    socket.on('message', (data, isBinary) => {
      if (this.#admits(String(data))) this.emit('message', data, isBinary)
    })
  }

  get protocol (): string {
    return this.#socket.protocol
  }

  get readyState (): number {
    return this.#socket.readyState
  }

  send (data: string, callback?: (err?: Error) => void): void {
    if (hasType(data, 'connection_error')) {
      this.#refuse(CloseCode.Forbidden, 'Forbidden')
      callback?.()
      return
    }
    if (hasType(data, MessageType.ConnectionAck)) this.#acknowledged = true
    // The server ended the operation: its id is free again.
    if (hasType(data, MessageType.Error) || hasType(data, MessageType.Complete)) this.#active.delete((JSON.parse(data) as { id: string }).id)
    this.#socket.send(data, callback)
  }

  close (code?: number, reason?: string): void {
    this.#closing = true
    this.#socket.close(code, reason)
  }

  #refuse (code: CloseCode, reason: string): false {
    this.close(code, reason)
    return false
  }

  /** Whether a message goes on to Mercurius; if not, the socket is closed with the protocol's code. */
  #admits (data: string): boolean {
    if (this.#closing) return false
    let message
    try {
      message = parseMessage(data)
    } catch {
      return this.#refuse(CloseCode.BadRequest, 'Invalid message received')
    }
    switch (message.type) {
      case MessageType.ConnectionInit:
        if (this.#initialised) return this.#refuse(CloseCode.TooManyInitialisationRequests, 'Too many initialisation requests')
        this.#initialised = true
        return true
      case MessageType.Subscribe:
        if (!this.#acknowledged) return this.#refuse(CloseCode.Unauthorized, 'Unauthorized')
        if (this.#active.has(message.id)) return this.#refuse(CloseCode.SubscriberAlreadyExists, `Subscriber for ${message.id} already exists`)
        this.#active.add(message.id)
        return true
      case MessageType.Complete:
        this.#active.delete(message.id)
        return true
      case MessageType.Ping:
      case MessageType.Pong:
        return true
      default:
        return this.#refuse(CloseCode.BadRequest, `A client does not send ${message.type} messages`)
    }
  }
}
