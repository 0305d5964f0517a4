"""Property-based tests of the web's query parsers: whatever the query string holds, parsing answers
(a filter or a named error), never raises, and the filter it gives runs on the database without raising."""

from __future__ import annotations

import string
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import web_queries as q
from tests.web.seed import NOW, Seeded
from web import filters, params
from web.views import open311

FUZZ = settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# the characters that broke parsers before: other digits, full-width forms, signs, separators, controls
TRICKY = st.sampled_from(["²", "٣", "１", "０", "#", "＃", "-", "+", ":", "T", "Z", " ", "\t", "\x00", "e", "."])
VALUE = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.one_of(st.sampled_from(string.digits), TRICKY), max_size=30),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.dates().map(date.isoformat),
    st.datetimes().map(lambda d: d.isoformat() + "+08:00"),
    st.text(min_size=90, max_size=130),
)


def _scope(seeded: Seeded) -> q.Scope:
    return q.Scope(community_ids=tuple(c.id for c in seeded.services.settings.all_communities))


@FUZZ
@given(query=st.dictionaries(st.sampled_from([*filters.KEYS, "page", "other"]), VALUE, max_size=6))
def test_the_list_filters_never_raise(seeded: Seeded, query: dict[str, str]) -> None:
    parsed = filters.parse(query, seeded.services.settings)
    assert 1 <= parsed.page <= filters.MAX_PAGE
    assert all(len(v) <= filters.MAX_LENGTH for v in parsed.values.values())
    with seeded.services.store.begin() as uow:
        found, total = q.list_tickets(uow, _scope(seeded), parsed.filter, NOW, offset=0, limit=5)
    assert len(found) <= total
    if not parsed.errors:  # a clean parse kept every value as given
        assert all(parsed.values[k] == query.get(k, "").strip() for k in filters.KEYS)


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["status", "service_code", "start_date", "end_date", "service_request_id"]), VALUE, max_size=5
    )
)
def test_the_open311_parameters_never_raise(seeded: Seeded, query: dict[str, str]) -> None:
    parsed = open311.parse_requests(query, seeded.services.settings, NOW)
    if isinstance(parsed, str):
        assert parsed
        return
    with seeded.services.store.begin() as uow:
        for flt in parsed.filters:
            q.list_tickets(uow, _scope(seeded), flt, NOW, limit=5)
            for moment in (flt.created_from, flt.created_to):
                assert moment is None or params.EARLIEST <= moment <= params.LATEST + timedelta(microseconds=1)


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.one_of(VALUE, st.text()))
def test_ascii_int_reads_only_ascii_decimal(text: str) -> None:
    found = params.ascii_int(text)
    if found is None:
        assert not (text.isascii() and text.isdigit() and len(text) <= params.ID_DIGITS)
    else:
        assert str(found) == text.lstrip("0") or (found == 0 and set(text) == {"0"})


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.one_of(VALUE, st.dates().map(date.isoformat)))
def test_days_are_clamped_so_a_day_more_is_safe(text: str) -> None:
    found = params.day(text)
    if found is not None:
        assert params.FIRST_DAY <= found <= params.LAST_DAY
        assert found.toordinal() + 1 <= date.max.toordinal()
