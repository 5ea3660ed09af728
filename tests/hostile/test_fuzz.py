"""Property-based fuzzing: the posting engine, the lead normalisers and the lead and lander file readers, fed any
values and any bytes, end with a result or one of their documented errors (RenderError, UserError), never another
exception."""

from __future__ import annotations

import math
import os
import random
import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.fields import FIELD_NAMES
from parsers.outcome import Outcome, classify
from parsers.presets import load_presets
from parsers.render import OutgoingRequest, RenderError, render
from parsers.spec import secrets_needed, settings_needed
from parsers.transforms import normalise_phone, normalise_state, parse_date, parse_datetime, parse_yes_no, zip5
from xsc_desktop import leads
from xsc_desktop.errors import UserError
from xsc_desktop.lander_import import looks_like_landers_csv

# deadline=None: a slow shared machine must not turn a passing example into a flaky failure.
# XSC_FUZZ_EXAMPLES=2000 makes a long fuzzing run by hand; the suite keeps to its few minutes.
DEEP = int(os.environ.get("XSC_FUZZ_EXAMPLES", "0"))
# database=None: no example folder in the repository (a failure prints its example to reproduce it).
FAST = settings(max_examples=DEEP or 150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
PER_PRESET = settings(max_examples=DEEP // 10 or 25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
FILES = settings(max_examples=DEEP or 50, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

PRESETS = load_presets()
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"

values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=200), st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
                   st.dates(), st.datetimes())
leads_st = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=len(FIELD_NAMES))


def _settings_for(spec) -> tuple[dict, dict]:
    plain = {name: ("https://client.example/in" if name in ("endpoint", "domain") else "abc123")
             for name in settings_needed(spec)}
    secrets = {name: "s3cr3t-value" for name in secrets_needed(spec)}
    return plain, secrets


@pytest.mark.parametrize("name", sorted(PRESETS))
@PER_PRESET
@given(lead=leads_st, test=st.booleans())
def test_render_any_lead_values_gives_a_request_or_a_render_error(name, lead, test):
    spec = PRESETS[name]
    plain, secrets = _settings_for(spec)
    try:
        request = render(spec, lead, plain, secrets, test=test)
    except RenderError as exc:
        assert str(exc)
        return
    assert isinstance(request, OutgoingRequest)
    assert isinstance(request.body, bytes | str | type(None))


statuses = st.one_of(st.none(), st.integers(min_value=0, max_value=999))
headers = st.dictionaries(st.text(max_size=30), st.text(max_size=80), max_size=6)
bodies = st.one_of(st.binary(max_size=2000), st.text(max_size=500),
                   st.sampled_from([b"", b"<html><body>Error</body></html>", b'{"status": "error"}',
                                    b'{"success": true, "id": 12}', b"\xff\xfe\x00garbage", b"OK", b"Duplicate"]))


@pytest.mark.parametrize("name", [None, *sorted(PRESETS)])
@PER_PRESET
@given(status=statuses, head=headers, body=bodies, elapsed=st.one_of(st.none(), st.floats(0, 1e6)))
def test_classify_any_answer_bytes_gives_an_outcome(name, status, head, body, elapsed):
    outcome = classify(PRESETS.get(name) if name else None, status, head, body, elapsed)
    assert isinstance(outcome, Outcome)
    assert outcome.kind in ("accepted", "duplicate", "rejected", "error")
    assert outcome.retry_after is None or (outcome.retry_after >= 0 and not math.isnan(outcome.retry_after))


@FAST
@given(value=values)
def test_lead_normalisers_take_any_value(value):
    phone = normalise_phone(value)
    assert phone is None or (len(phone) == 10 and phone.isdigit())
    assert normalise_state(value) is None or len(normalise_state(value)) == 2
    assert parse_datetime(value) is None or isinstance(parse_datetime(value), datetime)
    assert parse_date(value) is None or isinstance(parse_date(value), date)
    assert parse_yes_no(value) in (True, False, None)
    assert isinstance(zip5(value), str)


@FAST
@given(row=st.dictionaries(st.text(max_size=20), values, max_size=12))
def test_row_normaliser_takes_any_row(row):
    columns = list(row)
    normaliser = leads.RowNormaliser(leads.propose_mapping(columns), columns)
    lead, custom, problems = normaliser.normalise(row)
    assert isinstance(lead, dict) and isinstance(custom, dict)
    assert all(isinstance(p, str) and p for p in problems)
    lead2, custom2, problems2 = normaliser.normalise([row[c] for c in columns])
    assert isinstance(lead2, dict) and isinstance(problems2, list)


def _read_all(path: Path) -> None:
    """Open a lead file and read every row: a result, or a UserError sentence."""
    try:
        source = leads.open_lead_file(path)
    except UserError as exc:
        assert str(exc).strip()
        return
    normaliser = leads.RowNormaliser(leads.propose_mapping(source.columns), source.columns)
    for _line, values in source.rows:
        if type(values) is dict and "__bad__" in values:
            assert values["__bad__"]
            continue
        normaliser.normalise(values)
    for _line, message in source.errors:
        assert message


SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".xlsx")


@FILES
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_lead_readers_take_random_bytes(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"leads{suffix}"
        path.write_bytes(data)
        _read_all(path)
        # Routing a dropped file reads its head on the GUI thread: an answer, never an exception.
        assert leads.looks_like_lead_file(path) in (True, False)
        assert looks_like_landers_csv(path) in (True, False)


def _samples(kind: str) -> list[Path]:
    folder = SAMPLES / kind
    if not folder.exists():
        pytest.skip("the shared samples folder is not beside the repository")
    return sorted(p for p in folder.iterdir() if not p.name.endswith(".expected.json"))


def _mutate(data: bytes, rnd: random.Random, how: str) -> bytes:
    if how == "truncate":
        return data[: rnd.randrange(len(data) + 1)]
    out = bytearray(data)
    for _ in range(rnd.randint(1, 12)):
        at = rnd.randrange(len(out) or 1)
        if how == "flip" and out:
            out[at] = rnd.randrange(256)
        elif how == "insert":
            out[at:at] = rnd.choice([b"\x00", b'"', b"{", b"[", b"\n", b",", b"\xff\xfe", b"]]]]", b"\r"])
        elif how == "delete" and out:
            del out[at: at + rnd.randint(1, 40)]
    return bytes(out)


@FILES
@given(seed=st.integers(0, 2**32 - 1), how=st.sampled_from(["truncate", "flip", "insert", "delete"]),
       index=st.integers(0, 10))
def test_lead_readers_take_mutated_samples(seed, how, index):
    files = _samples("leads")
    sample = files[index % len(files)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / sample.name
        path.write_bytes(_mutate(sample.read_bytes(), random.Random(seed), how))
        _read_all(path)


@FILES
@given(seed=st.integers(0, 2**32 - 1), how=st.sampled_from(["truncate", "flip", "insert", "delete", "random"]))
def test_lander_reader_takes_mutated_and_random_files(ctx, seed, how):
    from xsc_desktop.lander_import import import_landers

    [sample] = [p for p in _samples("landers") if p.suffix == ".csv"]
    rnd = random.Random(seed)
    data = rnd.randbytes(rnd.randint(0, 2000)) if how == "random" else _mutate(sample.read_bytes(), rnd, how)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "landers.csv"
        path.write_bytes(data)
        try:
            report = import_landers(path)
        except UserError as exc:
            assert str(exc).strip()
            return
    assert report.created >= 0
    assert all(reason for _line, reason in report.problems)
