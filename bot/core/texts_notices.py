"""Notices (通知), sign-ups (接龙), polls and covenants (楼门公约) in residents' groups (#20). Part of `Texts` (bot/core/texts.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class NoticeTexts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # how items are named everywhere (a prefix and the item's own number)
    notice_label: str = "通知{number}"
    signup_label: str = "接龙{number}"
    # in the groups
    notice_post: str = "【{label}】{body}\n（已阅请回复“收到”）"
    notice_post_urgent: str = "【紧急{label}】{body}\n（已阅请回复“收到”）"
    notice_recalled_post: str = "【{label}】已撤回，请以后续通知为准。"
    # to the sender
    notice_confirm: str = (
        "{label} 将发到 {groups} 个群：{names}。回复“确认”发送，回复“取消”作废（{minutes}分钟内有效）。"
    )
    notice_queued: str = "{label} 已排队发往 {groups} 个群{held}，发完后告诉您送达情况。"
    notice_held: str = "（现在是免打扰时段，{at} 起发送；紧急通知请加“紧急”）"
    notice_dropped: str = "{label} 已作废，没有发送。"
    notice_report: str = "{label} 已发送 {sent}/{groups} 个群{failed}。"
    notice_report_failed: str = "，{count} 个群发送失败：{names}"
    notice_view_title: str = "{label}（{at} {author}，范围：{scope}）{body}"
    notice_view_line: str = "· {chat}：{delivery}，收到 {acks}"
    notice_view_total: str = "合计：已发送 {sent}/{groups} 个群，收到 {acks} 人"
    notice_delivery: dict[str, str] = {
        "pending": "待发送",
        "sending": "发送中",
        "sent": "已发送",
        "failed": "发送失败",
        "unknown": "未确认是否发出",
        "cancelled": "已撤回（未发出）",
    }
    notice_recalled: str = "{label} 已撤回。{cancelled}{sent}"
    notice_recall_cancelled: str = "未发出的 {count} 个群已取消发送。"
    notice_recall_sent: str = (
        "已发出的 {count} 个群平台无法撤回（{names}），已在这些群发布撤回说明，如需删除请群主在群内手动撤回。"
    )
    notice_already_recalled: str = "{label} 已经撤回过了。"
    # the digest
    digest_notices: str = "通知 {count} 条："
    digest_notice_line: str = "· {label} {title}：送达 {sent}/{groups} 个群，收到 {acks} 人"
    digest_polls: str = "征求意见 {count} 项："
    digest_poll_closed: str = "· {label} {title}：已截止，{cast} 人投票（{options}）"
    digest_poll_option: str = "{letter}. {name} {votes} 票"
    digest_poll_open: str = "· {label} {title}：进行中（{deadline} 截止），已有 {cast} 人投票"
    digest_covenants: str = "楼门公约 {count} 项："
    digest_covenant_closed: str = "· {label} {title}：{verdict}（同意 {yes}、不同意 {no}，共 {cast} 人投票）"
    digest_covenant_adopted: str = "已通过"
    digest_covenant_rejected: str = "未通过"
    # errors (Chinese, in chat)
    err_notice_role: str = "只有社区书记和网格员可以发通知（网格员限本网格的群）。"
    err_notice_usage: str = (
        "格式：/通知 范围 正文，例如：/通知 第十网格 明天9点至12点停水，请提前储水。"
        "范围可以是网格、社区、“全部”或群名，多个用“、”隔开；加“紧急”可在免打扰时段发送；"
        "先把图片发给我、再在范围后写“附图”，图片随通知发出。"
    )
    err_scope_unknown: str = "没有找到范围“{name}”：请写网格名、社区名、“全部”或群名（多个用“、”隔开）。"
    err_scope_not_yours: str = "“{name}”不在您负责的范围内：网格员只能发到本网格的群。"
    err_scope_empty: str = "范围“{scope}”里没有可以发送的群。"
    err_no_item: str = "没有找到{label}。"
    err_item_not_yours: str = "{label} 不在您负责的范围内。"
    err_nothing_to_confirm: str = "没有等待确认的通知。"
    err_scope_none_chosen: str = "请至少选择一个网格或群。"
    err_picture_size: str = "图片太大了：请不超过 {kb} KB。"
    err_picture_gone: str = "预览时上传的图片已失效，请重新选择图片。"
    err_picture_type: str = "只能附 JPG、PNG 或 GIF 图片。"
    err_notice_no_picture: str = (
        "没有找到您 {minutes} 分钟内发给我的图片：请先把图片发给我，再发 /通知 范围 附图 正文。"
    )
    err_notice_empty: str = "通知正文不能为空。"
    err_notice_too_long: str = "通知正文太长了：请控制在 {limit} 字以内。"

    # sign-ups (接龙)
    signup_post: str = "【{label}】{title}\n{terms}\n回复“+1”或“报名”参加{fields}，回复“取消”退出。"
    signup_terms: str = "截止：{deadline}{capacity}"
    signup_capacity: str = "｜限 {capacity} 人"
    signup_fields: str = "，并写上{fields}"
    signup_list: str = "【{label}】{title}（已报 {count}{capacity}）\n{lines}"
    signup_list_capacity: str = "/{capacity} 人"
    signup_list_empty: str = "（还没有人报名）"
    signup_closed_post: str = "【{label}】{title} 已截止，共 {count} 人报名。谢谢大家！"
    signup_final: str = "{label}「{title}」已截止（{why}），共 {count} 人：\n{lines}"
    signup_why_deadline: str = "到截止时间"
    signup_why_full: str = "已报满"
    signup_queued: str = "{label} 已发往 {groups} 个群{held}，截止 {deadline}。截止后把完整名单私聊发给您。"
    err_signup_usage: str = (
        "格式：/接龙 [范围] 标题 [截止 12-05 18:00] [上限 30] [字段: 姓名,楼栋,电话]。"
        "在群里发不写范围即本群，私聊发不写范围即您负责的所有群。"
    )
    err_signup_role: str = "只有社区书记和网格员可以发起接龙（网格员限本网格的群）。"
    err_signup_deadline: str = "截止时间“{given}”看不懂或已经过去，请写成例如：截止 12-05 18:00、截止 明天18点。"

    # polls (征求意见)
    poll_label: str = "议题{number}"
    poll_post: str = "【{label}】征求意见：{title}\n{options}\n截止：{deadline}\n回复选项（如“A”）投票，可附意见（如“A 希望加装座椅”）；截止前可以改。"
    poll_option: str = "{letter}. {name}"
    poll_default_options: list[str] = ["同意", "不同意"]
    poll_tally: str = "【{label}】{title} {when}：\n{lines}\n共 {count} 人投票。"
    poll_tally_line: str = "{letter}. {name}：{votes} 票（{share}）"
    poll_when_final: str = "投票结果"
    poll_when_now: str = "目前投票情况"
    poll_comments: str = "意见（按选项）：\n{lines}"
    poll_comment_line: str = "{letter}. {who}：{comment}"
    poll_queued: str = (
        "{label} 已发往 {groups} 个群{held}，截止 {deadline}，到时公布结果（/结果 {number} 可随时查看）。"
    )
    err_poll_role: str = "只有社区书记和网格员可以发起征求意见（网格员限本网格的群）。"
    err_poll_usage: str = (
        "格式：/征求意见 [范围] 议题 [选项 方案一/方案二] [截止 12-05 18:00]。"
        "不写选项即“同意/不同意”；在群里发不写范围即本群，私聊发即您负责的所有群。"
    )
    err_poll_options: str = "选项最多 {most} 个，用“/”隔开，例如：选项 方案一/方案二/方案三。"
    err_result_usage: str = "格式：/结果 3（议题编号）"

    # covenants (楼门公约): a poll on a covenant's text; adopted, it is the covenant of its groups
    covenant_label: str = "公约议题{number}"
    covenant_post: str = (
        "【{label}】楼门公约征求意见：\n{body}\n{options}\n截止：{deadline}\n"
        "同意票达到投票人数的三分之二、且至少 {least} 人投票即通过，作为本群楼门公约（群里发 /公约 可查看）。"
        "回复“A”或“同意”投票，可附意见；截止前可以改。"
    )
    covenant_queued: str = (
        "{label} 已发往 {groups} 个群{held}，截止 {deadline}，到时公布结果（/结果 公约{number} 可随时查看）。"
    )
    covenant_adopted: str = "\n已通过，即日起为楼门公约（群里发 /公约 查看）。"
    covenant_rejected: str = "\n未通过：{why}。"
    covenant_why_share: str = "同意票不足三分之二"
    covenant_why_quorum: str = "投票不足 {least} 人"
    covenant_show: str = (
        "【{topic} 楼门公约】\n{body}\n（{date} 通过，同意 {yes} 票、不同意 {no} 票，共 {cast} 人投票{history}）"
    )
    covenant_history: str = "；此前的 {count} 个版本已存档"
    covenant_none: str = "本群还没有楼门公约。"
    covenant_private: str = "请在群里发送 /公约，查看该群的楼门公约。"
    err_covenant_usage: str = (
        "格式：/征求意见 公约 [范围] 公约正文 [截止 12-05 18:00]。选项固定为“同意/不同意”；"
        "同意票达到投票人数的三分之二、且至少 {least} 人投票即通过。"
    )
