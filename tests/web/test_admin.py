"""管理: who may change people, grids, groups, the duty roster and holidays; CSRF; bad input; the event rows;
and the bot itself using what the page changed (a new complaint @-mentions the grid's new worker)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.memory import MemoryAdapter
from bot.core.messages import IncomingMessage
from bot.runtime.app import build_app, build_services
from storage.repos.directory import AdminEvent
from tests.web.conftest import csrf_of, login
from tests.web.seed import NOW, TZ, Seeded

Client = TestClient  # type: ignore[type-arg]


async def _csrf(client: Client) -> str:
    return csrf_of(await (await client.get("/admin")).text())


async def _post(client: Client, path: str, data: dict[str, str] | list[tuple[str, str]]) -> tuple[int, str]:
    fields = list(data.items()) if isinstance(data, dict) else list(data)
    resp = await client.post(path, data=[*fields, ("csrf", await _csrf(client))], allow_redirects=False)
    return resp.status, await resp.text()


def _events(seeded: Seeded) -> list[AdminEvent]:
    with seeded.services.store.begin() as uow:
        return uow.directory.events()


def _grid_form(**values: str) -> list[tuple[str, str]]:
    form = {"mode": "edit", "id": "g10", "name": "第十网格", "worker": "wxid_zhangyan", "area_cadre": "wxid_yanghx"}
    form.update(values)
    return list(form.items())


async def test_only_secretaries_and_the_street_level_may_administer(client: Client) -> None:
    resp = await client.get("/admin", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"].startswith("/login")
    for person in ("wxid_zhangyan", "wxid_yanghx"):
        assert await login(client, person) == 302
        assert "/admin" not in await (await client.get("/")).text()  # no menu entry
        resp = await client.get("/admin")
        assert resp.status == 403
        assert "只有社区书记" in await resp.text()
    # a grid worker posting with a valid CSRF token is still refused, and nothing changes
    csrf = csrf_of(await (await client.get("/tickets")).text())
    resp = await client.post("/admin/grid", data=[*_grid_form(worker="wxid_li"), ("csrf", csrf)])
    assert resp.status == 403
    for person in ("wxid_wanghuan", "wxid_center", "wxid_super"):
        assert await login(client, person) == 302
        page = await (await client.get("/admin")).text()
        assert "优先于 config.yaml" in page
        assert 'href="/admin"' in page


async def test_each_administrator_sees_and_changes_only_their_reach(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_zhao") == 302  # 龙城社区's secretary
    page = await (await client.get("/admin")).text()
    assert 'data-grid="g20"' in page
    assert 'data-grid="g10"' not in page
    assert 'data-person="wxid_wu"' in page
    assert 'data-person="wxid_zhangyan"' not in page
    status, text = await _post(client, "/admin/grid", _grid_form(worker="wxid_wu"))
    assert status == 400
    assert "请选择您负责的社区" in text
    # the duty roster and holidays belong to the whole street: not for one community's secretary
    assert 'id="duty"' not in page
    status, text = await _post(client, "/admin/holidays", {"holidays": "2027-01-01", "workdays": ""})
    assert status == 400
    assert "全街道共用" in text
    # the street center is in both communities, so a secretary cannot edit that person
    status, text = await _post(
        client,
        "/admin/person",
        {"mode": "edit", "id": "wxid_center", "name": "改名", "role": "street_center", "community": "longcheng"},
    )
    assert status == 400
    assert "不在您的管理范围内" in text
    assert _events(seeded) == []


async def test_csrf_is_required_on_every_admin_form(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    await client.get("/admin")
    for path, form in [
        ("/admin/grid", _grid_form(worker="wxid_li")),
        ("/admin/person", [("mode", "new"), ("id", "wxid_new"), ("name", "新人"), ("role", "grid_worker")]),
        ("/admin/group", [("chat_id", "room_tiancheng_3"), ("grid", "g11")]),
        ("/admin/holidays", [("holidays", "2027-01-01")]),
        ("/admin/person/remove", [("id", "wxid_nopass")]),
    ]:
        for bad in ([], [("csrf", "forged")]):
            resp = await client.post(path, data=[*form, *bad])
            assert resp.status == 403, path
            assert "表单已过期" in await resp.text()
    assert _events(seeded) == []
    assert seeded.services.settings.grids_by_id["g10"].workers == ["wxid_zhangyan"]


@pytest.mark.parametrize(
    ("path", "form", "message"),
    [
        ("/admin/grid", _grid_form(worker="wxid_wu"), "网格员必须是美景社区登记的人员"),
        ("/admin/grid", _grid_form(worker=""), "请选择网格员"),
        ("/admin/grid", _grid_form(name="第十一网格"), "已经有叫“第十一网格”的网格了"),
        ("/admin/grid", _grid_form(id="nope"), "没有编号为 nope 的网格"),
        ("/admin/grid", _grid_form(mode="new", id="g 1", community="meijing"), "网格编号只能"),
        (
            "/admin/person",
            {"mode": "new", "id": "x", "name": "新人", "role": "grid_worker", "community": "meijing"},
            "微信号只能",
        ),
        (
            "/admin/person",
            {"mode": "new", "id": "wxid_li", "name": "新人", "role": "grid_worker", "community": "meijing"},
            "已经登记为 李网格",
        ),
        (
            "/admin/person",
            {"mode": "new", "id": "wxid_new", "name": "", "role": "grid_worker", "community": "meijing"},
            "请填写姓名",
        ),
        (
            "/admin/person",
            {"mode": "new", "id": "wxid_new", "name": "新人", "role": "supervisor", "community": "meijing"},
            "您不能设置“督导”角色",
        ),
        (
            "/admin/person",
            {"mode": "new", "id": "wxid_new", "name": "新人", "role": "grid_worker", "community": "longcheng"},
            "请选择您负责的社区",
        ),
        (
            "/admin/person",
            {
                "mode": "new",
                "id": "wxid_new",
                "name": "新人",
                "role": "secretary",
                "community": "meijing",
                "grid": "g10",
            },
            "只有网格员、片区负责人和物业可以指定网格",
        ),
        (
            "/admin/person",
            {"mode": "edit", "id": "wxid_wanghuan", "name": "王欢", "role": "grid_worker", "community": "meijing"},
            "不能修改自己的角色",
        ),
        ("/admin/person/remove", {"id": "wxid_zhangyan"}, "张燕 还在第十网格中任职"),
        ("/admin/person/remove", {"id": "wxid_super"}, "您不能删除严主任"),
        ("/admin/group", {"chat_id": "room_unknown", "grid": "g10"}, "没有这个群"),
        ("/admin/group", {"chat_id": "room_longcheng_9", "grid": "g10"}, "这个群属于其他社区的网格"),
        ("/admin/group", {"chat_id": "room_tiancheng_3", "grid": "g20"}, "请选择您负责的网格"),
        ("/admin/group", {"chat_id": "room_tiancheng_3", "grid": "g10"}, "没有需要保存的修改"),
    ],
)
async def test_bad_input_is_named_in_chinese_and_changes_nothing(
    client: Client, seeded: Seeded, path: str, form: dict[str, str] | list[tuple[str, str]], message: str
) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    before = seeded.services.settings
    status, text = await _post(client, path, form)
    assert status == 400
    assert message in text
    assert 'role="alert"' in text
    assert _events(seeded) == []
    assert seeded.services.settings == before


async def test_bad_dates_and_a_day_both_off_and_on_are_refused(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_center") == 302
    status, text = await _post(client, "/admin/holidays", {"holidays": "2027-02-30", "workdays": ""})
    assert status == 400
    assert "“2027-02-30”不是日期" in text
    status, text = await _post(client, "/admin/holidays", {"holidays": "2027-01-01", "workdays": "2027-01-01"})
    assert status == 400
    assert "2027-01-01 不能既放假又上班" in text
    status, text = await _post(client, "/admin/duty", {"rows": "1", "person-0": "wxid_li"})
    assert status == 400
    assert "第1行：请选择星期" in text
    status, text = await _post(client, "/admin/duty", {"rows": "1", "person-0": "wxid_ghost", "default-0": "1"})
    assert status == 400
    assert "第1行：请选择登记过的人员" in text
    assert _events(seeded) == []


def _complaint(text: str, chat_id: str, topic: str, n: int) -> IncomingMessage:
    return IncomingMessage(
        message_id=f"admin-test-{n}",
        chat_id=chat_id,
        chat_topic=topic,
        sender_id=f"wxid_res_admin{n}",
        sender_name="周阿姨",
        text=text,
        timestamp=NOW,
    )


async def test_a_new_worker_set_on_the_page_is_mentioned_by_the_running_bot(
    client: Client, seeded: Seeded, tmp_path: Path
) -> None:
    # the bot runs beside the page on the same database, with its own settings built from config.yaml
    bot_services = build_services(
        seeded.services.file_settings or seeded.services.settings,
        db_url=seeded.services.store.url,
        clock=seeded.clock,
    )
    adapter = MemoryAdapter(seeded.clock.now)
    app = build_app(bot_services.settings, adapter, services=bot_services)
    assert await login(client, "wxid_wanghuan") == 302
    status, _ = await _post(client, "/admin/grid", _grid_form(worker="wxid_li", workers="wxid_zhangyan"))
    assert status == 303
    # the event row: who, what, before and after
    [event] = _events(seeded)
    assert (event.actor_id, event.actor_name, event.kind, event.key, event.community_id) == (
        "wxid_wanghuan",
        "王欢",
        "grid",
        "g10",
        "meijing",
    )
    assert event.before["worker"] == ["wxid_zhangyan"]
    assert event.after["worker"] == ["wxid_li", "wxid_zhangyan"]
    # the grid keeps its place among the community's grids
    assert [g.id for g in seeded.services.settings.all_communities[0].grids] == ["g10", "g11"]
    page = await (await client.get("/admin")).text()
    assert "网格已保存" in page
    assert re.search(r'data-grid="g10">.*?<td class="workers">李网格、张燕</td>', page, re.S)
    # the bot has not seen it yet; its next message does
    assert bot_services.settings.grids_by_id["g10"].workers == ["wxid_zhangyan"]
    await app.receive(_complaint("楼下有人养狗，晚上一直叫，吵得睡不着", "room_tiancheng_3", "美景天城3栋", 1))
    [ack] = [s for s in adapter.sent if s.chat_id == "room_tiancheng_3" and "已登记" in s.text]
    assert "wxid_li" in ack.mention_ids
    assert "wxid_zhangyan" not in ack.mention_ids
    assert "李网格" in ack.text
    # a bot started later builds its settings with the page's change too
    later = build_services(seeded.services.file_settings or seeded.services.settings, db_url=seeded.services.store.url)
    assert later.settings.grids_by_id["g10"].workers == ["wxid_li", "wxid_zhangyan"]
    later.store.dispose()
    bot_services.store.dispose()


async def test_people_groups_roster_and_holidays_from_the_page(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_center") == 302
    # a new grid worker for 第十一网格
    status, _ = await _post(
        client,
        "/admin/person",
        {
            "mode": "new",
            "id": "wxid_sun",
            "name": "孙网格",
            "role": "grid_worker",
            "community": "meijing",
            "grid": "g11",
        },
    )
    assert status == 303
    settings = seeded.services.settings
    assert settings.people_by_id["wxid_sun"].name == "孙网格"
    assert settings.grids_by_id["g11"].workers == ["wxid_li", "wxid_sun"]
    # bind 龙城9栋 to 第十网格 instead of 第二十网格 (the page wins over config's grids.groups)
    status, _ = await _post(client, "/admin/group", {"chat_id": "room_longcheng_9", "grid": "g10"})
    assert status == 303
    assert seeded.services.settings.grid_of_group["room_longcheng_9"].id == "g10"
    # duty roster and holidays
    status, _ = await _post(
        client,
        "/admin/duty",
        [
            ("rows", "2"),
            ("person-0", "wxid_sun"),
            ("weekdays-0", "6"),
            ("weekdays-0", "7"),
            ("person-1", "wxid_li"),
            ("default-1", "1"),
            ("dates-1", "2027-01-01、2027-01-02"),
        ],
    )
    assert status == 303
    roster = seeded.services.settings.duty_roster
    assert [(e.person, e.weekdays, e.default) for e in roster] == [("wxid_sun", [6, 7], False), ("wxid_li", [], True)]
    assert roster[1].dates == [date(2027, 1, 1), date(2027, 1, 2)]
    status, _ = await _post(client, "/admin/holidays", {"holidays": "2028-01-03\n2028-01-04", "workdays": "2028-01-08"})
    assert status == 303
    calendar = seeded.services.calendar
    assert calendar.is_off_duty(datetime(2028, 1, 3, 10, 0, tzinfo=TZ))  # a Monday made a holiday
    assert not calendar.is_off_duty(datetime(2028, 1, 8, 10, 0, tzinfo=TZ))  # a Saturday made a working day
    # removing someone with no duties left
    status, _ = await _post(client, "/admin/person/remove", {"id": "wxid_nopass"})
    assert status == 303
    assert "wxid_nopass" not in seeded.services.settings.people_by_id
    kinds = [(e.kind, e.key) for e in reversed(_events(seeded))]
    assert kinds == [
        ("person", "wxid_sun"),
        ("grid", "g11"),
        ("group", "room_longcheng_9"),
        ("duty", "roster"),
        ("holidays", "calendar"),
        ("person", "wxid_nopass"),
    ]
    removal = _events(seeded)[0]
    assert removal.before == {"name": "无密码", "role": "grid_worker", "communities": ["meijing"]}
    assert removal.after == {"removed": True}
    page = await (await client.get("/admin")).text()
    assert page.count("<td>街道网格中心</td>") >= 6  # the change log names who did each


async def test_a_password_set_on_the_page_logs_in_and_is_never_logged(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    new = {"mode": "new", "id": "wxid_zhou", "name": "周网格", "role": "grid_worker", "community": "meijing"}
    status, page = await _post(client, "/admin/person", {**new, "password": "short"})
    assert status == 400
    assert "网页密码需为10到128个字符" in page
    assert "wxid_zhou" not in seeded.services.settings.people_by_id
    status, _ = await _post(client, "/admin/person", {**new, "password": "zhou-grid-2026"})
    assert status == 303
    stored = seeded.services.settings.people_by_id["wxid_zhou"].password_hash
    assert stored.startswith("pbkdf2_sha256$")
    logged = _events(seeded)[0].after["password_hash"]
    assert logged.startswith("（已设置 ")
    assert stored not in str(_events(seeded))
    # an edit that leaves the password empty keeps it
    status, _ = await _post(client, "/admin/person", {**new, "mode": "edit", "name": "周小燕"})
    assert status == 303
    assert seeded.services.settings.people_by_id["wxid_zhou"].password_hash == stored
    assert _events(seeded)[0].before["password_hash"] == _events(seeded)[0].after["password_hash"] == logged
    assert await login(client, "wxid_zhou", "zhou-grid-2026") == 302
    assert await login(client, "wxid_zhou", "wrong-password-1") != 302
