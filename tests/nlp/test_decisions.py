"""What the classifier decides for the kinds of message the issue names: tables of (message, category, urgency)."""

import pytest

from nlp.classifier import Classifier

CASES = [
    # the real quotes
    ("楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。", "noise", "normal"),
    ("这是谁的车,怎么能直接停在路口?", "parking", "normal"),
    ("居住证明需要什么手续?", "permits", "normal"),
    ("办理暂住证是在你们那边吗?大概要多久,需要到派出所吗?", "permits", "normal"),
    # typo, dialect and voice-to-text aliases
    ("楼上燥音太大了，天天晚上都这样", "noise", "normal"),
    ("隔壁装休从早到晚，受不了", "noise", "normal"),
    ("电平车停在单元门口，推都推不动", "parking", "normal"),
    ("楼道里有人冲电，电线从窗户拉下来的", "safety", "normal"),
    ("好嘈啊楼下又在放音乐，邻居都睡不了", "noise", "normal"),
    # the labelling rules
    ("楼道里有人给电动车充电，太危险了", "safety", "normal"),
    ("消防通道被车堵死了，消防车进不来", "safety", "normal"),
    ("电动车乱停在单元门口，进出都不方便", "parking", "normal"),
    ("请问孩子上小学划片是哪所学校，怎么报名", "other", "normal"),
    ("医保卡丢了怎么补办，社区能办吗", "permits", "normal"),  # consultations about documents (#16)
    # urgency, independent of category
    ("电梯困人了！有个老人被关在里面，快来人", "repairs", "urgent"),  # trapped in a lift: repairs (LABELLING.md)
    ("5楼着火了，浓烟很大，快打119", "safety", "urgent"),
    ("楼道里好大的煤气味，谁家漏气了", "safety", "urgent"),
    ("楼下有人打起来了，拿着刀，快报警", "public_order", "urgent"),
    ("上次隔壁小区就着火了，楼道充电的能不能管一下", "safety", "normal"),  # the fire is past: not urgent now
    # not tickets: thanks, solved, negation, ads, announcements, neighbours' questions
    ("谢谢网格员，电梯已经修好了", "none", "normal"),
    ("已经解决了，不用麻烦了", "none", "normal"),
    ("没有噪音了，今晚能睡个好觉", "none", "normal"),
    ("楼下已经不吵了", "none", "normal"),
    ("出售二手冰箱，九成新，价格200，私聊", "none", "normal"),
    ("家政保洁，专业擦玻璃，电话13812345678", "none", "normal"),
    ("【通知】明天上午停水检修，请大家提前储水", "none", "normal"),
    ("有没有人知道附近哪家幼儿园比较好？", "none", "normal"),
    ("推荐个靠谱的开锁师傅？", "none", "normal"),
    ("那个车是我的，我马上挪走，抱歉", "none", "normal"),
    ("大家早上好[太阳][太阳]", "none", "normal"),
    ("出租车位一个，地下二层，月租300，有意私聊", "none", "normal"),
    # …but a question about the repair, or a relapse after "solved", is still a complaint
    ("电梯什么时候能修好啊，都坏了一个星期了", "repairs", "normal"),
    ("说是解决了，结果晚上又开始吵了，楼上还在敲", "noise", "normal"),
    # keywords that contain the negation keep their meaning
    ("楼道灯不亮好几天了", "repairs", "normal"),
    # exclusions: risky matches inside harmless words
    ("这道题的抛物线怎么画", "none", "normal"),
    ("我被老板气坏了", "none", "normal"),
    ("门上的猫眼好像被人堵了", "none", "normal"),
    ("他偷偷吃了我的蛋糕", "none", "normal"),
]


@pytest.mark.parametrize(("text", "category", "urgency"), CASES)
def test_decision(classifier: Classifier, text: str, category: str, urgency: str) -> None:
    verdict = classifier.classify(text)
    registered = verdict.category if verdict.is_ticket else "none"  # a likely verdict's category is a guess
    assert (registered, verdict.urgency) == (category, urgency), verdict.to_json()
    assert verdict.is_ticket == (category != "none")


@pytest.mark.parametrize("text", ["好吵", "臭死了", "坏了", "你好吵啊", "我手机坏了", "他吵着要吃糖"])
def test_single_characters_alone_open_nothing(classifier: Classifier, text: str) -> None:
    verdict = classifier.classify(text)
    assert (verdict.is_ticket, verdict.clarify) == (False, False), verdict.to_json()


@pytest.mark.parametrize(
    ("text", "fired"),
    [
        ("高空抛物砸到车了", "高空抛物"),  # the domain word stays whole for jieba
        ("楼道里臭得很，垃圾没人收", "臭"),  # a single character as its own token
        ("楼上一直在装修，电钻声音太大", "电钻"),
    ],
)
def test_matched_keywords_are_reported(classifier: Classifier, text: str, fired: str) -> None:
    assert fired in classifier.classify(text).matched


def test_classification_json_has_the_fields_handlers_read(classifier: Classifier) -> None:
    out = classifier.classify("楼道灯坏了，麻烦修一下").to_json()
    assert {"category", "is_ticket", "urgency", "clarify", "candidates", "confidence", "matched"} <= set(out)
    assert out["category"] == "repairs"
    assert out["is_ticket"] is True


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("我反映的事怎么样了", True),
        ("请问我上次反映的问题有进展吗", True),
        ("我报修的水管什么时候来修", True),
        ("#12 修了没有", True),
        ("3号工单处理得怎么样了", True),
        ("今天天气怎么样了", False),  # a progress word without a report of theirs
        ("路灯坏了一个星期了，什么时候来修", False),  # a complaint, not a question about one
        ("我反映一下，楼道灯坏了", False),  # a report without a progress question
        ("谢谢大家", False),
    ],
)
def test_a_question_about_ones_own_report_is_recognised(classifier: Classifier, text: str, asks: bool) -> None:
    assert classifier.classify(text).asks_status is asks


def test_a_keyword_that_holds_its_negation_keeps_its_meaning_even_when_the_model_doubts(
    classifier: Classifier,
) -> None:
    # "也没通知" reads like the water-cut notices of the corpus: the model sends it to the worker (likely),
    # but 没水 is still read as no water, not as a negated 水
    verdict = classifier.classify("今天又没水了，也没通知")
    assert verdict.is_ticket or verdict.likely, verdict.to_json()
    assert verdict.category == "repairs"
    assert "没水" in verdict.matched
