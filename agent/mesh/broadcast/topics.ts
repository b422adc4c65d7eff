/**
 * The single registry of mesh-wide broadcast topics. gossipsub is built with exactly this list
 * as `allowedTopics`, so a peer cannot make us track topics nobody here understands. Add a topic
 * here before any component subscribes to it; change a message format by adding a new version
 * (`/meshbox/services/2`) and keep the old one until every box has moved on.
 */
export const Topic = {
  /** chain headers every box should hear (chain/sync, format in its README) */
  headers: '/meshbox/headers/1',
  /** signed transactions on their way to a box with an uplink (later) */
  txs: '/meshbox/txs/1',
  /** which roles each box plays (mesh/service-directory) */
  services: '/meshbox/services/1'
} as const

export type TopicName = typeof Topic[keyof typeof Topic]

export const TOPICS: readonly TopicName[] = Object.values(Topic)

const TOPIC_SHAPE = /^\/meshbox\/[a-z][a-z0-9-]{0,31}\/[1-9][0-9]{0,3}$/

/** True for a topic in the registry (and so of the `/meshbox/<name>/<version>` shape). */
export function isKnownTopic (topic: string): topic is TopicName {
  return TOPIC_SHAPE.test(topic) && (TOPICS as readonly string[]).includes(topic)
}
