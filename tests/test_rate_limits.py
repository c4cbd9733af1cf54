"""Rate limits counted in the archive's database (storage/ratelimits.py), on SQLite and the
real PostgreSQL: a sliding window over this minute and the last, consistent between the
check that lets a request in (`waiting`) and the count that records it (`take`)."""
from __future__ import annotations

import pytest

from storage.archive import ArchiveDatabase
from tests.conftest import postgres_schema

LIMIT = 10
MINUTE = 1_000_000 * 60.0  # a minute's boundary, as time.time() counts


def _signins(db: ArchiveDatabase, start: float) -> list[bool]:
    """Twelve failed sign-ins 0.1 s apart from `start`, as api/pages/signin.py counts them:
    refused or not."""
    refused = []
    for i in range(LIMIT + 2):
        now = start + 0.1 * i
        blocked = db.ratelimits.waiting("signin:10.0.0.1", LIMIT, now) > 0
        if not blocked:
            db.ratelimits.take("signin:10.0.0.1", LIMIT, now)
        refused.append(blocked)
    return refused


@pytest.mark.parametrize("start", [MINUTE + 5, MINUTE - 0.6])  # inside a minute; across one
def test_failures_past_the_limit_are_refused_even_across_a_minute(tmp_path, start):
    # Across a minute the last one's failures count by the share of it still in the window;
    # a fraction left over had let failures through uncounted, none refused in twelve.
    with ArchiveDatabase(f"sqlite:///{tmp_path / 'a.sqlite'}") as db:
        assert _signins(db, start) == [False] * LIMIT + [True, True]


def test_failures_past_the_limit_are_refused_on_postgresql():
    with postgres_schema() as url, ArchiveDatabase(url) as db:
        assert _signins(db, MINUTE - 0.6) == [False] * LIMIT + [True, True]
