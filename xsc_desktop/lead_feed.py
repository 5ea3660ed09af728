"""Lead feeds: a lander's `feed_url` polled page by page, the cursor persisted, new leads imported."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from xsc_desktop import events
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.lead_files import _feed_items, _flatten
from xsc_desktop.lead_import import ImportReport, _check_lander, import_rows
from xsc_desktop.lead_mapping import propose_mapping, remembered_mapping
from xsc_desktop.models import Lander, database, utcnow

log = logging.getLogger(__name__)


# ---- feed pull -----------------------------------------------------------------------------------------------
FEED_TIMEOUT = 30.0
FEED_MAX_BYTES = 50 * 1024 * 1024
FEED_MAX_PAGES = 1000  # per poll, so a feed that never ends cannot hold the scheduler


class FeedError(UserError):
    """A feed answered something that is not a list of leads; nothing was stored from that answer."""


def _fetch_feed_page(session, url: str, cursor: str | None) -> tuple[list[Any], str | None]:
    import requests
    import urllib3

    params = {"cursor": cursor} if cursor else None
    try:
        response = session.get(url, params=params, timeout=FEED_TIMEOUT, stream=True,
                                headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise FeedError(f"The lead feed {url} did not answer ({exc.__class__.__name__}); it is tried again at the "
                        "next poll.") from None
    try:
        # Reading the raw stream bypasses requests' error wrapping: a body cut short or stalled surfaces as
        # urllib3's own errors (IncompleteRead, ProtocolError, ReadTimeoutError) or a bare socket error.
        body = response.raw.read(FEED_MAX_BYTES + 1, decode_content=True)
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        raise FeedError(f"The lead feed {url} stopped in the middle of its answer ({exc.__class__.__name__}); "
                        "nothing from that page was stored and it is tried again at the next poll.") from None
    finally:
        response.close()
    if len(body) > FEED_MAX_BYTES:
        raise FeedError(f"The lead feed {url} sent more than 50 MB in one page; ask for smaller pages.")
    if response.status_code >= 500:
        raise FeedError(f"The lead feed {url} answered HTTP {response.status_code} (a fault on its side); it is "
                        "tried again at the next poll.")
    if response.status_code >= 400:
        raise FeedError(f"The lead feed {url} answered HTTP {response.status_code}; check the feed URL.")
    text = body.decode("utf-8", errors="replace").strip()
    if text[:1] == "<":
        raise FeedError(f"The lead feed {url} answered a web page instead of JSON; check the feed URL.")
    try:
        document = json.loads(text)
    except ValueError:
        raise FeedError(f"The lead feed {url} answered something that is not valid JSON; nothing from it was "
                        "stored and it is tried again at the next poll.") from None
    items = _feed_items(document)
    if items is None:
        raise FeedError(f"The lead feed {url} answered JSON without a list of leads; it must answer [...] or "
                        "{\"leads\": [...], \"next\": cursor}.")
    next_cursor = document.get("next") if isinstance(document, dict) else None
    return items, (None if next_cursor in (None, "") else str(next_cursor))


def _goes_back(old: str | None, new: str) -> bool:
    if old is None:
        return False
    if new == old:
        return True
    try:
        return float(new) < float(old)
    except ValueError:
        return False


def pull_feed(lander_id: int, *, session=None, now: datetime | None = None, max_pages: int = FEED_MAX_PAGES
              ) -> ImportReport:
    """Fetch new leads from the lander's feed, page by page; each page's leads and the next cursor are stored
    in one transaction, so a restart resumes where it stopped (no lead skipped, none stored twice)."""
    import requests

    lander = _check_lander(lander_id)
    if not lander.feed_url:
        raise UserError(f"Lander {lander.id} has no feed URL; set one on the lander first.")
    own = session is None
    session = session or requests.Session()
    report = ImportReport(file=lander.feed_url, lander_id=lander.id, encoding="json")
    cursor = lander.feed_cursor or None
    seen_cursors = {cursor}
    try:
        for _page in range(max_pages):
            items, next_cursor = _fetch_feed_page(session, lander.feed_url, cursor)
            records = []
            for number, item in enumerate(items, report.rows + 1):
                records.append((number, _flatten(item) if isinstance(item, dict)
                                else {"__bad__": "is not an object of field: value"}))
            columns: list[str] = []
            for _n, values in records:
                columns.extend(c for c in values if c not in columns and c != "__bad__")
            mapping = propose_mapping(columns, remembered_mapping(lander.id))
            backwards = next_cursor is not None and (next_cursor in seen_cursors or _goes_back(cursor, next_cursor))
            with database.atomic():
                import_rows(lander.id, iter(records), mapping, report, now=now)
                if next_cursor is not None and not backwards:
                    Lander.update(feed_cursor=next_cursor).where(Lander.id == lander.id).execute()
            if backwards:
                report.error = (f"The lead feed {lander.feed_url} sent the cursor {next_cursor!r}, which goes back "
                                f"from {cursor!r}; the leads were kept, the cursor was not moved back, and the "
                                "feed's owner should check it.")
                break
            if next_cursor is None or not items:
                break
            seen_cursors.add(next_cursor)
            cursor = next_cursor
    except FeedError as exc:
        report.error = str(exc)
    finally:
        if own:
            session.close()
    if report.imported:
        events.publish(Topic.LEAD_IMPORTED, lander_id=lander.id, count=report.imported, file=lander.feed_url)
    return report


def set_feed(lander_id: int, url: str | None, *, actor: str | None = None) -> Lander:
    """Give a lander a lead feed URL (or take it away with None); a new URL starts from the feed's beginning,
    which is harmless: leads already stored are recognised by their external id."""
    from urllib.parse import urlsplit

    from xsc_desktop import activity

    lander = _check_lander(lander_id)
    url = (url or "").strip() or None
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise UserError(f"{url!r} is not a web address; a feed URL starts with https:// (or http://).")
    if url != lander.feed_url:
        Lander.update(feed_url=url, feed_cursor=None, updated_at=utcnow()).where(Lander.id == lander.id).execute()
        activity.record("lander", lander.id, "feed set" if url else "feed removed", note=url or "", actor=actor)
        events.publish(Topic.LANDER_CHANGED, lander_id=lander.id)
    return Lander.get_by_id(lander.id)


def pull_all_feeds(now: datetime | None = None) -> list[ImportReport]:
    """One poll of every lander that has a feed URL (the scheduler's job); failures are reported, not raised."""
    reports = []
    for lander in Lander.select(Lander.id).where(Lander.feed_url.is_null(False) & (Lander.feed_url != "")
                                                 & (Lander.status != "archived")):
        try:
            report = pull_feed(lander.id, now=now)
        except UserError as exc:
            report = ImportReport(file="", lander_id=lander.id, error=str(exc))
        except Exception as exc:  # one broken feed (or a bug it triggers) must not keep the others from polling
            from xsc_desktop.faults import user_error

            known = user_error(exc)  # a locked database, a full disk: its own sentence
            if known is None:
                log.exception("Pulling the feed of lander %s failed unexpectedly", lander.id)
            report = ImportReport(file="", lander_id=lander.id, error=str(known) if known else (
                f"Pulling this lander's feed failed unexpectedly ({exc.__class__.__name__}); "
                "the other feeds were polled and this one is tried again at the next poll."))
        if report.error:
            log.warning("Feed of lander %s: %s", lander.id, report.error)
        reports.append(report)
    return reports



# ---- the scheduler job ---------------------------------------------------------------------------------------
def feeds_job(now: datetime) -> str:
    """The scheduler's "feeds" job: pull every lander's lead feed; one line of what came in."""
    reports = pull_all_feeds(now)
    if not reports:
        return "No lander has a lead feed."
    new = sum(r.imported for r in reports)
    failed = [r for r in reports if r.error]
    text = f"{new} new lead{'s' if new != 1 else ''} from {len(reports)} feed{'s' if len(reports) != 1 else ''}"
    return text + (f"; {len(failed)} feed{'s' if len(failed) != 1 else ''} with a problem." if failed else ".")
