"""The response cache under stress: racing writers, bad entries, bad files, busy files, keys."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from agentbench.errors import DataError, EnvironmentProblem
from agentbench.models.cache import FORMAT, ResponseCache
from agentbench.models.client import ClientModel
from agentbench.models.factory import make_model
from agentbench.records import ModelResponse, Usage
from agentbench.servers.scripted import Reply, ScriptedServer

from .helpers import ask, complete, config, model_for

pytestmark = pytest.mark.usefixtures("key_env")


def _resp(text: str) -> ModelResponse:
    return ModelResponse(text=text, usage=Usage(input_tokens=3, output_tokens=1), cost_usd=0.5)


def test_racing_writers_of_one_key_all_see_the_first_answer(tmp_path: Path) -> None:
    # separate connections, as separate processes would have, released at once
    caches = [ResponseCache(tmp_path) for _ in range(8)]
    barrier = threading.Barrier(len(caches))
    got: dict[int, ModelResponse | None] = {}

    def write(i: int) -> None:
        barrier.wait()
        got[i] = caches[i].put("k", _resp(f"answer {i}"))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(caches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, w in got.items() if w is None]
    assert len(winners) == 1, "exactly one write lands"
    stored = caches[0].get("k")
    assert stored is not None and stored.text == f"answer {winners[0]}"
    for w in got.values():
        assert w is None or (w.text == stored.text and w.cached)
    assert len(caches[0]) == 1
    for c in caches:
        c.close()


def test_concurrent_unrolls_of_one_key_get_one_answer(tmp_path: Path) -> None:
    replies = [Reply(text="first", delay_s=0.05), Reply(text="second", delay_s=0.2)]
    with ScriptedServer.from_replies(replies) as srv:
        a = model_for("openai", srv, cache=True, cache_dir=str(tmp_path))
        b = model_for("openai", srv, cache=True, cache_dir=str(tmp_path))

        async def both() -> list[ModelResponse]:
            return list(
                await asyncio.gather(
                    a.acomplete(ask(), seed_index=0), b.acomplete(ask(), seed_index=0)
                )
            )

        ra, rb = asyncio.run(both())
        later = complete(
            model_for("openai", srv, cache=True, cache_dir=str(tmp_path)), ask(), seed_index=0
        )
    assert len(srv.calls) == 2  # both missed and both asked
    # the loser answers what the cache holds, as every later run will
    assert ra.text == rb.text == later.text == "first"
    assert sorted([ra.cached, rb.cached]) == [False, True] and later.cached


def test_unreadable_entry_is_a_miss_and_is_replaced(tmp_path: Path) -> None:
    with ScriptedServer.from_replies([Reply(text="fresh")]) as srv:
        model = model_for("openai", srv, cache=True, cache_dir=str(tmp_path))
        assert isinstance(model, ClientModel)
        key = model.cache_key(model.effective(ask()), 0)
        with sqlite3.connect(tmp_path / "responses.sqlite") as db:
            # a truncated blob, and one from a future schema with an unknown field
            db.execute("INSERT INTO responses VALUES (?, ?, 0)", (key, '{"text": "ha'))
            db.execute("INSERT INTO responses VALUES ('other', '{\"surprise\": 1}', 0)")
            db.execute("INSERT INTO responses VALUES ('number', 42, 0)")
        first = complete(model, ask(), seed_index=0)
        again = complete(model, ask(), seed_index=0)
    assert (first.text, first.cached, again.text, again.cached) == ("fresh", False, "fresh", True)
    assert len(srv.calls) == 1
    cache = ResponseCache(tmp_path)
    assert cache.get("other") is None and cache.get("number") is None
    assert len(cache) == 1  # the bad entries are gone, the repaired one stays
    # a put over a bad entry stores the new response
    with sqlite3.connect(cache.path) as db:
        db.execute("INSERT INTO responses VALUES ('bad', '{', 0)")
    assert cache.put("bad", _resp("new")) is None
    assert cache.get("bad") == _resp("new").model_copy(update={"cached": True})
    cache.close()


def test_a_repaired_entry_is_not_deleted_by_a_late_reader_of_the_bad_one(
    tmp_path: Path,
) -> None:
    # Two processes read the same bad entry; one repairs it first. The other's clean-up
    # must not delete the repaired entry, or the key would get a second, different answer.
    a, b = ResponseCache(tmp_path), ResponseCache(tmp_path)
    with sqlite3.connect(a.path) as db:
        db.execute("INSERT INTO responses VALUES ('k', '{', 0)")
    assert a.get("k") is None
    assert a.put("k", _resp("repaired")) is None
    assert b._parse("k", "{") is None  # b read the bad entry before a repaired it
    got = b.put("k", _resp("late"))
    assert got is not None and got.text == "repaired"
    a.close()
    b.close()


def test_truncated_cache_file_is_a_one_line_data_error(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    for i in range(300):
        cache.put(f"k{i}", _resp("x" * 400))
    cache.close()
    path = tmp_path / "responses.sqlite"
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)
    with ScriptedServer.from_replies([Reply(text="ok")]) as srv, pytest.raises(DataError) as info:
        model_for("openai", srv, cache=True, cache_dir=str(tmp_path))
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg and "delete the file" in msg


def test_a_file_in_place_of_the_folder_is_an_environment_problem(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    with pytest.raises(EnvironmentProblem, match="cannot create the response cache folder"):
        ResponseCache(blocker / "models")


def test_a_cache_held_by_another_writer_is_a_clear_error(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, busy_timeout_s=0.05)
    holder = sqlite3.connect(cache.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in a long write transaction
    try:
        with pytest.raises(EnvironmentProblem, match="response cache busy") as info:
            cache.put("k", _resp("x"))
        assert str(cache.path) in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cache.put("k", _resp("x")) is None  # free again: the write lands
    cache.close()


def test_key_covers_what_changes_the_answer_and_only_that(tmp_path: Path) -> None:
    with ScriptedServer.from_replies([Reply(text="ok")]) as srv:

        def key(provider: str = "openai", **kw: object) -> str:
            model = make_model(config(provider, srv, cache=True, cache_dir=str(tmp_path), **kw))
            assert isinstance(model, ClientModel)
            k = model.cache_key(model.effective(ask()), 0)
            model.close()
            return k

        base = key()
        assert base.startswith(f"{FORMAT}:openai:openai:")
        # provider parameters in the config's extra body change the answer
        assert key(extra={"reasoning": {"effort": "high"}}) != base
        assert key(extra={"a": 1, "b": 2}) == key(extra={"b": 2, "a": 1})
        # transport choices do not
        assert key(extra={"stream": True}) == base
        # responses of another wire lack this wire's provider state
        assert key("anthropic").split(":")[2] == "anthropic"


def test_a_database_of_another_shape_is_a_one_line_data_error(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "responses.sqlite") as db:
        db.execute("CREATE TABLE responses (k TEXT, v BLOB)")  # some other tool's file
    with pytest.raises(DataError, match="not a response cache: table responses has") as info:
        ResponseCache(tmp_path)
    assert "\n" not in str(info.value) and "responses.sqlite" in str(info.value)


@pytest.mark.parametrize(
    ("sqlite_message", "kind", "says"),
    [
        ("attempt to write a readonly database", EnvironmentProblem, "not writable"),
        ("unable to open database file", EnvironmentProblem, "not writable"),
        ("database or disk is full", EnvironmentProblem, "disk full"),
        ("database is locked", EnvironmentProblem, "busy"),
        ("file is not a database", DataError, "not a readable response cache"),
    ],
)
def test_sqlite_failures_name_their_cause(
    tmp_path: Path, sqlite_message: str, kind: type[Exception], says: str
) -> None:
    cache = ResponseCache(tmp_path)
    err = cache._problem(sqlite3.OperationalError(sqlite_message), "write")
    cache.close()
    assert type(err) is kind and says in str(err) and str(cache.path) in str(err)
