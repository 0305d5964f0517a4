"""The emergency detector: danger to people now (nlp/data/LABELLING.md, "Urgency"), tuned for recall.

Separate from the category rules on purpose: a message that reads like danger must never be left without the
advice and the alarm, whatever the rest of the classifier makes of it. It reads the normalised text (simplified,
lower-case), so traditional characters are already folded; dialect, pinyin-typo and English wordings are in
the patterns themselves. Each kind of danger is a pair of word groups that must meet within one short span
(`煤气` … `味`), or a phrase that is danger on its own (`救命`).

Not emergencies: a standing hazard (e-bikes charged indoors), a past event (上次着火了, yesterday), a
hypothetical (万一着火), advice and drills (消防演练, 发现煤气泄漏请…), and what is said to be over (已经扑灭).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# a span of up to N characters inside one sentence (a question or exclamation mark ends it)
_GAP = r"[^。！？!?\n]{0,%d}"


# `\b` between Latin and Han is no boundary (Han characters are word characters): gas味, 有smoke从 must match
_ASCII_BOUNDARY = r"(?:(?<![a-z0-9])(?=[a-z0-9])|(?<=[a-z0-9])(?![a-z0-9]))"


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace(r"\b", _ASCII_BOUNDARY))


def _near(first: str, second: str, gap: int = 10) -> str:
    return rf"(?:{first}){_GAP % gap}(?:{second})"


_GAS = r"煤气|燃气|天然气|然气|然汽|燃汽|煤汽|液化气|气罐|瓦斯|\bgas\b"
_PERSON = (
    r"老人|老太|老爷|老头|大爷|大妈|阿姨|爷爷|奶奶|婆婆|伯伯|阿伯|大叔|有人|一个人|个人|男的|女的|孩子|小孩|邻居|"
    r"住户|我妈|我爸|老伴"
)
_CHILD = r"个仔|小孩|孩子|小朋友|宝宝|儿童|娃|女儿|儿子|小囡|细路|伢|男孩|女孩|闺女|崽|孙女|孙子|外孙|girl|boy|kid"
_DEMENTIA = r"痴呆|阿尔茨海默|失智|认不得路|不认路|不记得路|记不住路|糊涂"
_GONE = r"没回来|没回家|不见了|走丢|走失|找不到|联系不上|出去.{0,6}(?:小时|半天)"
_HURT = (
    r"起不来|爬不起来|站不起来|流血|出血|流雪|血流|头破|磕破|骨折|断了|昏迷|晕倒|晕过去|晕咗|昏过去|不省人事|"
    r"不动了|没反应|喊不应|叫不应|"
    r"没呼吸|没有呼吸|抽搐|口吐白沫|叫不醒|喊不醒|受伤"
)

# (category to use when the rules name none, pattern)
_DANGER: tuple[tuple[str, str], ...] = (
    # gas: a smell, a leak, hissing — also asked as a question (是不是漏气了?)
    (
        "safety",
        _near(_GAS, r"味|漏|露|泄|嘶|呲|滋滋|臭|冲鼻|呛", 12)
        + r"|\bgas\b[^.!?]{0,20}(?:smell|leak|hiss)|smell\w* (?:of )?gas",
    ),
    ("safety", r"臭鸡蛋味|嘶嘶|嗤嗤|哧哧|呲呲|hiss"),
    ("safety", r"漏气|漏汽|露气|气味好大|一股.{0,3}气味|smells? (?:of|like) gas|gas (?:smell|leak)"),
    # fire, smoke, a burning smell, something smoking
    (
        "safety",
        r"着火|著火|火烛|(?<![油抽吸香])烟.{0,4}(?:浓|冒|往上|窜)|烟.{0,3}这么大|好大的烟|烟好大|大烟|"
        r"有烟(?![头灰蒂味])|着咗火|起火|失火|火灾|烧起来|燒起|着起来|冒[白黑青浓]?烟|"
        r"冒煙|浓烟|黑烟|烟好大|好大烟|烟雾|冒火|火苗|明火|火光|"
        r"焦糊|焦味|糊味|烧焦|焦臭|烧胶|烧塑料|着活|火警|救火|全是烟|都是烟|满屋.{0,2}烟|一屋子烟|(?:楼|屋|房子|家|车)着了|"
        r"(?:^|[,\s])火[!！]|"
        r"\bon fire\b|"
        r"\bfire\b(?!s? (?:exit|lane|door|escape|drill|extinguisher|alarm|safety|hydrant|engine|hazard|risk"
        r"|truck|station|code|inspection))|"
        r"\bsmoke\b(?! (?:alarm|detector|free))|burning smell|smell(?:s|ing)? (?:of )?(?:burning|smoke)|flames|"
        r"(?:socket|outlet|wire|wires|cable|meter|box|panel|charger|battery|bike|scooter|car) (?:is |are )?smoking",
    ),
    ("safety", r"爆炸|爆燃|炸了|一氧化碳|中毒|explosion|exploded|carbon monoxide"),
    # live wires, sparks, electric shock
    ("safety", r"漏电|触电|电到人|电死|火花|打火|冒火花|spark(?:s|ing)?\b|electrocut|electric shock|live wire"),
    (
        "safety",
        _near(
            r"电线|电缆|高压线|wire|cable",
            r"掉|断|落地|地上|路上|水里|泡|跌咗|hanging down|down onto|on the (?:ground|road|path)",
            10,
        ),
    ),
    # trapped: in a lift (the lift is the matter: repairs), behind a door
    (
        "repairs",
        r"困人|困咗|被困|困住|困在|关在电梯|卡在电梯|关倒人|关到人|关住人|困倒人|"
        r"电梯.{0,8}(?:关人|夹住|夹着|停在两层|停在.{1,6}中间|卡在.{1,8}中间|关了|关着|关起|关住|困|卡住了人|卡人|里面有人|里边有人|里头有人)|"
        r"关在里面|出不来了|trapped|stuck in (?:the |a )?(?:lift|elevator)|(?:lift|elevator) (?:is )?stuck with",
    ),
    # a person fallen, injured, collapsed, unresponsive
    ("other", _near(_PERSON, r"摔倒|跌倒|摔了|跌咗|摔咗|栽倒|绊倒|倒在|倒地|躺在地上|晕|昏|遭摔|" + _HURT, 14)),
    ("other", _near(r"摔倒|跌倒|摔了一跤|摔了|跌咗|倒地|倒在地上|躺在地上", _HURT, 14)),
    (
        "other",
        r"晕倒|昏倒|晕过去|昏迷|不省人事|没有?呼吸|口吐白沫|快叫120|打120|叫救护车|叫个救护车|叫120|打个120|"
        r"(?<!鼻)流血|(?<!鼻)出血|都是血|满头是血|头.{0,3}血|说不出话|抬不起来|喘不上气|喘不过气|呼吸困难|"
        r"突然倒下|倒下了|叫不醒|"
        r"不吱声|没意识|瘫倒|中风|摔地上|摔在地上|stroke|can'?t breathe|chest pain|"
        # a stroke as people describe it
        r"半边身子?(?:动不了|没知觉|不能动|发麻)|半身不遂|突然.{0,4}(?:说话不清|口齿不清|嘴歪)|嘴歪眼斜",
    ),
    (
        "other",
        r"collapsed|fainted|unconscious|not breathing|bleeding|(?:has |have |just )?fallen (?:down|over|and)|"
        r"fell (?:down|over)|"
        r"can'?t get up|heart attack|call (?:an )?ambulance|badly (?:hurt|injured)|is injured|seriously injured",
    ),
    # not seen for days, no answer at the door
    (
        "other",
        _near(
            # not 好久: 好久没见 is a greeting
            r"好几天|几天|多天|[两三四五六七八九十]{1,3}天|\d+天|一周|一个星期|一个礼拜|几日",
            r"没见|没看到|没看见|没出门|没出来|没动静|不开门|没开门|没人应|没应|联系不上|打不通|唔见|冇见|冇看|"
            r"没露面|没拿",
            12,
        ),
    ),
    (
        "other",
        _near(
            r"敲门|敲了门|拍门|叫门",
            r"没人应|没应|不应|没反应|没回应|不开|没人开|冇.{0,2}人应|没动静|没\s?response",
            8,
        ),
    ),
    ("other", r"报纸.{0,8}没拿|门缝.{0,6}(?:味|臭)"),
    (
        "other",
        r"(?:hasn'?t|haven'?t|has not|have not) (?:been )?(?:seen|answered|opened|come out|heard).{0,50}(?:days|week)|"
        r"newspapers? .{0,20}pil|"
        r"no answer (?:at|from) (?:the |her |his )?door|not answering (?:the |her |his )?door|"
        r"hasn'?t answered the door",
    ),
    # a child in danger now (a fall: safety), a person missing now (public_order)
    (
        "safety",
        _near(
            _CHILD,
            r"窗台|窗户上|窗边|爬窗|爬到窗|阳台边|阳台外|护栏外|栏杆外|站在窗|趴在窗|悬空|爬出|窗外|窗户外|外机上|"
            r"外机架|楼顶边|天台边|栏杆上|阳台栏杆|爬到阳台|railing",
            16,
        ),
    ),
    (
        "public_order",
        _near(
            _CHILD + r"|老人|老太|老爷子|老伴|我妈|我爸",
            r"不见了|唔见|找不到了|找不着|寻勿着|走丢|失踪|走失|冇咗|搵唔到|没回家|联系不上|抱走",
            30,
        ),
    ),
    # an elderly person with dementia out and not back: missing now, whoever writes it
    (
        "public_order",
        _near(_DEMENTIA, _GONE, 40) + "|" + _near(_GONE, _DEMENTIA, 40),
    ),
    (
        "public_order",
        r"(?:"
        + _CHILD
        + r").{0,30}(?:走丢|走失|失踪|不见)|(?:走丢|走失|失踪)(?:了|的)|(?:"
        + _CHILD
        + r").{0,20}(?:到现在|一直|还)没回(?:来|家)|(?:孩子|小孩|娃|女儿|儿子|宝宝)丢了",
    ),
    ("safety", r"(?:child|kid|toddler|boy|girl|baby)[^.!?]{0,30}(?:window|ledge|balcony|railing)"),
    (
        "public_order",
        r"(?:child|kid|son|daughter|boy|girl|mother|father|grandma|grandpa)[^.!?]{0,20}"
        r"(?:is missing|missing|can'?t be found|disappeared)|"
        r"can'?t find (?:my|our) (?:son|daughter|child|kid|boy|girl|mum|mom|dad|grandma|grandpa)",
    ),
    # a person threatening to jump
    (
        "safety",
        r"跳楼|要跳(?!出|舞|绳|起来|过去|高|远)|想跳(?!舞|绳)|跳下去|轻生|自杀|寻短见|不想活|活着没意思|活不下去|天台边上|楼顶边上|"
        r"jump(?:ing)? off|going to jump|wants? to jump|threaten\w* to jump|suicid|(?:edge|ledge) of the roof",
    ),
    # violence in progress
    (
        "public_order",
        r"打人|打起来|打起來|打架|打斗|打鬥|斗殴|砍人|拿刀|持刀|拿着刀|菜刀|动刀|捅人|家暴|打老婆|打媳妇|打孩子|打小孩|"
        r"救命|呼救|喊救命|哭喊|惨叫|尖叫|砸东西|砸了一地|砸车|铁棍|拿着棍|抡棍子|拿棍子(?:打|追|砸)|追着人打|追着.{0,4}打|拉扯|干起来|"
        r"干仗|撕打|厮打|打得很凶|正在撬|在撬门|撬我家|快报警|报警啊|报井|掐起来|抄家伙|"
        r"\bhelp!|screaming for help|being (?:beaten|attacked|hit)\b|"
        r"\bfight(?:ing)?\b|beating|\bknife\b|stabb|attack(?:ing|ed)|"
        r"break(?:ing)? in\b|call the police",
    ),
    # a burst pipe, flooding now
    (
        "repairs",
        r"爆管|管.{0,6}(?:爆|崩了|裂开)|暖气片?.{0,4}爆|水喉爆|全是水|到处都是水|满地都是水|满地水|浸晒水|"
        r"水.{0,6}往外(?:冒|滋|涌)|水管裂|爆裂|水喷|喷水|水漫|漫出来|淹了|"
        r"被淹|淹水|水淹|进水了|进水.{0,4}(?:公分|厘米|cm|深)|灌进(?:屋|家|一楼|楼道|地下室)|往屋里灌|往下灌|水一直往|"
        r"水哗哗|没过脚|淹到|水都流到|水流到.{0,6}(?:客厅|卧室|屋里|家里)|"
        r"burst pipe|pipe (?:has )?burst|flood(?:ing|ed)|water (?:is )?pouring|water everywhere",
    ),
    # more everyday forms of the same dangers (definition in LABELLING.md)
    ("safety", r"烧着了|燃起来|着起火|火着起来|起明火|电动车.{0,4}(?:着了|炸了|自燃)|自燃|煤气中毒|冒火星|电火花"),
    (
        "safety",
        r"(?:smoke|fire|flames) (?:is |are )?(?:coming|pouring|billowing)|caught fire|is burning|gas is leaking",
    ),
    (
        "other",
        r"快不行了|晕了|昏了|抽风|心脏病发|心脏病犯|发病了|摔伤|撞伤|烫伤|溺水|掉水里|掉进.{0,6}(?:井|水|河|池)|不省人事|没了气息",
    ),
    (
        "other",
        r"(?:lying|lies) (?:on the (?:floor|ground)|unconscious)|unresponsive|not responding|passed out|"
        r"(?:fell|fallen) (?:from|off)|hurt (?:badly|himself|herself)|is hurt|got hurt|need(?:s)? an ambulance",
    ),
    (
        "public_order",
        r"被打了|在打人|打人了|抢劫|抢包|砸门|踹门|闯进|入室|有贼|小偷在|要跳(?!出|舞|绳|起来|过去|高|远)|"
        r"站在楼顶|坐在楼顶|爬上天台",
    ),
    # violence at home, told by the person it happens to (domestic violence is danger now: LABELLING.md)
    (
        "public_order",
        _near(
            r"老公|丈夫|男人|前夫|男朋友|对象|老婆|媳妇|我爸|我妈|继父|他|她",
            r"打我|揍我|掐我|踢我|动手|要打死|要杀",
            8,
        )
        + r"|不敢回家|被家暴|挨打|(?:beats|hits|hit|beat|hurts|hurt) me\b|afraid to go home",
    ),
    (
        "public_order",
        r"(?:is |are )?(?:beating|hitting|attacking) (?:a|his|her|someone|the)|"
        r"robbery|being robbed|someone is breaking",
    ),
    ("repairs", r"(?:water|pipe)[^.!?]{0,20}(?:gushing|spraying|bursting|pouring)|ceiling is (?:collapsing|caving)"),
    ("repairs", r"(?:stuck|trapped) in (?:the |a )?(?:lift|elevator)|(?:lift|elevator)[^.!?]{0,20}(?:stuck|trapped)"),
    # something about to fall onto a path now
    (
        "safety",
        r"就要掉|要掉了|要倒了|快倒了|往.{0,8}倒(?!垃圾|水|东西)|马上要掉|要落下来|要落了|随时要落|[就快]?要砸下来|"
        r"快要掉|快掉下来|要掉下来|摇摇欲坠|随时会掉|随时要掉|随时掉|快塌|要塌|塌了|倒塌|坍塌|快跌|要跌落|跌落嚟|"
        r"砸到人|砸伤|砸中|砸到一个|"
        r"hanging (?:loose|by)|about to fall|going to fall|collaps(?:e|ing)\b|"
        r"hit someone|fell on (?:a|someone)|"
        # hanging, bent by the wind: a standing hazard, unless it sways, is about to come down or hangs over a path now
        + _near(
            r"挂在|悬在|悬着|耷拉着|吹歪", r"晃|要掉|要落|随时|摇摇|快掉|下面.{0,4}人|下面是|底下就?是|人行道|砸", 12
        ),
    ),
    # things thrown from height, still being thrown
    (
        "safety",
        _near(r"往下[扔仍丢抛砸]|高空抛物|从楼上[扔仍丢抛]", r"还在[扔仍丢抛往]|正在[扔仍丢抛]|砸在我|砸到人|砸中", 20)
        + "|"
        + _near(r"砸在我|砸到人|砸中", r"还在[扔仍丢抛往]|正在[扔仍丢抛]", 20),
    ),
)

# Said of the past, of what might happen, or as advice: no alarm now. A "now" word overrides.
_NOT_NOW = _compile(
    r"万一|如果|假如|要是|一旦|如发现|若发现|发现.{0,8}(?:请|应|要|立即)|容易|会不会引|可能会|防止|预防|演练|演习|"
    r"培训|讲座|知识|"
    r"宣传|提醒大家|怕(?!是)|真要|真着|真系|估计|过一次|过几次|过两次|有时候|经常|时不时|的事|昨儿|抖音|刷到|看视频|"
    r"申请|办理|补办|证明|社保|医保|补贴|优待证|隐患|"
    r"温馨提示|注意安全|安全常识|上次|以前|之前|去年|上个月|上周|上礼拜|前几天|前天|昨天|昨晚|那天|当时|曾经|"
    r"差点|险些|差啲|琴日|寻日|尋日|上趟|前两天|后来|小时候|新闻|电视(?:上|里|剧|台|新闻)|看电视|电影|纪录片|视频里|小说|游戏|梦见|做梦|在学校|"
    r"\bif\b|in case|what if|\bdrill\b|yesterday|last (?:week|night|month|year|time)|\bago\b|used to|another city|"
    r"read (?:that|about)|\bnews\b|hazard"
)
# what is shown or told, not happening: no "now" word makes a documentary or a drill an emergency
_UNREAL = _compile(
    r"新闻|电视(?:上|里|剧|台|新闻)|看电视|电影|纪录片|恐怖片|动画片|综艺|视频(?:里|上|号)|看视频|刷视频|小说|游戏|梦见|做梦|抖音|刷到|演练|演习|\bnews\b|\bdrill\b|\bmovie\b|\bgame\b"
)
_NOW = _compile(
    r"现在|正在|还在|一直|刚才|刚刚|快来|快点|赶紧|马上|紧急|立即|立刻|打了1[12][09]|叫了救护车|报了警|已经报警|能来个人|"
    r"\bnow\b|right now|still|urgent|help"
)
# said to be over, or a negation of the danger itself
_OVER = _compile(
    r"已经解决|解决了|已经扑灭|扑灭了|火.{0,3}灭了|还好没人|没人受伤|人没事|不严重|一点点|已经救出|救出来了|"
    r"已经送医|送医院了|已经处理|处理好了|没事了|虚惊|误会|已经修好|修好了|"
    r"已经找到|找到了|找着了|寻着了|回来了|\bput out\b|is fine now|all fine|found (?:him|her|them)|false alarm|"
    r"fixed now|all good|was just|不是着火|别慌|幸好|幸亏|好在|就出来了|已经出来了|还好.{0,4}没(?:有)?人|"
    r"原来是|原来在|冇得事|没得事|冇事|现在好了|已经好了|没大碍|"
    # a staff member's all-clear (煤气味已经排查，不是泄漏，请放心)
    r"不是泄[漏露]|已经?排查|请(?:大家)?放心"
)
# a hypothetical or a near miss said right before the danger word (担心会着火, 万一着火, 差点砸到人): no alarm,
# whatever "now" word the next clause has (现在也有人这么干)
_HEDGED = _compile(
    r"(?:万一|担心|担忧|要是|如果|假如|哪天|总觉得|差点|差一点|险些|差啲|以免|防止|会不会)[^,，。！？!?]{0,3}$|"
    r"\b(?:could|might|may|would|if|in case)\s(?:\w+\s){0,2}$"
)
# the past, said in the danger's own clause (昨晚两拨人在门口打架，现在玻璃还碎着): a "now" elsewhere is of the
# aftermath, not of the danger
_PAST = _compile(
    r"上回|上一次|前阵子|前段时间|前些天|前儿|上次|以前|之前|去年|上个月|上周|上礼拜|前几天|前天|昨天|昨晚|昨儿|那天|当时|曾经|前两天|琴日|寻日|尋日|"
    r"yesterday|last (?:week|night|month|year|time)|\bago\b"
)
# sewage overflowing outdoors (化粪池满了，污水从井盖往外冒) is a sanitation matter, not a flood in a home
_SEWAGE = _compile(r"污水|脏水|粪|化粪池|井盖|下水道|公厕|厕所|sewage")
_INDOORS = _compile(r"家里|屋里|进屋|客厅|卧室|室内|房间|厨房|地下室|\bhome\b|\bflat\b|apartment")
_FORMAL = re.compile(r"尊敬的|领导|市长|信箱|有关部门|相关部门")
_NEGATED = re.compile(r"(?:没有|没|不是|不会|不可能|无|未|冇|唔係|\bno|\bnot|n't)\s?\S?$")
_QUESTION_FRAME = re.compile(r"(?:是不是|是否|会不会|有没有|好像|似乎)$")
# the bot's own danger words in harmless phrases
_HARMLESS = _compile(
    r"火锅|火车|火爆|发火|上火|恼火|打不着火|点不着|打着火|猫打架|狗打架|(?:cats|dogs).{0,60}fight|"
    r"[猫狗].{0,8}(?:走丢|丢了|不见)|火灾隐患|防火|吸烟|抽烟|打火机|"
    r"救命稻草|笑死|气死|冒火了我|打架子鼓|打游戏|fire (?:sale|away)|fired|"
    r"嗓子.{0,3}冒烟|喉咙.{0,3}冒烟|热炸|气炸|炸毛|炸锅|炸鸡|油炸|炸串|炸酱|心态炸|热得冒烟|热到冒烟|热到爆炸|热得要爆炸|累得.{0,4}晕|困得.{0,4}晕|烧糊|锅糊|糊锅|煮糊|哈哈|救命.{0,6}(?:剧|好哭|好笑|好看|好吃|可爱)|"
    # 电梯坏了，困了好几天没人修: "stuck" for days is a broken lift, not a person trapped now
    r"困了?(?:好|这么|那么)?(?:几|多|两|三|四|五|十)+(?:天|周|星期|个月)|困了?(?:好久|很久|半个月)"
)
# a number asked for, to keep (请问电梯困人的紧急电话是多少？想先存起来以备不时之需)
_JUST_IN_CASE = _compile(r"以备不时之需|以防万一|先存起来|存起来备用|just in case|save (?:it|the number)")
# said inside a match that spans clauses (广告牌被吹歪了 差点掉下来)
_HEDGE_IN = re.compile(r"差点|差一点|险些|差啲")
_WHO_ANSWERS = re.compile(r"\s?(?:算谁的|谁负责|谁来负责|谁管)")
_CALL = _compile(r"快来人|快来|快点来|赶紧来|救命|快报警|快叫")
# smoke that is cooking fumes or tobacco, and the words that make it a fire all the same
_FUMES = _compile(r"油烟|烧烤|烤串|炒菜|做饭|抽烟|吸烟|二手烟|香烟|烟头|烟民|烧糊|煮糊|糊锅|锅糊|一锅饭")
_FIRE = _compile(r"着火|起火|失火|火苗|明火|火灾|烧起来|着了|火光|fire")
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]")


def _branches(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (outside any group or character class)."""
    out, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def _split(pattern: str) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The Chinese and the English alternatives apart: a message is scanned only for the script it is in, and
    each smaller pattern keeps the regex engine's first-character shortcut."""
    branches = _branches(pattern)
    zh = [b for b in branches if _HAN.search(b)]
    en = [b for b in branches if not _HAN.search(b)]
    return (_compile("|".join(zh)) if zh else None, _compile("|".join(en)) if en else None)


