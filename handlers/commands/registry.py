"""Every staff command, declared once: the verbs people type, who may use it, whether a ticket number
follows, its /帮助 line and its handler. The parser's verb table and /帮助 are generated from here.

Order matters twice: /帮助 lists the commands in this order, and the first verb is the one shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers.commands import corrections, extensions, likely, notices, pauses, polls, signups, staff, verify
from handlers.deps import Deps
from handlers.domain import points
from handlers.domain.people import COMMUNITY_WIDE, POSTERS
from handlers.jobs import digest
from nlp.commands import Command, Grammar
from storage.records import StoredMessage

Handler = Callable[[StoredMessage, Command, Deps], Awaitable[str | None]]

VERIFIERS = COMMUNITY_WIDE | {"verifier"}


@dataclass(frozen=True)
class Spec:
    action: str  # the canonical name handlers and tests use
    verbs: tuple[str, ...]  # what people type; the first is the one /帮助 shows
    handler: Handler
    help: str  # the /帮助 line ("" for a verb that shares another's line)
    roles: frozenset[str] | None = None  # None: everyone with a staff role
    refusal: str = ""  # the Texts field answered to someone outside `roles`
    number: str = "one"  # "one" ticket number first, "many" (合并), or "none": the text is free
    residents: bool = False  # residents may use it too (/公约), staff whatever their role


async def cmd_help(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    """/帮助: the commands this person's role may use, in declaration order."""
    role = deps.settings.people_by_id[msg.sender_id].role
    return "\n".join([deps.texts.help_header, *(s.help for s in COMMANDS if s.help and allowed(s, role))])


