// The tests' puppet: wechaty-puppet-mock with a loopback control port, loaded by gateway.js like any
// puppet (WECHATY_PUPPET=./testing/puppet-mock-control.js), so the end-to-end tests run the gateway an
// office runs, with the same package and lock.
//
//   GRIDBOT_MOCK_SCENARIO  a JSON file: {"bot": {"id", "name"}, "contacts": [{"id", "name", "alias"?}],
//                          "rooms": [{"id", "topic", "members": [ids]}], "login": "auto" | "scan"}
//                          (room ids contain "@", as WeChat's do: the mock routes a send to a room by that).
//                          login "auto" (the default): every start of the puppet logs the bot in, as a phone
//                          that stays logged in would; "scan": the puppet shows a QR code and waits for /login.
//   GRIDBOT_MOCK_CONTROL   the control port (127.0.0.1 only), 8789 by default
//   GRIDBOT_NOW            pins the date the residents' messages carry, as it pins the bot's
//
// Control interface, JSON over HTTP:
//   GET  /ready                         -> {"grpc": true|false, "loggedIn": bool}
//   POST /say   {"from", "room"?, "to"?, "text", "mentions"?: [ids], "type"?: "text|image|voice|location|recalled"}
//               a contact says something in a room (with mentions, rendered "@name\u2005" like WeChat) or
//               privately to the bot ("to" defaults to the bot) -> {"id", "t"} (t: performance.now() in ms)
//               "timestamp"?: the message's time (ms since the epoch), as the platform stamps it: two mocks
//               given one time play one message that two bot accounts in the same group receive
//   POST /resend {"id"}                 -> emit an existing message event again (duplicate delivery)
//   GET  /sent[?after=seq]              -> [{"seq", "conversationId", "text", "mentionIds", "file", "at", "t"}]
//   POST /room  {"id", "topic", "members"}   create a room (the bot not in it yet)
//   POST /room/add {"room", "ids", "by"}     people added to a room (room-join event)
//   POST /room/topic {"room", "topic", "by"} a room renamed (room-topic event)
//   POST /scan {"qrcode"?, "status"?}   a scan event (status: waiting, scanned, confirmed, timeout, cancel)
//   POST /login, /logout                the bot logs in (as the scenario's bot) / is logged out
//   POST /relogin {"ids": {old: new}}   logged out, then in again with every listed room and contact under its
//                                       new id (same topic, name, alias, members), as wechat4u does at each login
//   POST /grpc/stop, /grpc/start        stop / start the gateway's gRPC server (the mock and its state stay)
//   POST /fail-sends {"count"}          the next N sends fail (the outbox must retry them)
//   POST /drop-on-send {"count", "conversation"?}  the next N sends (to that conversation only, if given) are
//                                       carried out, then the gRPC server stops before answering (the answer is
//                                       lost: the bot must not send them again)
//   /say with "stopServerOnRead": true  the gRPC server stops when the bot asks for that message's payload
// A ding is answered with its dong at once.
// The mock drops mention ids on the way out, so what the bot sends is recorded from messageSendText's arguments.

import fs from 'node:fs'
import http from 'node:http'

import * as PUPPET from 'wechaty-puppet'
import { PuppetMock, mock } from 'wechaty-puppet-mock'

const TYPES = {
  text: PUPPET.types.Message.Text,
  image: PUPPET.types.Message.Image,
  voice: PUPPET.types.Message.Audio,
  location: PUPPET.types.Message.Location,
  recalled: PUPPET.types.Message.Recalled,
}
const SCAN = {
  waiting: PUPPET.types.ScanStatus.Waiting,
  scanned: PUPPET.types.ScanStatus.Scanned,
  confirmed: PUPPET.types.ScanStatus.Confirmed,
  timeout: PUPPET.types.ScanStatus.Timeout,
  cancel: PUPPET.types.ScanStatus.Cancel,
}
export const MOCK_QRCODE = 'https://login.weixin.qq.com/l/gridbot-mock'

