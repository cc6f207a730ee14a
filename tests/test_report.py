"""``gradtrack report``, ``calendar publish --html`` and the served page (docs/report.md).

The page's content is checked against ``plan --json`` and ``status --json`` of the same
store and day (one source of truth); the browser tests are in test_report_browser.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import Result

from gradtrack.app import App
from gradtrack.server import etag_for
from report_scenario import HOSTILE, TODAY, build_scenario
from serving import Served, start
from support import TOKEN_URL, dump_database

Run = Callable[..., Result]
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


@pytest.fixture
def scenario(gt: Run) -> Run:
    build_scenario(gt)
    return gt


def report(gt: Run, *args: str, today: str = TODAY) -> bytes:
    return ok(gt("report", *args, today=today)).stdout_bytes


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_class(self, tag: str, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and name in (a.get("class") or "").split()]


def parse(body: bytes) -> Elements:
    found = Elements()
    found.feed(body.decode("utf-8"))
    return found


def json_of(gt: Run, *args: str, today: str = TODAY) -> dict[str, object]:
    import json

    return dict(json.loads(ok(gt(*args, "--json", today=today)).stdout))


# -- the page's content --------------------------------------------------------------------


def test_the_page_draws_the_plan_and_status_documents(scenario: Run) -> None:
    page = parse(report(scenario))
    plan = json_of(scenario, "plan")
    status = json_of(scenario, "status")
    milestones = plan["milestones"]
    assert isinstance(milestones, list) and len(milestones) == 18
    marks = page.with_class("g", "mark")
    assert sorted(str(m["data-milestone"]) for m in marks) == sorted(m["id"] for m in milestones)
    by_id = {m["id"]: m for m in milestones}
    styles = {"missed": "mark-missed", "late": "mark-late", "upcoming": "mark-upcoming"}
    for mark in marks:
        expected = styles[by_id[mark["data-milestone"]]["status"]]
        assert expected in str(mark["class"]).split()
    assert len(page.with_class("g", "deadline")) == len(plan["deadlines"])  # type: ignore[arg-type]
    programs = status["programs"]
    assert isinstance(programs, list)
    rows = page.with_class("g", "row")
    assert sorted(int(str(r["data-program"])) for r in rows) == sorted(p["id"] for p in programs)
    text = "".join(page.text)
    for p in programs:
        assert p["name"] in text
    assert "Planned as of " in text
    assert len(page.with_class("g", "mark-missed")) == 1  # Oxford's transcripts
    assert len(page.with_class("rect", "week")) == 1  # the crowded week of 2026-11-30
    # Countdowns as status prints them: Stanford's deadline is 2026-12-16 02:59 in New York.
    assert "2026-12-15 23:59 America/Los_Angeles" in text
    assert "15 days" in text


def test_hostile_text_is_escaped_and_nothing_is_fetched(scenario: Run) -> None:
    body = report(scenario).decode("utf-8")
    assert "<script" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;" in body
    assert HOSTILE in "".join(parse(body.encode()).text)
    # Self-contained: no attribute loads anything, no style imports anything.
    for tag, attrs in parse(body.encode()).tags:
        assert not {"src", "href", "srcset", "action", "background"} & set(attrs), (tag, attrs)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
    assert (
        "@import" not in body
        and "url(http" not in body
        and "//" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_report_to_a_file_is_atomic_and_only_rewritten_when_it_changes(
    scenario: Run, migrated_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "plan.html"
    before = dump_database(migrated_url)
    result = ok(scenario("report", "-o", str(out), today=TODAY))
    assert (result.stdout, result.stderr) == ("", f"wrote {out}\n")
    assert out.read_bytes() == report(scenario)
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    os.utime(out, (1_000_000, 1_000_000))
    again = ok(scenario("report", "-o", str(out), today=TODAY))
    assert again.stderr == f"unchanged {out}\n"
    assert out.stat().st_mtime == 1_000_000
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert dump_database(migrated_url) == before  # a report changes nothing
    later = ok(scenario("report", "-o", str(out), today="2026-12-02"))
    assert later.stderr == f"wrote {out}\n"
    assert out.read_bytes() == report(scenario, today="2026-12-02")


def test_report_into_a_missing_folder_is_one_error_line(scenario: Run, tmp_path: Path) -> None:
    out = tmp_path / "nowhere" / "plan.html"
    result = scenario("report", "-o", str(out), today=TODAY)
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write page {out}: No such file or directory\n"


def test_an_empty_store_still_has_a_page(gt: Run) -> None:
    page = parse(report(gt))
    assert page.with_class("g", "mark") == []
    text = "".join(page.text)
    assert "No programs yet" in text and "Nothing is due now or late." in text


def test_a_published_page_follows_every_write(scenario: Run, tmp_path: Path) -> None:
    out = tmp_path / "synced" / "plan.html"
    out.parent.mkdir()
    result = ok(scenario("calendar", "publish", "--html", str(out), today=TODAY))
    assert result.stdout == f"Publishing the HTML page to {out}\n"
    assert out.read_bytes() == report(scenario)
    ok(scenario("letter", "mark", "alan", "stanford", "submitted", today=TODAY))
    after = out.read_bytes()
    assert after == report(scenario)
    assert after.count(b'class="letter-submitted"') == 2  # ada for eth, alan for stanford
    ok(scenario("calendar", "unpublish", str(out), today=TODAY))
    ok(scenario("material", "mark", "m1", "final", today=TODAY))
    assert out.read_bytes() == after  # no longer published: left as it was


def test_the_page_is_the_applicants_only(scenario: Run, tmp_path: Path) -> None:
    out = tmp_path / "eth.html"
    result = scenario("calendar", "publish", "--html", str(out), "--program", "eth")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: the HTML page shows the applicant's whole plan, not one program's\n"
    )
    assert not out.exists()


# -- the served page ------------------------------------------------------------------------


@pytest.fixture
def served(
    scenario: Run, migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Served, dict[str, str]]]:
    tokens = {
        name: TOKEN_URL.findall(ok(scenario("calendar", "subscribe", *args)).stdout)[0]
        for name, args in (
            ("mine", ()),
            ("ada", ("--recommender", "ada")),
            ("eth", ("--program", "eth")),
            ("gone", ()),
        )
    }
    ok(scenario("calendar", "revoke", "s4"))
    monkeypatch.setenv("GRADTRACK_TODAY", TODAY)
    server, stop = start(App(db=migrated_url))
    yield server, tokens
    stop()


def test_the_page_is_served_to_an_applicant_token(
    scenario: Run, served: tuple[Served, dict[str, str]]
) -> None:
    server, tokens = served
    reply = server.page(tokens["mine"])
    assert reply.status == 200
    assert reply.body == report(scenario)
    assert reply.headers == {
        "content-type": "text/html; charset=utf-8",
        "content-length": str(len(reply.body)),
        "etag": etag_for(reply.body),
        "cache-control": "private, no-cache",
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "server": "gradtrack",
    }
    head = server.page(tokens["mine"], "HEAD")
    assert (head.status, head.body, head.headers) == (200, b"", reply.headers)
    again = server.page(tokens["mine"], If_None_Match=reply.headers["etag"])
    assert (again.status, again.body) == (304, b"")
    assert again.headers["etag"] == reply.headers["etag"]
    assert again.headers["content-security-policy"] == CSP
    # No Last-Modified: the page changes with the day, so only the ETag revalidates it.
    dated = server.page(tokens["mine"], If_Modified_Since="Fri, 01 Jan 2100 00:00:00 GMT")
    assert dated.status == 200
    # The feed of the same token is still the feed.
    assert server.feed(tokens["mine"]).headers["content-type"] == "text/calendar; charset=utf-8"


def test_the_served_page_is_planned_as_of_the_request(
    scenario: Run, served: tuple[Served, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, tokens = served
    first = server.page(tokens["mine"])
    monkeypatch.setenv("GRADTRACK_TODAY", "2026-12-03")
    later = server.page(tokens["mine"])
    assert later.body == report(scenario, today="2026-12-03") != first.body
    assert server.page(tokens["mine"], If_None_Match=first.headers["etag"]).status == 200
    ok(scenario("letter", "mark", "ada", "stanford", "submitted", today="2026-12-03"))
    changed = server.page(tokens["mine"])
    assert changed.body == report(scenario, today="2026-12-03") != later.body


def test_every_other_page_request_is_the_same_404(served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    nowhere = server.request("/nothing-here")
    assert nowhere.status == 404
    for path in (
        f"/feeds/{'A' * 43}.html",
        f"/feeds/{tokens['ada']}.html",  # a recommender sees no page of the applicant's
        f"/feeds/{tokens['eth']}.html",  # nor does a program feed's holder
        f"/feeds/{tokens['gone']}.html",  # revoked
        f"/feeds/{tokens['mine']}.htm",
        f"/feeds/{tokens['mine']}.html/",
        f"/{tokens['mine']}.html",
    ):
        assert server.request(path) == nowhere, path


def test_a_page_that_cannot_be_written_never_undoes_the_change(
    scenario: Run, tmp_path: Path
) -> None:
    (tmp_path / "blocker").mkdir()
    target = tmp_path / "blocker" / "plan.html"
    problem = f"gradtrack: could not update page {target}: Not a directory\n"
    registered = ok(scenario("calendar", "publish", "--html", str(target), today=TODAY))
    assert (registered.stdout, registered.stderr) == (
        f"Publishing the HTML page to {target}\n",
        "",
    )
    # The folder becomes a file after the path was registered: every write still succeeds.
    target.unlink()
    (tmp_path / "blocker").rmdir()
    (tmp_path / "blocker").write_text("a file, not a folder")
    marked = ok(scenario("letter", "mark", "ada", "stanford", "asked", today=TODAY))
    assert marked.stderr == problem
    assert b"asked" in report(scenario)


def test_the_compiled_template_is_cached_between_runs(migrated_url: str, tmp_path: Path) -> None:
    """docs/report.md: the first page compiles the template into the cache; later pages load
    it from there (the cache file is not written again) and draw the same bytes; a cache that
    cannot be written is no error."""
    import subprocess
    import sys

    def page(data_dir: Path) -> bytes:
        env = {**os.environ, "GRADTRACK_DATA_DIR": str(data_dir), "GRADTRACK_TODAY": TODAY}
        done = subprocess.run(
            [sys.executable, "-m", "gradtrack", "--db", migrated_url, "report"],
            capture_output=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = page(tmp_path / "data")
    (cached,) = (tmp_path / "data" / "cache").glob("gradtrack-*.cache")
    stamp = cached.stat().st_mtime_ns
    assert page(tmp_path / "data") == first
    assert cached.stat().st_mtime_ns == stamp
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "cache").write_text("a file where the cache folder would be")
    assert page(blocked) == first


def test_an_unknown_letter_count_is_a_question_mark_as_in_status(gt: Run) -> None:
    # The catalogue's Toronto entry states 3 letters, CMU's does not say.
    ok(gt("program", "add", "--from-catalog", "cmu-phd-cs", "toronto-phd-cs", today=TODAY))
    ok(gt("recommender", "add", "Ada Lovelace", today=TODAY))
    ok(gt("letter", "request", "ada", "cmu-phd-cs", today=TODAY))
    page = report(gt).decode()
    assert ">None<" not in page
    assert '<td class="num">0/?</td>' in page and '<td class="num">0/3</td>' in page
    assert '<td class="num">?</td>' in page  # the letter grid's required column
