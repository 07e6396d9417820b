import type { MQEmitter } from 'mqemitter'

// Publishing on the event bus (in-process, or across replicas through Redis): one message, and a
// promise of its having been handed to the bus. Subscribers are not waited for.

export async function publish (events: MQEmitter, topic: string, payload: Record<string, unknown> = {}): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    events.emit({ topic, payload }, (err) => { if (err === undefined || err === null) resolve(); else reject(err) })
  })
}
