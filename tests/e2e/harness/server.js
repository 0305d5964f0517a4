// A real Wechaty puppet server for gridbot's end-to-end tests: wechaty-puppet-service's PuppetServer
// (TLS disabled: the Python client speaks plaintext only) serving wechaty-puppet-mock.
//
//   node server.js --grpc-port 8788 --control-port 8789 --token TOKEN --scenario scenario.json
//
// scenario.json: {"bot": {"id", "name"}, "contacts": [{"id", "name"}], "rooms": [{"id", "topic", "members": [ids]}]}
// (room ids contain "@", as WeChat's do: the mock routes a send to a room by that).
//
// Control interface, JSON over HTTP on 127.0.0.1 only:
//   GET  /ready                         -> {"grpc": true|false, "loggedIn": bool}
//   POST /say   {"from", "room"?, "to"?, "text", "mentions"?: [ids], "type"?: "text|image|voice|location|recalled"}
//               a contact says something in a room (with mentions, rendered "@name\u2005" like WeChat) or
//               privately to the bot ("to" defaults to the bot) -> {"id", "t"} (t: performance.now() in ms)
//   POST /resend {"id"}                 -> emit an existing message event again (duplicate delivery)
//   GET  /sent[?after=seq]              -> [{"seq", "conversationId", "text", "mentionIds", "file", "at", "t"}]
//   POST /room  {"id", "topic", "members"}   create a room (the bot not in it yet)
//   POST /room/add {"room", "ids", "by"}     people added to a room (room-join event)
//   POST /room/topic {"room", "topic", "by"} a room renamed (room-topic event)
//   POST /grpc/stop, /grpc/start        stop / start the gRPC server (the mock and its state stay)
//   POST /fail-sends {"count"}          the next N sends fail (the outbox must retry them)
//   POST /drop-on-send {"count"}        the next N sends are carried out, then the gRPC server stops before
//                                       answering (the answer is lost: the bot must not send them again)
//   /say with "stopServerOnRead": true  the gRPC server stops when the bot asks for that message's payload
// The mock drops mention ids on the way out, so what the bot sends is recorded from messageSendText's arguments.

import fs from 'node:fs'
import http from 'node:http'
import { parseArgs } from 'node:util'

import * as PUPPET from 'wechaty-puppet'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { PuppetServer, log } from 'wechaty-puppet-service'

const { values: args } = parseArgs({
  options: {
    'grpc-port': { type: 'string', default: '8788' },
    'control-port': { type: 'string', default: '8789' },
    token: { type: 'string', default: 'insecure_gridbot_e2e' },
    scenario: { type: 'string' },
  },
})
log.level(process.env.WECHATY_LOG || 'silent')

const scenario = args.scenario ? JSON.parse(fs.readFileSync(args.scenario, 'utf8')) : { bot: { id: 'gridbot', name: '网格助手' } }
const mocker = new mock.Mocker()
const puppet = new PuppetMock({ mocker })

const botContact = mocker.createContact({ id: scenario.bot.id, name: scenario.bot.name })
for (const c of scenario.contacts || []) mocker.createContact({ id: c.id, name: c.name })
for (const r of scenario.rooms || []) {
  mocker.createRoom({ id: r.id, topic: r.topic, memberIdList: r.members || [], ownerId: '', adminIdList: [] })
}
// every (re)start of the puppet logs the bot in again, as a phone that stays logged in would
mocker.use((m) => {
  if (!puppet.isLoggedIn) m.login(botContact)
  return () => {}
})

const sent = []
let failSends = 0
let dropOnSend = 0
let seq = 0
// GRIDBOT_NOW (set by the tests) pins the date the residents' messages carry, as it pins the bot's
const shift = process.env.GRIDBOT_NOW ? Date.parse(process.env.GRIDBOT_NOW) - Date.now() : 0
const now = () => Date.now() + shift

function nameOf (id) {
  try { return mocker.contactPayload(id).name } catch { return id }
}

function emitMessage (payload) {
  const msg = mocker.MessageMock.create({ id: `msg-${Date.now()}-${++seq}`, timestamp: now(), ...payload })
  puppet.emit('message', { messageId: msg.id })
  return msg.id
}

// what the bot sends: record the arguments (mention ids included), then echo it as the bot's own message
function record (conversationId, entry) {
  if (failSends > 0) {
    failSends -= 1
    throw new Error('harness: told to fail this send')
  }
  sent.push({ seq: sent.length + 1, conversationId, at: now(), t: performance.now(), text: '', mentionIds: [], file: '', ...entry })
  const where = conversationId.includes('@') ? { roomId: conversationId } : { listenerId: conversationId }
  return emitMessage({ talkerId: puppet.currentUserId, type: PUPPET.types.Message.Text, text: entry.text || entry.file, mentionIdList: [], ...where })
}
// a send carried out whose answer never leaves: the server goes down first
async function answer (id) {
  if (dropOnSend <= 0) return id
  dropOnSend -= 1
  await stopGrpc()
  return new Promise(() => {})
}
puppet.messageSendText = async (conversationId, text, mentionIdList) =>
  answer(record(conversationId, { text, mentionIds: mentionIdList || [] }))