export default class PuppetMockControl extends PuppetMock {
  constructor (options = {}) {
    const mocker = new mock.Mocker()
    super({ ...options, mocker })
    const file = process.env.GRIDBOT_MOCK_SCENARIO
    this.scenario = file ? JSON.parse(fs.readFileSync(file, 'utf8')) : { bot: { id: 'gridbot', name: '网格助手' } }
    this.controlPort = Number(process.env.GRIDBOT_MOCK_CONTROL || '8789')
    this.mocker = mocker
    this.sent = []
    this.failSends = 0
    this.dropOnSend = 0
    this.dropOnSendTo = '' // only the sends to this conversation ('' any)
    this.seq = 0
    this.stopOnRead = new Set()
    this.gateway = null
    // GRIDBOT_NOW (set by the tests) pins the date the residents' messages carry, as it pins the bot's
    const shift = process.env.GRIDBOT_NOW ? Date.parse(process.env.GRIDBOT_NOW) - Date.now() : 0
    this.now = () => Date.now() + shift

    const s = this.scenario
    this.botContact = mocker.createContact({ id: s.bot.id, name: s.bot.name })
    for (const c of s.contacts || []) mocker.createContact({ id: c.id, name: c.name, alias: c.alias })
    for (const r of s.rooms || []) {
      mocker.createRoom({ id: r.id, topic: r.topic, memberIdList: r.members || [], ownerId: '', adminIdList: [] })
    }
    mocker.use(() => {
      if (this.isLoggedIn) return () => {}
      if ((s.login || 'auto') === 'scan') mocker.scan(MOCK_QRCODE, SCAN.waiting)
      else mocker.login(this.botContact)
      return () => {}
    })

    // what the bot sends: record the arguments (mention ids included); a send refused or left unanswered on demand
    this.messageSendText = async (conversationId, text, mentionIdList) =>
      this.answer(conversationId, this.record(conversationId, { text, mentionIds: mentionIdList || [] }))
    this.messageSendFile = async (conversationId, fileBox) =>
      this.answer(conversationId, this.record(conversationId, { file: fileBox.name }))
    const messagePayload = this.messagePayload.bind(this)
    this.messagePayload = async (id) => {
      if (this.stopOnRead.delete(id)) {
        setImmediate(() => { this.stopGrpc().catch(() => {}) })
        throw new Error('mock: the server is going down')
      }
      return messagePayload(id)
    }
  }

  // a ding is answered at once, as wechaty-puppet-wechat4u answers it (wechaty-puppet-mock waits a second):
  // the bot's liveness probe runs on short intervals in the tests. A frozen gateway (SIGSTOP) answers nothing.
  ding (data) {
    setImmediate(() => this.emit('dong', { data: data || '' }))
  }

  // gateway.js hands over its start and stop of the gRPC server; the control port opens then
  async attachGateway (gateway) {
    this.gateway = gateway
    const control = http.createServer((req, res) => this.serve(req, res))
    await new Promise((resolve, reject) => {
      control.once('error', reject)
      control.listen(this.controlPort, '127.0.0.1', resolve)
    })
    process.stdout.write(`mock control on 127.0.0.1:${control.address().port}\n`)
  }

  async stopGrpc () {
    if (this.gateway) await this.gateway.stop()
  }

  nameOf (id) {
    try { return this.mocker.contactPayload(id).name } catch { return id }
  }

  emitMessage (payload) {
    const msg = this.mocker.MessageMock.create({ id: `msg-${Date.now()}-${++this.seq}`, timestamp: this.now(), ...payload })
    this.emit('message', { messageId: msg.id })
    return msg.id
  }

  // a send recorded, then echoed as the bot's own message (as WeChat does)
  record (conversationId, entry) {
    if (this.failSends > 0) {
      this.failSends -= 1
      throw new Error('mock: told to fail this send')
    }
    this.sent.push({ seq: this.sent.length + 1, conversationId, at: this.now(), t: performance.now(), text: '', mentionIds: [], file: '', ...entry })
    const where = conversationId.includes('@') ? { roomId: conversationId } : { listenerId: conversationId }
    return this.emitMessage({ talkerId: this.currentUserId, type: PUPPET.types.Message.Text, text: entry.text || entry.file, mentionIdList: [], ...where })
  }

