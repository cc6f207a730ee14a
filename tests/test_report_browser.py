"""The HTML report in a real headless browser (Debian's Chromium through selenium).

Skipped only when Chromium or its driver is not installed (.ci/run installs both).  The page
is opened from a file; the browser's own logs say whether anything was fetched or failed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from report_scenario import HOSTILE, TODAY, build_scenario

Run = Callable[..., Result]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the module, with its console and network logs on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1280,1600")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser: Any, path: Path) -> dict[str, Any]:
    """Load ``path``; the console entries and every URL the browser requested."""
    browser.get_log("browser")  # drop what an earlier page left
    browser.get_log("performance")
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(path.as_uri())
    # get() normally returns after the load event, but on a loaded machine Chromium has been
    # seen to hand control back while a large page was still "loading": wait for it.
    WebDriverWait(browser, 60, poll_frequency=0.1).until(
        lambda b: b.execute_script("return document.readyState") == "complete"
    )
    requested = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    return {"console": browser.get_log("browser"), "requested": requested}


def write_report(gt: Run, path: Path, today: str = TODAY) -> Path:
    result = gt("report", "-o", str(path), today=today)
    assert result.exit_code == 0, result.output
    return path


def open_milestones(gt: Run, today: str = TODAY) -> list[dict[str, Any]]:
    result = gt("plan", "--json", today=today)
    assert result.exit_code == 0, result.output
    return [m for m in json.loads(result.stdout)["milestones"] if m["status"] != "done"]


def timeline_x(browser: Any, day: date) -> float:
    """Where the timeline must draw ``day``, from its axis attributes: mid-column."""
    svg = browser.find_element("css selector", "svg.timeline")
    start = date.fromisoformat(svg.get_attribute("data-start"))
    days = int(svg.get_attribute("data-days"))
    left = float(svg.get_attribute("data-plot-left"))
    right = float(svg.get_attribute("data-plot-right"))
    return left + ((day - start).days + 0.5) * (right - left) / days


def test_the_scenario_page_in_a_browser(gt: Run, browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    build_scenario(gt)
    page = write_report(gt, tmp_path / "report.html")
    seen = open_page(browser, page)
    assert seen["console"] == []
    assert seen["requested"] == [page.as_uri()]  # nothing else: no font, style or script

    # One mark per open milestone of the plan, each titled with its id, date and step.
    milestones = open_milestones(gt)
    marks = browser.find_elements("css selector", "svg.timeline g.mark")
    assert len(marks) == len(milestones) == 18
    tips = {
        m.get_attribute("data-milestone"): m.find_element("css selector", "title").get_attribute(
            "textContent"
        )
        for m in marks
    }
    for m in milestones:
        tip = f"{m['id']} · {m['date']} · {m['title']} · {m['status']}"
        if m["status"] in ("late", "missed"):
            tip += f" (ideal {m['ideal']}, latest {m['latest']})"
        assert tips[m["id"]] == tip
    assert len(browser.find_elements("css selector", "g.mark.mark-late")) == 8
    assert len(browser.find_elements("css selector", "g.mark.mark-missed")) == 1

    # The today line, and a deadline diamond, sit where the axis puts their dates.
    svg = browser.find_element("css selector", "svg.timeline")
    line = browser.find_element("css selector", "line.today-line[data-date]")
    expected = timeline_x(browser, date.fromisoformat(TODAY))
    assert float(line.get_attribute("x1")) == pytest.approx(expected, abs=0.01)
    drawn = browser.execute_script(  # on screen, in the SVG's own units (it scales to fit)
        "const r = arguments[0].getBoundingClientRect(), s = arguments[1].getBoundingClientRect();"
        "return (r.left + r.width / 2 - s.left) * arguments[1].viewBox.baseVal.width / s.width;",
        line,
        svg,
    )
    assert drawn == pytest.approx(expected, abs=1.0)
    stanford = browser.execute_script(
        "const t = [...document.querySelectorAll('g.deadline')].find("
        "  g => g.querySelector('title').textContent.includes('Stanford'));"
        "const b = t.querySelector('polygon').getBBox(); return b.x + b.width / 2;"
    )
    assert stanford == pytest.approx(timeline_x(browser, date(2026, 12, 16)), abs=0.01)

    # The hostile program name is text on the page, and nothing ran.
    assert browser.find_elements("tag name", "script") == []
    cells = browser.find_elements("xpath", "//section[@id='programs']//td")
    assert any(c.text == f"{HOSTILE} — Lab (other)" for c in cells)
    labels = browser.execute_script(
        "return [...document.querySelectorAll('text.row-label')].map(t => t.textContent);"
    )
    assert f"{HOSTILE} …" in labels  # cut to fit the label column
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.title == f"gradtrack: your applications as of {TODAY}"

    browser.save_screenshot(str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_the_printed_page_keeps_the_timeline(gt: Run, browser: Any, tmp_path: Path) -> None:
    build_scenario(gt)
    open_page(browser, write_report(gt, tmp_path / "report.html"))
    pdf = browser.print_page()  # the print stylesheet applies; base64 PDF
    assert len(pdf) > 10_000


def test_an_empty_page_renders(gt: Run, browser: Any, tmp_path: Path) -> None:
    seen = open_page(browser, write_report(gt, tmp_path / "empty.html"))
    assert seen["console"] == []
    assert browser.find_elements("css selector", "g.mark") == []
    assert "No programs yet" in browser.find_element("id", "timeline").text


def _many_programs_csv(n: int) -> str:
    header = (
        "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,"
        "currency,letters,gre,english_test,url,source_url,verified"
    )
    rows = [
        f"University {i:03d},Program {i:03d},phd,CS,fixed,Fall 2027,"
        f"2027-{1 + i % 3:02d}-{1 + i % 28:02d} 23:59,America/New_York,,,,3,optional,,,"
        f"https://example.edu/p{i},2026-11-01"
        for i in range(n)
    ]
    return "\n".join([header, *rows]) + "\n"


def test_a_300_program_page_renders(gt: Run, browser: Any, tmp_path: Path) -> None:
    source = tmp_path / "programs.csv"
    source.write_text(_many_programs_csv(300), encoding="utf-8")
    result = gt("program", "import", str(source), today=TODAY)
    assert result.exit_code == 0, result.output
    page = write_report(gt, tmp_path / "big.html")
    assert page.stat().st_size < 2_000_000
    seen = open_page(browser, page)
    assert seen["console"] == []
    assert len(browser.find_elements("css selector", "svg.timeline g.row")) == 300
    marks = browser.execute_script("return document.querySelectorAll('g.mark').length")
    assert marks == len(open_milestones(gt))