_COMPILED = tuple((cat, *_split(p)) for cat, p in _DANGER)


@dataclass(frozen=True, slots=True)
class Emergency:
    category: str
    phrase: str  # what was read as danger (for `matched` and the report); "" when the model read it


def _cuts(sentence: str) -> list[int]:
    """Where clauses end (normalise() has already joined Han characters a space kept apart)."""
    return [i for i, ch in enumerate(sentence) if ch in ",、"]


def _near_clauses(sentence: str, start: int, end: int) -> str:
    """The clause of the match with the one before and the one after: 上周帮忙，今天……发现她倒在客厅 is today's
    danger, though the thank-you for last week's help is in the same sentence."""
    cuts = _cuts(sentence)
    before = [i for i in cuts if i < start]
    after = [i for i in cuts if i >= end]
    lo = before[-2] + 1 if len(before) >= 2 else 0
    hi = after[1] if len(after) >= 2 else len(sentence)
    return sentence[lo:hi]


def _own_clause(sentence: str, start: int, end: int) -> str:
    """The clause of the match alone (between the cuts around it; a match may hold a cut of its own)."""
    cuts = _cuts(sentence)
    lo = max([i for i in cuts if i < start], default=-1)
    hi = min([i for i in cuts if i >= end], default=len(sentence))
    return sentence[lo + 1 : hi]