COMMANDS: tuple[Spec, ...] = (
    Spec("accept", ("接单", "受理"), staff.cmd_accept, "/接单 1024 — 接单"),
    Spec("progress", ("进展", "进度"), staff.cmd_progress, "/进展 1024 已联系物业 — 记录进展（加“公开”发到群里）"),
    Spec("resolve", ("办结", "完成"), staff.cmd_resolve, "/办结 1024 结果说明 — 办结并把结果发回原群"),
    Spec(
        "transfer",
        ("转办",),
        staff.cmd_transfer,
        "/转办 1024 原因 — 交上一级（/转办 1024 第十一网格：转给其他网格）",
    ),
    Spec("refer_12345", ("转12345",), staff.cmd_refer, "/转12345 1024 原因 — 超出社区职权，转12345市民服务热线"),
    Spec("reject", ("退回",), staff.cmd_reject, "/退回 1024 原因 — 不属于工单，关闭并告知反映人"),
    Spec("report", ("上报",), staff.cmd_report, "/上报 楼道堆放杂物 — 登记巡查发现的问题", number="none"),
    Spec("merge", ("合并",), staff.cmd_merge, "/合并 1024 1031 — 同一件事合并，结果发到所有群", number="many"),
    Spec("mine", ("我的",), staff.cmd_mine, "/我的 — 我的未办结工单", number="none"),
    Spec("show", ("查询", "查看"), staff.cmd_show, "/查询 1024 — 工单详情和处理记录"),
    Spec("extend", ("延期",), extensions.cmd_extend, "/延期 1024 2天 等配件 — 向上一级申请延期"),
    Spec("approve_extension", ("同意延期",), extensions.cmd_approve_extension, "/同意延期 1024 — 批准延期（上一级）"),
    Spec(
        "refuse_extension",
        ("不同意延期",),
        extensions.cmd_refuse_extension,
        "/不同意延期 1024 原因 — 不批准延期（上一级）",
    ),
    Spec("pause", ("挂起",), pauses.cmd_pause, "/挂起 1024 住户不在家 — 等住户或配件时暂停计时（到期自动恢复）"),
    Spec("resume", ("恢复",), pauses.cmd_resume, "/恢复 1024 — 挂起的工单恢复计时"),
    Spec(
        "standin",
        ("代班",),
        extensions.cmd_standin,
        "/代班 李网格 11-30 — 请假期间由他人代班，未办结工单一并转交",
    ),
    Spec(
        "recategorize",
        ("改类",),
        corrections.cmd_recategorize,
        "/改类 1024 停车 — 改正工单类别（帮助网格助手学习）",
    ),
    Spec("missed", ("补单",), corrections.cmd_missed, "/补单 停车 — 引用一条没被登记的居民消息，补登记为工单"),
    Spec("register_likely", ("登记",), likely.cmd_register, "/登记 58 — 疑似诉求 58 登记为工单（可加类别）"),
    Spec("dismiss_likely", ("忽略",), likely.cmd_dismiss, "/忽略 58 — 疑似诉求 58 不是诉求，不处理"),
    Spec(
        "bind",
        ("绑定",),
        staff.cmd_bind,
        "/绑定 第十网格 — 把本群绑定到网格；/绑定 群名 — 重新登录后确认本群是哪个群（社区书记）",
        roles=COMMUNITY_WIDE,
        refusal="err_bind_role",
        number="none",
    ),
    Spec(
        "verify",
        ("核查",),
        verify.cmd_verify,
        "/核查 1024 — 核查通过，结果发给反映人（/核查 1024 不通过 原因：返工）",
        roles=VERIFIERS,
        refusal="err_not_verifier",
    ),
    Spec(
        "rework",
        ("返工",),
        verify.cmd_rework,
        "/返工 1024 原因 — 核查未通过，退回返工",
        roles=VERIFIERS,
        refusal="err_not_verifier",
    ),
    Spec(
        "notice",
        ("通知",),
        notices.cmd_notice,
        "/通知 第十网格 正文 — 发通知到网格、社区、全部或群（/通知 查看 3：收到情况；/通知 撤回 3；"
        "先发图片、再写 /通知 范围 附图 正文：图片随通知发出）",
        roles=POSTERS,
        refusal="err_notice_role",
        number="none",
    ),
    Spec(
        "signup",
        ("接龙",),
        signups.cmd_signup,
        "/接龙 义诊报名 截止 11-28 18:00 上限 30 字段: 姓名,楼栋 — 发起接龙（群里发即本群；/接龙 查看 3：名单私聊）",
        roles=POSTERS,
        refusal="err_signup_role",
        number="none",
    ),
    Spec(
        "poll",
        ("征求意见",),
        polls.cmd_poll,
        "/征求意见 口袋公园设计 选项 方案一/方案二 截止 11-30 18:00 — 征求居民意见（群里发即本群）",
        roles=POSTERS,
        refusal="err_poll_role",
        number="none",
    ),
    Spec(
        "poll_result",
        ("结果",),
        polls.cmd_result,
        "/结果 3 — 议题3 的投票情况",
        roles=POSTERS,
        refusal="err_poll_role",
        number="none",
    ),
    Spec(
        "covenant",
        ("公约",),
        polls.cmd_covenant,
        "/公约 — 本群的楼门公约（/征求意见 公约 [范围] 公约正文 [截止 时间]：征求意见，三分之二同意即通过）",
        number="none",
        residents=True,
    ),
    Spec("points", ("积分",), points.cmd_points, "/积分 — 我本月的积分（/积分 张燕：查看同事的）"),
    Spec("ranking", ("排行",), points.cmd_ranking, "/排行 — 本月积分排行", number="none"),
    Spec(
        "digest_day",
        ("日报",),
        digest.cmd_digest,
        "/日报 /周报 /月报 — 本社区的日报、周报（附图）、月报（附图）",
        roles=COMMUNITY_WIDE,
        refusal="err_digest_role",
        number="none",
    ),
    Spec(
        "digest_week",
        ("周报",),
        digest.cmd_digest,
        "",
        roles=COMMUNITY_WIDE,
        refusal="err_digest_role",
        number="none",
    ),
    Spec(
        "digest_month",
        ("月报",),
        digest.cmd_digest,
        "",
        roles=COMMUNITY_WIDE,
        refusal="err_digest_role",
        number="none",
    ),
    Spec("help", ("帮助",), cmd_help, "/帮助 — 本说明", number="none"),
)

BY_ACTION: dict[str, Spec] = {spec.action: spec for spec in COMMANDS}
GRAMMAR = Grammar(
    verbs={verb: spec.action for spec in COMMANDS for verb in spec.verbs},
    no_number=frozenset(s.action for s in COMMANDS if s.number == "none"),
    many_numbers=frozenset(s.action for s in COMMANDS if s.number == "many"),
)


def parse_command(text: str) -> Command | None:
    """A staff command as this deployment's verbs read it; None when the text is not a command."""
    return GRAMMAR.parse(text)


def allowed(spec: Spec, role: str) -> bool:
    return spec.roles is None or role in spec.roles
