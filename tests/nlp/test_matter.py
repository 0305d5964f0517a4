"""Issue 22 item 1: a report joins an open ticket only for the same thing in the same place.

Each row is (the ticket's text, the new report, joins?). Boilerplate (麻烦, 尽快, 处理一下, 谢谢, 物业) and
words every complaint shares (坏了) must not decide; a different unit, building, floor, room, named place
or thing keeps reports apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.matter import Place, compare, matter_of, place_clash

JOIN = [
    ("2单元水管漏水了，麻烦处理一下", "二单元的水管一直在渗水"),
    ("5单元楼道灯坏了", "5单元楼道的灯不亮了，晚上黑漆漆的"),
    ("6单元电梯坏了", "六单元电梯又不动了"),
    ("1单元门禁坏了，刷不开", "1单元门禁卡刷了没反应"),
    ("东门路灯不亮", "小区东门的路灯坏了好几天了"),
    ("东门路灯坏了", "东门那边的灯晚上不亮"),
    ("楼下有人养狗,到晚上老叫唤", "楼下的狗晚上一直叫，吵得睡不着"),
    ("3栋2单元楼道里有煤气味，很浓！", "楼道里好像有煤气味道"),
    ("3栋2单元楼道里有煤气味，很浓！", "2单元楼道煤气味好大，谁家漏气了"),
    ("小区路面有个大坑", "路上有个坑，差点摔倒"),
    ("井盖没了", "小区里有个井盖不见了，很危险"),
    ("地库漏水", "地下车库顶上一直在滴水"),
    ("3号楼前的路灯不亮", "3栋楼下路灯坏了"),
    ("停电了", "我家也没电了"),
    ("4楼水管漏水", "四楼的水管爆了"),
    ("2单元401室卫生间渗水", "2单元401漏水，天花板都湿了"),
    ("楼上装修电钻声太吵", "楼上一直在砸墙装修"),
    ("垃圾桶满了没人清理", "垃圾好几天没人收，臭死了"),
    ("消防通道被车堵了", "消防车道上停满了车"),
    ("电梯里困人了", "电梯卡住了，里面有人出不来"),
    ("暖气不热", "暖气片冰凉冰凉的"),
    ("下水道堵了，污水冒出来", "下水管反水了"),
    ("广场舞音响太吵", "广场上跳舞的声音太大"),
    ("树枝快断了要掉下来", "那棵大树的树枝悬着很危险"),
    ("3-2-401 漏水", "3栋2单元401室渗水"),
    ("楼道灯不亮", "5单元楼道灯坏了"),
    ("1单元4楼闻到很浓的煤气味", "一单元四楼煤气味很重"),
    ("电动车在楼道飞线充电", "楼道里有人拉电线给电瓶车充电"),
    ("高空抛物", "楼上有人往下扔东西"),
    ("小区监控坏了", "摄像头不工作"),
    ("2号楼后面的井盖松了", "2栋后面井盖坏了"),
    ("停水了", "家里没水了，什么时候来水"),
    ("楼上又在咚咚咚了！！！", "楼上每天半夜蹦迪一样，咚咚咚的"),
    ("门口的车谁的啊，挡着我出不去了", "车停在单元门口把路堵住了，乱停车"),
    ("十二单元电梯坏了", "12单元电梯停了"),
    ("东门那边黑漆漆的，路灯不亮", "东门那边黑漆漆的"),
    # English and traditional forms
    ("The lift in building 3 is broken", "Building 3 elevator not working"),
    ("Water pipe leaking in unit 2", "2单元水管漏水"),
    ("Street light at the east gate is out", "东门路灯不亮"),
    ("3棟2單元電梯壞了", "3栋2单元电梯坏了"),
    ("東門路燈不亮", "东门的路灯坏了"),
    ("2單元水管漏水", "二单元水管渗水"),
]

SEPARATE = [
    ("2单元水管漏水了，麻烦处理一下", "5单元楼道灯坏了，麻烦处理一下"),
    ("6单元电梯坏了", "1单元门禁坏了，刷不开"),
    ("2单元水管漏水了，麻烦物业尽快派人处理一下，谢谢", "小区路面有个大坑，麻烦物业尽快派人处理一下，谢谢"),
    ("2单元楼道灯不亮", "3单元楼道灯不亮"),
    ("3栋电梯坏了", "5栋电梯坏了"),
    ("4楼水管漏水", "6楼水管漏水"),
    ("12楼水管漏水", "2楼水管漏水"),
    ("401室漏水", "402室漏水"),
    ("二单元漏水", "三单元漏水"),
    ("东门路灯不亮", "西门路灯不亮"),
    ("东门路灯不亮", "2单元楼道灯不亮"),
    ("东门的灯不亮", "2单元的灯不亮"),
    ("地库漏水", "2单元水管漏水"),
    ("路灯不亮", "楼道灯不亮"),
    ("停电了", "停水了"),
    ("楼下的狗晚上一直叫", "对面楼装修电钻从早上七点开始响"),
    ("电梯坏了", "楼道灯坏了"),
    ("3号楼前的路灯不亮", "5号楼前的路灯不亮"),
    ("3号楼前的路灯不亮", "3号楼后的路灯不亮"),
    ("2单元水管漏水", "2单元下水道堵了"),
    ("楼道里有人飞线充电", "楼道里电线冒烟了，着火了"),
    ("垃圾没人清理", "井盖没了"),
    ("3单元门禁刷不开", "3单元电梯坏了"),
    ("楼道灯坏了", "门禁坏了，麻烦尽快处理一下，谢谢"),
    ("小区东门道闸坏了", "东门门禁坏了"),
    ("我家也是", "3栋电梯坏了"),
    ("2单元水管漏水了，麻烦处理一下", "2单元楼道里好臭，麻烦处理一下"),
    ("1单元4楼闻到很浓的煤气味", "1单元6楼闻到很浓的煤气味"),
    # noise, smell and questions: what every report of the category says decides nothing
    ("小区门口那个烧烤摊每天喝酒划拳到一两点，吵得没法睡", "地铁施工夜里也在搞，有没有噪音许可"),
    ("楼下商铺的大喇叭天天循环播放促销", "小区广场舞太吵了"),
    ("开亲属关系证明需要什么", "户口迁入需要什么手续"),
    ("小区车位太少了，能不能规划一下", "车库出入口被人停车挡住了，大家都出不去"),
    ("水管爆裂，一楼大厅全淹了", "楼顶漏水，下雨天家里墙全湿了"),
    ("对门在门口放了个鞋柜，堵住了我家门一半", "邻居家装修把下水道堵了"),
    # English and traditional forms
    ("The lift in building 3 is broken", "The lift in building 5 is broken"),
    ("Corridor light on the 4th floor is out", "Street light is out, please fix asap"),
    ("Water pipe leaking in unit 2, please fix asap, thanks", "Lift broken in unit 2, please fix asap, thanks"),
    ("3棟電梯壞了", "5棟電梯壞了"),
    ("2單元水管漏水", "2單元門禁壞了"),
    ("東門路燈不亮", "西門路燈不亮"),
]


def joins(first: str, second: str) -> bool:
    return compare(matter_of(first), matter_of(second), words_threshold=0.3).join


def test_the_table_is_large_enough() -> None:
    assert len(JOIN) + len(SEPARATE) >= 60


@pytest.mark.parametrize(("first", "second"), JOIN)
def test_same_matter_in_other_words_joins(first: str, second: str) -> None:
    assert joins(first, second), compare(matter_of(first), matter_of(second), words_threshold=0.3)
    assert joins(second, first)  # the order the reports came in does not matter


@pytest.mark.parametrize(("first", "second"), SEPARATE)
def test_different_place_or_thing_stays_separate(first: str, second: str) -> None:
    assert not joins(first, second), compare(matter_of(first), matter_of(second), words_threshold=0.3)
    assert not joins(second, first)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("3栋2单元401室", Place(building="3", unit="2", floor="4", room="401")),
        ("三号楼二单元", Place(building="3", unit="2")),
        ("3-2-1203", Place(building="3", unit="2", floor="12", room="1203")),
        ("十二楼", Place(floor="12")),
        ("Building 3, unit 2, 4th floor", Place(building="3", unit="2", floor="4")),
        ("room 502", Place(floor="5", room="502")),
        ("A座", Place(building="a")),
        ("3號樓前", Place(building="3", named=frozenset({"楼前"}), outdoor=True)),
        ("地库负二层", Place(named=frozenset({"地库"}), outdoor=True)),
        ("花园", Place(named=frozenset({"花园"}), outdoor=True)),
        ("3栋前天开始", Place(building="3")),
    ],
)
def test_places_are_read_in_one_spelling(text: str, place: Place) -> None:
    assert matter_of(text).place == place


def test_the_place_that_refused_is_named() -> None:
    assert place_clash(matter_of("3栋电梯").place, matter_of("5栋电梯").place) == "building"
    assert place_clash(matter_of("2单元").place, matter_of("3单元").place) == "unit"
    assert place_clash(matter_of("东门").place, matter_of("2单元").place) == "place"
    assert place_clash(matter_of("3栋").place, matter_of("3栋2单元").place) == ""


def test_boilerplate_alone_decides_nothing() -> None:
    tail = "麻烦物业尽快派人处理一下，谢谢"
    match = compare(matter_of(tail), matter_of(tail), words_threshold=0.3)
    assert not match.join


def test_the_same_resident_soon_after_joins_on_no_words() -> None:
    ticket, again = matter_of("2单元水管漏水了"), matter_of("快来人啊，怎么还没人来")
    assert not compare(ticket, again, words_threshold=0.3).join
    match = compare(ticket, again, words_threshold=0.3, same_reporter_recently=True)
    assert (match.join, match.reason) == (True, "reporter")
    # but not across a different place
    other = matter_of("5单元呢，怎么还没人来")
    assert not compare(ticket, other, words_threshold=0.3, same_reporter_recently=True).join


def test_a_matching_place_ranks_a_ticket_higher() -> None:
    report = matter_of("2单元电梯坏了")
    near = compare(matter_of("2单元电梯不动了"), report, words_threshold=0.3)
    vague = compare(matter_of("电梯不动了"), report, words_threshold=0.3)
    assert near.join
    assert vague.join
    assert near.score > vague.score


# Every resident's message is read, so no text may break the reading; and the order two reports came in
# never changes whether they join.
_PIECES = st.sampled_from(
    [
        *"0123456789一二三十两零栋楼层单元号室幢座前后下门口",
        *"东西地库负#-ab水管漏灯电梯坏了，！ ",
        *("building ", "unit ", "floor "),
    ]
)


@given(st.lists(_PIECES, max_size=30).map("".join), st.lists(_PIECES, max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_any_text_is_read_and_joining_is_symmetric(first: str, second: str) -> None:
    a, b = matter_of(first), matter_of(second)
    assert compare(a, b, words_threshold=0.3).join == compare(b, a, words_threshold=0.3).join


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_unicode_is_read(text: str) -> None:
    assert isinstance(matter_of(text).place, Place)
