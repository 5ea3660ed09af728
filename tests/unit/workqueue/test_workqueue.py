"""The work-queue machine, once, with a fake side effect on a real database: claim, journal before the side
effect, settle, retry with back-off, per-host limit, breaker, stop, crash recovery."""

from __future__ import annotations

import contextlib
import random
import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from peewee import CharField, IntegerField, Model

from xsc_desktop import storage, workqueue
from xsc_desktop.models import database


class Item(Model):
    host = CharField()
    state = CharField(default="queued")
    attempts = IntegerField(default=0)

    class Meta:
        database = database
        table_name = "wq_item"


@pytest.fixture
def items(ctx):
    database.create_tables([Item])

    def make(hosts: list[str]) -> list[int]:
        return [Item.create(host=h).id for h in hosts]

    return make


def state_of(item_id: int) -> str:
    return Item.get_by_id(item_id).state


@dataclass
class FakePolicy:
    """Claims queued → sending, 'sends' through `effect`, settles sent / queued again / failed."""

    effect: object
    retry_in: float | None = 0.0
    max_attempts: int = 3
    url: str = ""  # when set, `send` looks at the item through a connection of its own

    def __post_init__(self):
        self.sent: list[tuple[int, str]] = []
        self.done: list[int] = []
        self.lock = threading.Lock()

    def host(self, item_id):
        return Item.get_by_id(item_id).host

    def worker(self):
        return contextlib.nullcontext("resources")

    def prepare(self, item_id):
        return None

    def claim(self, item_id):
        if workqueue.claim(Item, item_id, Item.state, "queued", "sending", attempts=Item.attempts + 1):
            return Item.get_by_id(item_id).attempts
        return None

    def send(self, item_id, attempt, resources):
        seen = None
        if self.url:  # what another process would see right now
            other = storage.make_database(self.url)
            try:
                seen = other.execute_sql(f"SELECT state FROM wq_item WHERE id = {other.param}",
                                         (item_id,)).fetchone()[0]
            finally:
                storage.close_all(other)
                other.close()
        with self.lock:
            self.sent.append((item_id, seen))
        return self.effect(item_id, attempt)

    def settle(self, item_id, attempt, answer):
        if answer == "ok":
            return workqueue.Step(lambda: Item.update(state="sent").where(Item.id == item_id).execute())
        if attempt < self.max_attempts:
            return workqueue.Step(lambda: Item.update(state="queued").where(Item.id == item_id).execute(),
                                  retry_in=self.retry_in)
        return workqueue.Step(lambda: Item.update(state="failed").where(Item.id == item_id).execute())

    def failed(self, item_id, exc):
        return workqueue.Step(lambda: Item.update(state="failed").where(Item.id == item_id).execute())

    def finished(self, item_id):
        with self.lock:
            self.done.append(item_id)


def test_the_claim_is_committed_before_the_side_effect_and_the_answer_settles_it(items, database_url):
    ids = items(["a", "a", "b"])
    policy = FakePolicy(lambda item_id, attempt: "ok", url=database_url)
    workqueue.run(ids, policy, per_host=1)
    assert [state_of(i) for i in ids] == ["sent"] * 3
    assert sorted(policy.sent) == [(i, "sending") for i in ids]  # another connection saw the claim


def test_an_item_is_claimed_once_however_many_claimers(items):
    (item_id,) = items(["a"])
    assert workqueue.claim(Item, item_id, Item.state, "queued", "sending")
    assert not workqueue.claim(Item, item_id, Item.state, "queued", "sending")
    assert state_of(item_id) == "sending"


def test_a_retryable_answer_is_tried_again_in_the_run_until_the_attempts_run_out(items):
    ids = items(["a", "b"])
    answers = {ids[0]: ["busy", "ok"], ids[1]: ["busy", "busy", "busy", "ok"]}
    policy = FakePolicy(lambda item_id, attempt: answers[item_id][attempt - 1])
    workqueue.run(ids, policy, per_host=1)
    assert [state_of(i) for i in ids] == ["sent", "failed"]
    assert Counter(i for i, _ in policy.sent) == {ids[0]: 2, ids[1]: 3}
    assert sorted(policy.done) == ids  # each finished once, not once per attempt