puppet.messageSendFile = async (conversationId, file) => answer(record(conversationId, { file: file.name }))

// /say with "stopServerOnRead": the gRPC server goes down the moment the bot asks for that message's
// payload, i.e. after the bot was told of the message and before it could read it
const stopOnRead = new Set()
const messagePayload = puppet.messagePayload.bind(puppet)
puppet.messagePayload = async (id) => {
  if (stopOnRead.delete(id)) {
    setImmediate(() => { stopGrpc().catch(() => {}) })
    throw new Error('harness: the server is going down')
  }
  return messagePayload(id)
}

const TYPES = {
  text: PUPPET.types.Message.Text,
  image: PUPPET.types.Message.Image,
  voice: PUPPET.types.Message.Audio,
  location: PUPPET.types.Message.Location,
  recalled: PUPPET.types.Message.Recalled,
}

let server = null
async function startGrpc () {
  if (server) return
  server = new PuppetServer({ endpoint: `127.0.0.1:${args['grpc-port']}`, puppet, token: args.token, tls: { disable: true } })
  await server.start()
}
async function stopGrpc () {
  if (!server) return
  const s = server
  server = null
  await s.stop()
}

const routes = {
  'GET /ready': async () => ({ grpc: server !== null, loggedIn: puppet.isLoggedIn }),
  'GET /sent': async (_b, query) => sent.filter((m) => m.seq > Number(query.get('after') || 0)),
  'POST /say': async (b) => {
    const mentions = b.mentions || []
    const type = TYPES[b.type || 'text']
    if (type === undefined) throw new Error(`unknown type ${b.type}`)
    let text = b.text || ''
    if (type === PUPPET.types.Message.Text && mentions.length) {
      text = mentions.map((id) => `@${nameOf(id)}\u2005`).join('') + text
    }
    const where = b.room ? { roomId: b.room, mentionIdList: mentions } : { listenerId: b.to || botContact.id }
    const id = `msg-${Date.now()}-${++seq}`
    if (b.stopServerOnRead) stopOnRead.add(id)
    const t = performance.now()
    return { id: emitMessage({ id, talkerId: b.from, type, text, ...where }), t }
  },
  'POST /resend': async (b) => {
    puppet.emit('message', { messageId: b.id })
    return { id: b.id }
  },
  'POST /room': async (b) => {
    mocker.createRoom({ id: b.id, topic: b.topic, memberIdList: b.members || [], ownerId: '', adminIdList: [] })
    return { id: b.id }
  },
  'POST /room/add': async (b) => {
    const room = mocker.RoomMock.load(b.room)
    room.add(...b.ids.map((id) => mocker.ContactMock.load(id))).by(mocker.ContactMock.load(b.by))
    return { ok: true }
  },
  'POST /room/topic': async (b) => {
    mocker.RoomMock.load(b.room).topic(b.topic).by(mocker.ContactMock.load(b.by))
    await puppet.dirtyPayload(PUPPET.types.Payload.Room, b.room)
    return { ok: true }
  },
  'POST /grpc/stop': async () => { await stopGrpc(); return { ok: true } },
  'POST /grpc/start': async () => { await startGrpc(); return { ok: true } },
  'POST /fail-sends': async (b) => { failSends = Number(b.count || 0); return { ok: true } },
  'POST /drop-on-send': async (b) => { dropOnSend = Number(b.count || 0); return { ok: true } },
}

const control = http.createServer((req, res) => {
  let body = ''
  req.on('data', (chunk) => { body += chunk })
  req.on('end', async () => {
    const url = new URL(req.url, 'http://127.0.0.1')
    const route = routes[`${req.method} ${url.pathname}`]
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: `no route ${req.method} ${req.url}` }))
      return
    }
    try {
      const out = await route(body ? JSON.parse(body) : {}, url.searchParams)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(out))
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: String(e && e.message ? e.message : e) }))
    }
  })
})

await startGrpc()
control.listen(Number(args['control-port']), '127.0.0.1', () => {
  process.stdout.write(`READY grpc=127.0.0.1:${args['grpc-port']} control=127.0.0.1:${control.address().port}\n`)
})
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => {
    await stopGrpc().catch(() => {})
    process.exit(0)
  })
}