  // a send carried out whose answer never leaves: the server goes down first
  async answer (conversationId, id) {
    if (this.dropOnSend <= 0) return id
    if (this.dropOnSendTo && this.dropOnSendTo !== conversationId) return id
    this.dropOnSend -= 1
    await this.stopGrpc()
    return new Promise(() => {})
  }

  // each listed contact or room made again under its new id; the old id is gone, as after a wechat4u login
  renewIds (cache, ids, create) {
    for (const [oldId, payload] of [...cache]) {
      if (!ids[oldId]) continue
      cache.delete(oldId)
      create({ ...payload, id: ids[oldId] })
    }
  }

  routes () {
    const mocker = this.mocker
    return {
      'GET /ready': async () => ({ grpc: Boolean(this.gateway && this.gateway.running()), loggedIn: this.isLoggedIn }),
      'GET /sent': async (_b, query) => this.sent.filter((m) => m.seq > Number(query.get('after') || 0)),
      'POST /say': async (b) => {
        const mentions = b.mentions || []
        const type = TYPES[b.type || 'text']
        if (type === undefined) throw new Error(`unknown type ${b.type}`)
        let text = b.text || ''
        if (type === PUPPET.types.Message.Text && mentions.length) {
          text = mentions.map((id) => `@${this.nameOf(id)}\u2005`).join('') + text
        }
        const where = b.room ? { roomId: b.room, mentionIdList: mentions } : { listenerId: b.to || this.botContact.id }
        const id = `msg-${Date.now()}-${++this.seq}`
        if (b.stopServerOnRead) this.stopOnRead.add(id)
        const t = performance.now()
        const at = b.timestamp ? { timestamp: Number(b.timestamp) } : {}
        return { id: this.emitMessage({ id, talkerId: b.from, type, text, ...where, ...at }), t }
      },
      'POST /resend': async (b) => {
        this.emit('message', { messageId: b.id })
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
        await this.dirtyPayload(PUPPET.types.Payload.Room, b.room)
        return { ok: true }
      },
      'POST /scan': async (b) => {
        const status = SCAN[b.status || 'waiting']
        if (status === undefined) throw new Error(`unknown scan status ${b.status}`)
        mocker.scan(b.qrcode || MOCK_QRCODE, status)
        return { ok: true }
      },
      'POST /login': async () => {
        if (!this.isLoggedIn) mocker.login(this.botContact)
        return { ok: true }
      },
      'POST /logout': async () => {
        await this.logout('mock: told to log out')
        return { ok: true }
      },
      'POST /relogin': async (b) => {
        const ids = b.ids || {}
        await this.logout('mock: logged out, back in with new ids')
        this.renewIds(mocker.cacheContactPayload, ids, (p) => mocker.createContact(p))
        this.renewIds(mocker.cacheRoomPayload, ids, (p) => mocker.createRoom({ ...p, memberIdList: (p.memberIdList || []).map((m) => ids[m] || m) }))
        mocker.login(this.botContact)
        return { ok: true }
      },
      'POST /grpc/stop': async () => { await this.stopGrpc(); return { ok: true } },
      'POST /grpc/start': async () => { await this.gateway.start(); return { ok: true } },
      'POST /fail-sends': async (b) => { this.failSends = Number(b.count || 0); return { ok: true } },
      'POST /drop-on-send': async (b) => {
        this.dropOnSend = Number(b.count || 0)
        this.dropOnSendTo = String(b.conversation || '')
        return { ok: true }
      },
    }
  }

  serve (req, res) {
    let body = ''
    req.on('data', (chunk) => { body += chunk })
    req.on('end', async () => {
      const url = new URL(req.url, 'http://127.0.0.1')
      const route = this.routes()[`${req.method} ${url.pathname}`]
      const reply = (code, out) => {
        res.writeHead(code, { 'content-type': 'application/json' })
        res.end(JSON.stringify(out))
      }
      if (!route) {
        reply(404, { error: `no route ${req.method} ${req.url}` })
        return
      }
      try {
        reply(200, await route(body ? JSON.parse(body) : {}, url.searchParams))
      } catch (e) {
        reply(400, { error: String(e && e.message ? e.message : e) })
      }
    })
  }
}
