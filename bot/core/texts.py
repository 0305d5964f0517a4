"""Every sentence the bot says to people, in one place.

Defaults are here; a community overrides any of them under `texts:` in
config.yaml. Placeholders use str.format names. No text writes `@name`: the
adapters render mentions from the message's mention list. The sentences live in one module per
area (texts_resident, texts_staff, texts_loop, texts_errors, texts_ops, texts_notices); `texts:` keys stay flat.
"""

from __future__ import annotations

from pydantic import ConfigDict

from bot.core.texts_errors import ErrorTexts
from bot.core.texts_loop import LoopTexts
from bot.core.texts_notices import NoticeTexts
from bot.core.texts_ops import OpsTexts
from bot.core.texts_resident import ResidentTexts
from bot.core.texts_staff import StaffTexts


class Texts(ResidentTexts, StaffTexts, LoopTexts, ErrorTexts, OpsTexts, NoticeTexts):
    model_config = ConfigDict(extra="forbid", frozen=True)