def _sentence(text: str, start: int, end: int) -> tuple[str, int]:
    """The sentence around a match, and where it starts in `text`."""
    lo = max(text.rfind(c, 0, start) for c in "。！？!?\n;；")
    hi_candidates = [i for i in (text.find(c, end) for c in "。！？!?\n;；") if i >= 0]
    return text[lo + 1 : min(hi_candidates) if hi_candidates else len(text)], lo + 1


def detect(normalised: str) -> Emergency | None:
    """The first danger read in `normalised` that is now, not negated, not past or hypothetical; else None."""
    return read(normalised)[0]


def read(normalised: str) -> tuple[Emergency | None, bool]:
    """The danger read now (or None), and whether danger words were found but ruled out (negated, past,
    hypothetical, harmless, over): the emergency model must not raise an alarm the patterns have reasons against."""
    han, latin = _HAN.search(normalised) is not None, _LATIN.search(normalised) is not None
    # a letter to officials describes standing problems; a danger in it needs a "now" of its own
    formal = _FORMAL.search(normalised) is not None
    ruled_out = False
    for category, zh, en in _COMPILED:
        for pattern in (zh if han else None, en if latin else None):
            if pattern is None or pattern.search(normalised) is None:
                continue
            found = _first_now(normalised, pattern, formal, category)
            if found is not None:
                return Emergency(category, found), False
            ruled_out = True
    return None, ruled_out


