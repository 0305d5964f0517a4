"""The masking function: a table of the forms people write numbers in, both ways, and a fuzz test."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain.privacy import MAX_SEPARATORS, SEPARATORS, mask
from nlp.similarity import similarity
from tests.chat import Chat

NUMBERS = [
    ("13812345678", "138****5678"),
    ("我电话13812345678", "我电话138****5678"),
    ("电话13812345678找我", "电话138****5678找我"),
    ("tel13812345678", "tel138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("+86 138 1234 5678", "+86 138 **** 5678"),
    ("+86-138-1234-5678", "+86-138-****-5678"),
    ("008613812345678", "0086138****5678"),
    ("0086 13812345678", "0086 138****5678"),
    ("8613812345678", "86138****5678"),
    ("138-1234-5678", "138-****-5678"),
    ("138 1234 5678", "138 **** 5678"),
    ("138.1234.5678", "138.****.5678"),
    ("138·1234·5678", "138·****·5678"),
    ("138 - 1234 - 5678", "138 - **** - 5678"),
    ("1381234 5678", "138**** 5678"),
    ("１３８１２３４５６７８", "１３８****５６７８"),
    ("１３８－１２３４－５６７８", "１３８－****－５６７８"),
    ("１３８　１２３４　５６７８", "１３８　****　５６７８"),
    ("师傅电话 139-8765-4321", "师傅电话 139-****-4321"),
    ("19912345678和17712345678", "199****5678和177****5678"),
    ("420106199001011234", "420106********1234"),
    ("身份证42010619900101123X", "身份证420106********123X"),
    ("42010619900101123x", "420106********123x"),
    ("420106 19900101 1234", "420106 ******** 1234"),
    ("420106-19900101-123X", "420106-********-123X"),
    ("４２０１０６１９９００１０１１２３４", "４２０１０６********１２３４"),
    ("420106900101123", "420106******123"),
    ("老身份证420106900101123号", "老身份证420106******123号"),
]
# a number beside a ticket number, a date or a room: the groups that read as a number are masked
NEIGHBOURS = [
    ("#1024 13812345678", "#1024 138****5678"),
    ("工单1024 13812345678", "工单1024 138****5678"),
    ("2026-06-10 13812345678", "2026-06-10 138****5678"),
    ("3栋2单元1201，电话13812345678", "3栋2单元1201，电话138****5678"),
]
LANDLINES = [
    ("010-12345678", "010-****5678"),
    ("座机027-87654321", "座机027-****4321"),
    ("0755 1234 5678", "0755 **** 5678"),
    ("0755-1234567", "0755-***4567"),
    ("(010)12345678", "(010)****5678"),
    ("（010）12345678", "（010）****5678"),
    ("01012345678", "010****5678"),
    ("+86 10 1234 5678", "+86 10 **** 5678"),
]
MASKED = NUMBERS + NEIGHBOURS + LANDLINES

UNCHANGED = [
    "#1024",
    "#1024 已办结，2026年11月23日",
    "工单 #1024、#1025 已合并",
    "2026-06-10",
    "2026/06/10",
    "2026.06.10",
    "20260610",
    "2026-06-10 10:30",
    "20260610 1030",
    "明天 08:30 上门",
    "3栋2单元1201",
    "3-2-1201",
    "12栋 1201室",
    "物业费1380元",
    "¥12,345.67",
    "罚款 2000.50 元",
    "1381234567",
    "138123456789",
    "12345678901",
    "1234567",
    "87654321",
    "车牌 鄂A12345",
    "第3网格",
    "报修 3 次",
    "",
    "没有数字的一句话",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_a_number_in_any_common_form_is_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_ticket_numbers_dates_times_amounts_and_rooms_stay(text: str) -> None:
    assert mask(text) == text


def test_mask_phone_and_id() -> None:
    masked = mask("我电话13812345678，身份证420106199001011234，座机027-87654321")
    assert masked == "我电话138****5678，身份证420106********1234，座机027-****4321"


def test_numbers_on_two_lines_are_two_numbers() -> None:
    """Found by the fuzz test of the exports: JSON writes a line break as `\\n`, which ended a run the
    masker had read across lines, and what was left of it was 15 bare digits."""
    text = "1 3 0 0 0 0 0 0 0 0 0 00860\n0 0 0000000000000"
    assert leaks(json.dumps(mask(text), ensure_ascii=False)) == []
    assert mask("1024\n13812345678\n2026") == "1024\n138****5678\n2026"


def test_a_long_run_of_digit_groups_stays_quick_and_is_masked() -> None:
    text = " ".join(["1024"] * 3000 + ["13812345678"])
    assert mask(text).endswith("1024 138****5678")


# a run with a * in it is a masked number: its kept digits are not the start of another one
_JOIN = re.compile(rf"(?<=[0-9*])[{SEPARATORS}]{{1,{MAX_SEPARATORS}}}(?=[0-9*])")
_LEAKS = (
    re.compile(r"(?<![0-9*])(?:0086|86)?1[3-9][0-9]{9}(?![0-9*])"),
    re.compile(r"(?<![0-9*])[0-9]{17}[0-9Xx](?![0-9*])"),
    re.compile(r"(?<![0-9*])[0-9]{15}(?![0-9*])"),
)


def leaks(text: str) -> list[str]:
    """Mobile and ID numbers a reader could dial or copy from `text`, however they are written."""
    normal = unicodedata.normalize("NFKC", text)
    joined = _JOIN.sub("", "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in normal))
    return [m.group() for pattern in _LEAKS for m in pattern.finditer(joined)]


def test_the_leak_detector_sees_every_mobile_and_id_of_the_table() -> None:
    """The fuzz test below is only as good as its detector."""
    assert [text for text, _ in NUMBERS if not leaks(text)] == []
    assert [masked for _, masked in MASKED if leaks(masked)] == []


_SEP = st.sampled_from([" ", "-", ".", "·", "－", "　", "  ", " - ", "\n", "(", ")", "—"])
_DIGIT = st.sampled_from("0123456789０１２３４５６７８９١٢٣")


@st.composite
def _number(draw: st.DrawFn) -> str:
    """A mobile, an ID or any digit string, in groups joined by separators, maybe with a country code."""
    core = draw(
        st.one_of(
            st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
            st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True),
            st.from_regex(r"[0-9]{15}", fullmatch=True),
            st.text(alphabet="0123456789", min_size=1, max_size=20),
        )
    )
    core = "".join(draw(_DIGIT) if c.isdigit() and draw(st.booleans()) else c for c in core)
    out = draw(st.sampled_from(["", "+86", "0086", "86", "+86 ", "#"]))
    for c in core:
        out += c
        if draw(st.integers(0, 5)) == 0:
            out += draw(_SEP)
    return out


TEXTS_WITH_NUMBERS = st.lists(
    st.one_of(_number(), st.text(max_size=8), st.sampled_from(["电话", "身份证", "#1024", "2026-06-10"]))
)


@settings(max_examples=400, deadline=None)
@given(st.builds("".join, TEXTS_WITH_NUMBERS))
def test_no_mobile_or_id_number_survives_masking(text: str) -> None:
    assert leaks(mask(text)) == []


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_masks_without_error_and_keeps_what_has_no_number(text: str) -> None:
    out = mask(text)
    assert leaks(out) == []
    if not leaks(text) and not any(c.isdecimal() or unicodedata.normalize("NFKC", c) != c for c in text):
        assert out == text


async def test_a_public_note_typed_by_staff_is_masked_in_the_group(chat: Chat) -> None:
    await chat.say("周阿姨", "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。")
    note = "已联系物业，师傅电话 139-8765-4321，身份证42010619900101123X"
    sent = await chat.say("张燕", f"/进展 1 公开 {note}", chat="private")
    group = [s.text for s in sent if s.chat_id == "room_tiancheng_3"]
    assert group == ["#1 最新进展：已联系物业，师傅电话 139-****-4321，身份证420106********123X"]


async def test_a_ticket_shown_in_a_group_is_masked(chat: Chat) -> None:
    await chat.say("周阿姨", "楼下的狗天天叫，吵得没法休息，我电话 +86 138 1234 5678")
    shown = await chat.say("张燕", "/查询 1")
    assert shown, "the holder's /查询 in a group is answered there"
    assert all(leaks(s.text) == [] and "1234" not in s.text for s in shown)
    assert "138 **** 5678" in shown[0].text


def test_similarity_same_matter_and_different_matter() -> None:
    first = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
    assert similarity(first, "楼下的狗晚上一直叫唤,吵得没法休息") >= 0.3
    assert similarity(first, "3栋电梯又坏了") < 0.2
    assert similarity("", "anything") == 0.0
