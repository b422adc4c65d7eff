/** Owns the listening socket of the HTTP API. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Component } from '../../component.js'
import type { Logger } from '../../log/logger.js'

export interface HttpServerComponents {
  logger: Logger
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>
}

export interface HttpServerInit { host: string, port: number, requestTimeoutMs: number }

export interface HttpServer extends Component {
  /** The bound address, once started (port resolved when 0 was asked for). */
  address: () => { host: string, port: number } | undefined
}

const MAX_HEADER_BYTES = 16 * 1024
const MAX_CONNECTIONS = 256

export function createHttpServer (c: HttpServerComponents, init: HttpServerInit): HttpServer {
  let server: Server | undefined
  return {
    name: 'http',
    async start () {
      if (server !== undefined) return
      const s = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: init.requestTimeoutMs, headersTimeout: init.requestTimeoutMs }, (req, res) => {
        void c.handler(req, res)
      })
      s.maxConnections = MAX_CONNECTIONS
      s.on('clientError', (_err, socket) => { socket.destroy() })
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(init.port, init.host, () => { s.off('error', reject); resolve() })
      })
      server = s
      c.logger.info('HTTP API listening', { host: init.host, port: (s.address() as AddressInfo).port })
    },
    async stop () {
      if (server === undefined) return
      const s = server
      server = undefined
      s.closeIdleConnections()
      await new Promise<void>(resolve => {
        const force = setTimeout(() => { s.closeAllConnections() }, 1_000)
        s.close(() => { clearTimeout(force); resolve() })
      })
    },
    address () {
      if (server === undefined) return undefined
      const a = server.address() as AddressInfo
      return { host: a.address, port: a.port }
    }
  }
}
