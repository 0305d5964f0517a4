from handlers.domain.privacy import mask
from nlp.similarity import similarity


def test_mask_phone_and_id() -> None:
    text = "我电话13812345678，身份证420106199001011234，座机027-87654321"
    masked = mask(text)
    assert "13812345678" not in masked
    assert "138****5678" in masked
    assert "420106********1234" in masked
    assert "027-****4321" in masked


def test_mask_leaves_ticket_numbers_and_dates() -> None:
    assert mask("#1024 已办结，2026年11月23日") == "#1024 已办结，2026年11月23日"


def test_similarity_same_matter_and_different_matter() -> None:
    first = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
    assert similarity(first, "楼下的狗晚上一直叫唤,吵得没法休息") >= 0.3
    assert similarity(first, "3栋电梯又坏了") < 0.2
    assert similarity("", "anything") == 0.0
