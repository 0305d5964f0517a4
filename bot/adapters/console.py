"""The console adapter: type as residents and grid workers; see the bot's replies as the group would.

Input lines:
    [美景天城3栋] 周阿姨: 楼下有人养狗，到晚上老叫唤
    [私聊] 李网格: /办结 1 已与养狗住户沟通
    周阿姨: 满意                  (same group as the line before)
`@名字` of a known person in the text becomes a mention; `@网格助手` mentions the bot.
Lines piped in are processed like typed ones; the shell ends when input ends.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from bot.core.messages import IncomingMessage, OutgoingMessage
from bot.core.port import AdapterHealth, OnChatEvent, OnMessage
from bot.core.settings import Settings

_LINE = re.compile(r"^\s*(?:\[(?P<chat>[^\]]+)\]\s*)?(?P<who>[^:：\s][^:：]{0,20})[:：]\s*(?P<text>.*)$")
PRIVATE = "私聊"


class ConsoleAdapter:
    name = "console"
    mentions_by_stored_name = True

    def __init__(
        self, settings: Settings, now: Callable[[], datetime], stdin: TextIO | None = None, stdout: TextIO | None = None
    ) -> None:
        self.settings = settings
        self._now = now
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._stopping = False
        self._wake: asyncio.Queue[str] | None = None
        self._counter = 0
        # this run's own mark in the message ids: a run restarted within the second (a scripted demo, start-up
        # is 0.6 s) counted from 1 again, and its first message, the same id as the last run's, was taken for a
        # second delivery of that one and dropped without a word
        self._run = secrets.token_hex(4)
        # people known by name: staff from config; anyone else is a resident with an id made from the name
        self._ids = {p.name: p.id for p in settings.people_by_id.values()}
        self._names = {p.id: p.name for p in settings.people_by_id.values()}
        self._topics = dict(settings.group_names)
        self._chat_of_topic = {topic: chat for chat, topic in self._topics.items()}
        self._current_chat = next(iter(self._topics), "")

    def reload_settings(self, settings: Settings) -> None:
        """A config reload: new staff names and group topics (residents typed so far stay known)."""
        self.settings = settings
        self._ids.update({p.name: p.id for p in settings.people_by_id.values()})
        self._names.update({p.id: p.name for p in settings.people_by_id.values()})
        for chat_id, topic in settings.group_names.items():
            self._topics[chat_id] = topic
            self._chat_of_topic[topic] = chat_id

    def person_id(self, name: str) -> str:
        if name not in self._ids:
            self._ids[name] = f"wxid_{name}"
            self._names[f"wxid_{name}"] = name
        return self._ids[name]

    def display_name(self, person_id: str) -> str:
        return self._names.get(person_id, person_id)

    def topic(self, chat_id: str) -> str:
        return self._topics.get(chat_id, chat_id)

    def parse(self, line: str) -> IncomingMessage | str | None:
        """A message, or an English hint for a line that is not one, or None for a blank line."""
        if not line.strip() or line.lstrip().startswith("#"):
            return None
        m = _LINE.match(line.rstrip("\n"))
        if m is None:
            return "format: [群名] 名字: 文字   or   [私聊] 名字: 文字"
        who, text = m.group("who").strip(), m.group("text")
        sender = self.person_id(who)
        chat_label = (m.group("chat") or "").strip()
        if chat_label == PRIVATE:
            chat_id, topic = sender, ""
        else:
            if chat_label:
                chat_id = self._chat_of_topic.get(chat_label) or chat_label
                if chat_id not in self._topics:
                    self._topics[chat_id] = chat_label
                    self._chat_of_topic[chat_label] = chat_id
                self._current_chat = chat_id
            chat_id = self._current_chat
            topic = self._topics.get(chat_id, chat_id)
            if not chat_id:
                return "say which group first: [群名] 名字: 文字"
        mentions: list[str] = []
        mentions_bot = False
        for name in re.findall(r"@(\S+?)(?=\s|$)", text):
            if name == self.settings.bot.name:
                mentions_bot = True
            elif name in self._ids:
                mentions.append(self._ids[name])
            else:
                continue
            text = text.replace(f"@{name}", "", 1)
        self._counter += 1
        return IncomingMessage(
            message_id=f"console-{self._now().timestamp():.0f}-{self._run}-{self._counter}",
            chat_id=chat_id,
            chat_topic=topic,
            sender_id=sender,
            sender_name=who,
            text=text.strip(),
            timestamp=self._now(),
            mentions=tuple(mentions),
            mentions_bot=mentions_bot,
        )

    async def run(self, on_message: OnMessage, on_chat_event: OnChatEvent) -> None:
        # A daemon thread reads stdin: a read blocked on a terminal cannot be cancelled, and a thread
        # of the loop's executor would hold the process at exit until someone pressed Enter.
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()
        self._wake = lines

        def read() -> None:
            while True:
                line = self.stdin.readline()
                loop.call_soon_threadsafe(lines.put_nowait, line)
                if line == "":
                    return

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        while not self._stopping:
            line = await lines.get()
            if line == "" or self._stopping:
                return  # end of input (the demo can be scripted), or stop()
            parsed = self.parse(line)
            if isinstance(parsed, str):
                self.stdout.write(f"  ! {parsed}\n")
                self.stdout.flush()
            elif parsed is not None:
                await on_message(parsed)

    async def send(self, message: OutgoingMessage) -> None:
        for pid, name in zip(message.mention_ids, message.mention_names, strict=False):
            if name and pid not in self._names:  # a resident of an earlier run, by the name that was stored
                self._names[pid] = name
                self._ids.setdefault(name, pid)
        mentions = "".join(f"@{self.display_name(m)} " for m in message.mention_ids)
        if message.chat_id in self._topics:
            where = f"[{self._topics[message.chat_id]}]"
        else:
            where = f"[{PRIVATE} {self.settings.bot.name} → {self.display_name(message.chat_id)}]"
        body = message.text.replace("\n", "\n    ")
        if message.image_path:
            body += f"\n    [图片] {message.image_path}"
        self.stdout.write(f"{where} {self.settings.bot.name}: {mentions}{body}\n")
        self.stdout.flush()

    async def stop(self) -> None:
        self._stopping = True
        if self._wake is not None:
            self._wake.put_nowait("")

    def health(self) -> AdapterHealth:
        return AdapterHealth(connected=True)
