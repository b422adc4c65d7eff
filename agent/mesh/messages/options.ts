/** Settings of the message service; `mesh.messages.*` in the configuration, documented there. */
export interface MessagesInit {
  maxPayloadBytes: number
  defaultTtlMs: number
  maxTtlMs: number
  /** How far clocks of two boxes may disagree before an old message counts as a replay. */
  clockSkewMs: number
  maxStoredBytes: number
  maxStoredMessages: number
  maxBytesPerSource: number
  maxBytesPerDestination: number
  maxInboxMessages: number
  ackTimeoutMs: number
  retryMinMs: number
  retryMaxMs: number
  scanIntervalMs: number
  /** Offers awaiting an ack per neighbour. */
  windowPerNeighbour: number
}
