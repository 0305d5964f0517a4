"""Masking residents' phone and ID numbers in anything posted in a group or a digest."""

from __future__ import annotations

import re

_ID = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?)(\d{3,4})(\d{4})(?!\d)")


def mask(text: str) -> str:
    """138****5678 and 420106********1234: enough for a person to recognise, not to dial."""
    text = _ID.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    text = _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _LANDLINE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
