// gridbot's Wechaty gateway: the puppet named by WECHATY_PUPPET, served by wechaty-puppet-service's
// PuppetServer as a plaintext gRPC puppet service for gridbot's Python client.
//
//   WECHATY_PUPPET   an npm puppet (wechaty-puppet-wechat4u by default; wechaty-puppet-xp or
//                    wechaty-puppet-padlocal once the office has installed them) or the path of a puppet
//                    module (./testing/puppet-mock-control.js, the tests' mock)
//   WECHATY_TOKEN    the token gridbot presents (WECHATY_PUPPET_SERVICE_TOKEN is read when it is unset);
//                    it must start with insecure_: the Python client speaks plaintext gRPC only
//   GATEWAY_LISTEN   host:port to listen on, 127.0.0.1:8788 by default; loopback or a private address only
//   GATEWAY_CONTAINER  1: also 0.0.0.0 / :: — only in a container whose port is not published, where every
//                    interface is the compose network's (deploy/docker-compose.yml sets it)
//   GATEWAY_MEMORY   where the puppet keeps its login across restarts (wechat4u's session):
//                    NAME.memory-card.json, gridbot-gateway in the current folder by default; empty: not kept
//   WECHATY_LOG      silent | error | warn | info | verbose (info by default)
//
// Why not the official `wechaty gateway` CLI (npm wechaty 1.x): it looks the token up at the dead
// api.chatie.io service and listens on 0.0.0.0 (plaintext gRPC on every interface). This is what that CLI
// does once it has a puppet, without either: resolve the puppet by name, serve it with PuppetServer.
//
// A puppet module may export `attachGateway({ start, stop, running })` on its instances: the gateway hands it
// its own start and stop of the gRPC server (the tests' mock uses it to simulate a service going down).

import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

import { MemoryCard } from 'memory-card'
import { resolvePuppet } from 'wechaty-puppet/helpers'
import { PuppetServer, log } from 'wechaty-puppet-service'

const DEFAULT_PUPPET = 'wechaty-puppet-wechat4u'
const DEFAULT_LISTEN = '127.0.0.1:8788'
const DEFAULT_MEMORY = 'gridbot-gateway'

function fail (message) {
  process.stderr.write(`gateway: ${message}\n`)
  process.exit(2)
}

// a module path (./x.js, /x.js) becomes a file URL; an npm name stays as it is
export function puppetSpecifier (name) {
  if (name.startsWith('.') || name.startsWith('/') || name.endsWith('.js')) {
    return pathToFileURL(path.resolve(name)).href
  }
  return name
}

// 127.0.0.0/8, ::1, 10/8, 172.16/12, 192.168/16, fc00::/7: where plaintext gRPC may listen
export function privateAddress (host) {
  if (host === 'localhost') return true
  const kind = net.isIP(host)
  if (kind === 4) {
    const [a, b] = host.split('.').map(Number)
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  }
  if (kind === 6) return host === '::1' || /^f[cd]/i.test(host)
  return false
}

export function readConfig (env) {
  const puppet = (env.WECHATY_PUPPET || '').trim() || DEFAULT_PUPPET
  const token = (env.WECHATY_TOKEN || env.WECHATY_PUPPET_SERVICE_TOKEN || '').trim()
  if (!token) {
    throw new Error('set WECHATY_TOKEN (insecure_ followed by a secret of your choice); gridbot presents the same token')
  }
  if (!token.startsWith('insecure_') || token === 'insecure_') {
    throw new Error(
      'WECHATY_TOKEN must be insecure_ followed by a secret: gridbot\'s Python client speaks plaintext gRPC only, ' +
      'and wechaty-puppet-service serves plaintext only to a token with that prefix'
    )
  }
  const listen = (env.GATEWAY_LISTEN || '').trim() || DEFAULT_LISTEN
  const at = listen.lastIndexOf(':')
  const host = at > 0 ? listen.slice(0, at).replace(/^\[|\]$/g, '') : ''
  const port = at > 0 ? Number(listen.slice(at + 1)) : NaN
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`GATEWAY_LISTEN must be host:port, e.g. ${DEFAULT_LISTEN} (got "${listen}")`)
  }
  const anyInContainer = (host === '0.0.0.0' || host === '::') && (env.GATEWAY_CONTAINER || '').trim() === '1'
  if (!privateAddress(host) && !anyInContainer) {
    throw new Error(
      `GATEWAY_LISTEN ${listen}: plaintext gRPC must stay on loopback or a private network ` +
      '(127.0.0.1, 10.x, 172.16-31.x, 192.168.x); run gridbot on the same host or the same private network ' +
      '(0.0.0.0 only in a container whose port is not published, with GATEWAY_CONTAINER=1)'
    )
  }
  const memory = (env.GATEWAY_MEMORY ?? DEFAULT_MEMORY).trim()
  return { puppet, token, memory, endpoint: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` }
}

async function main () {
  let config
  try {
    config = readConfig(process.env)
  } catch (e) {
    fail(e.message)
  }
  log.level(process.env.WECHATY_LOG || 'info')
  // the puppet service serves plaintext only with this set (and an insecure_ token)
  process.env.WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER = 'true'

  let puppet
  try {
    puppet = await resolvePuppet({ puppet: puppetSpecifier(config.puppet) })
  } catch (e) {
    fail(`cannot load the puppet "${config.puppet}": ${e && e.message ? e.message : e} (is it installed? see gateway/README.md)`)
  }

  // without a memory card of its own the puppet keeps its login in memory only: every restart a new scan
  if (config.memory && typeof puppet.setMemory === 'function') {
    try {
      fs.mkdirSync(path.dirname(path.resolve(config.memory)), { recursive: true })
      const memory = new MemoryCard({ name: config.memory })
      await memory.load()
      puppet.setMemory(memory)
    } catch (e) {
      fail(`cannot use the memory card ${config.memory}.memory-card.json: ${e && e.message ? e.message : e}`)
    }
  }

  let server = null
  const start = async () => {
    if (server) return
    server = new PuppetServer({ endpoint: config.endpoint, puppet, token: config.token, tls: { disable: true } })
    await server.start()
  }
  const stop = async () => {
    if (!server) return
    const s = server
    server = null
    await s.stop()
  }
  if (typeof puppet.attachGateway === 'function') {
    await puppet.attachGateway({ start, stop, running: () => server !== null })
  }

  try {
    await start()
  } catch (e) {
    fail(`cannot listen on ${config.endpoint}: ${e && e.message ? e.message : e}`)
  }
  process.stdout.write(`gateway: serving ${config.puppet} on ${config.endpoint} (plaintext gRPC)\n`)

  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, async () => {
      await stop().catch(() => {})
      // the puppet saves its login (wechat4u's memory card) as it stops; a puppet that hangs does not keep us
      const stopped = Promise.resolve().then(() => puppet.stop()).catch(() => {})
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5000))])
      process.exit(0)
    })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  await main()
}