def _first_now(normalised: str, pattern: re.Pattern[str], formal: bool, category: str) -> str | None:
    """The first match of `pattern` that is not negated, past, hypothetical, harmless or said to be over."""
    for m in pattern.finditer(normalised):
        before = normalised[max(0, m.start() - 4) : m.start()]
        if _NEGATED.search(before) and not _QUESTION_FRAME.search(normalised[max(0, m.start() - 6) : m.start()]):
            continue
        if _HEDGED.search(normalised[max(0, m.start() - 16) : m.start()]) or _HEDGE_IN.search(m.group(0)):
            continue
        after = normalised[m.end() : m.end() + 6]
        # 水管爆过一次: the experiential 过 is the past; 摔了算谁的: who answers for it if it happens
        if after.startswith("过") or _WHO_ANSWERS.match(after):
            continue
        # 没得水了，是不是管子爆了: a guess at why the water is off, not water pouring now
        if category == "repairs" and _QUESTION_FRAME.search(normalised[max(0, m.start() - 6) : m.start()]):
            continue
        sentence, offset = _sentence(normalised, m.start(), m.end())
        nearby = _near_clauses(sentence, m.start() - offset, m.end() - offset)
        own = _own_clause(sentence, m.start() - offset, m.end() - offset)
        if _PAST.search(own) and not _NOW.search(own):
            continue
        if re.search("[水漫淹]", m.group(0)) and _SEWAGE.search(nearby) and not _INDOORS.search(nearby):
            continue
        # a "now" two clauses away (上次着火了，现在又有人在楼道充电) is about something else
        now = _NOW.search(nearby) is not None
        if _UNREAL.search(nearby) or _JUST_IN_CASE.search(normalised):
            continue
        if not now and (_HARMLESS.search(sentence) or _NOT_NOW.search(nearby) or formal):
            continue
        # 油烟 / 烧烤 / 二手烟: the smoke is a nuisance of fumes, unless something is on fire
        smoke = any(ch in m.group(0) for ch in "烟焦糊") and "火" not in m.group(0)
        if smoke and _FUMES.search(normalised) and not _FIRE.search(normalised):
            continue
        over = _OVER.search(normalised, m.end())
        # 我现在已经出来了 快来人: the writer is safe, the danger is not over
        if over is not None and not _CALL.search(normalised, over.end()):
            continue
        return m.group(0)
    return None