def test_an_unexpected_error_is_recorded_by_the_policy_and_the_run_goes_on(items):
    ids = items(["a", "a"])

    def effect(item_id, attempt):
        if item_id == ids[0]:
            raise RuntimeError("bug")
        return "ok"

    workqueue.run(ids, FakePolicy(effect), per_host=1)
    assert [state_of(i) for i in ids] == ["failed", "sent"]


def test_a_slow_host_gets_more_workers_up_to_its_limit_and_never_more(items):
    ids = items(["slow"] * 6 + ["fast"] * 3)
    cond = threading.Condition()
    in_flight: Counter = Counter()
    most: Counter = Counter()

    def effect(item_id, attempt):
        host = Item.get_by_id(item_id).host
        with cond:
            in_flight[host] += 1
            most[host] = max(most[host], in_flight[host])
            cond.notify_all()
            if host == "slow":  # a slow client: answers once a second request is out (or after a while)
                cond.wait_for(lambda: in_flight["slow"] >= 3 or most["slow"] >= 3, timeout=2)
            in_flight[host] -= 1
        return "ok"

    workqueue.run(ids, FakePolicy(effect), per_host=3, max_workers=8)
    assert [state_of(i) for i in ids] == ["sent"] * 9
    assert most["slow"] == 3


def test_stop_lets_the_item_in_hand_finish_and_leaves_the_rest(items):
    ids = items(["a"] * 4)
    stop = threading.Event()

    def effect(item_id, attempt):
        stop.set()
        return "ok"

    workqueue.run(ids, FakePolicy(effect), per_host=1, stop=stop)
    assert [state_of(i) for i in ids] == ["sent", "queued", "queued", "queued"]


def test_deferred_settlements_ride_with_the_next_claim_and_are_written_when_the_worker_ends(items):
    ids = items(["a"] * 3)
    commits: list[int] = []

    def writer(write):
        commits.append(1)
        return workqueue.transaction_writer(write)

    workqueue.run(ids, FakePolicy(lambda i, a: "ok"), per_host=1, writer=writer, defer_settle=True)
    assert [state_of(i) for i in ids] == ["sent"] * 3
    assert len(commits) == 4  # three claims (the last two carrying an answer) and the last answer


def test_group_commit_shares_transactions_and_isolates_a_failing_write(items):
    ids = items(["a", "a"])
    group = workqueue.GroupCommit()
    assert group(lambda: Item.update(state="sent").where(Item.id == ids[0]).execute()) == 1

    def bad():
        raise ValueError("no")

    with pytest.raises(ValueError):
        group(bad)
    assert state_of(ids[0]) == "sent"


def test_recovery_moves_what_a_dead_process_left_in_flight(items):
    ids = items(["a", "a", "a"])
    Item.update(state="sending").where(Item.id << ids[:2]).execute()
    touched = []
    assert workqueue.recover(Item, Item.state, "sending", "uncertain", also=touched.append) == ids[:2]
    assert [state_of(i) for i in ids] == ["uncertain", "uncertain", "queued"]
    assert touched == [ids[:2]]


def test_backoff_doubles_spreads_and_never_undercuts_retry_after():
    plain = workqueue.Backoff(30, max_attempts=3)
    assert [plain.delay(n) for n in (1, 2, 3)] == [30, 60, 120]
    assert plain.allows(2) and not plain.allows(3)
    assert plain.delay(1, retry_after=7) == 7
    rng = random.Random(4)
    jittered = workqueue.Backoff(30, max_attempts=3, jitter=True)
    spread = [jittered.delay(2, rng=rng) for _ in range(50)]
    assert all(30 <= d <= 60 for d in spread) and len(set(spread)) > 1
    assert all(120 <= jittered.delay(1, retry_after=120, rng=rng) <= 125 for _ in range(50))


def test_the_breaker_trips_once_at_the_threshold_and_a_success_resets_it():
    stored, tripped = {}, []
    breaker = workqueue.Breaker(3, load=lambda key: 1, store=stored.__setitem__,
                                trip=lambda key, count, reason: tripped.append((key, count, reason)))
    breaker.record("x", failed=True, reason="503")
    breaker.record("x", failed=True, reason="503")
    breaker.record("x", failed=True, reason="timeout")
    assert tripped == [("x", 3, "503")] and stored["x"] == 4
    breaker.record("y", failed=False)
    assert stored == {"x": 4, "y": 0}
