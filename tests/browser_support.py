"""Helpers for the browser tests (test_browser*.py): Chromium, axe-core, screenshots, countdown probes."""

from __future__ import annotations

import functools
import os
import re
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from .support import ROOT, Phone, Server

# Debian's chromium-headless-shell is Chromium's own headless build (the same source package and version
# as the chromium people run: Blink, V8, layout, accessibility tree) without the desktop browser around it;
# a page costs it about two thirds of the CPU. It lacks the Screen Wake Lock API, so the tests of the
# phone's wake lock launch Debian's chromium itself.
HEADLESS_SHELL = Path("/usr/bin/chromium-headless-shell")
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync"]
AXE = ROOT / "tests" / "vendor" / "axe-core-4.11.1.min.js"
ARTIFACTS = ROOT / "artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")

# The front end's own selectors (templates/*.html, static/js/screens.js, static/js/console.js).
PHONE_DIGITS = "#view .countdown-digits"
CONSOLE_DIGITS = "#timer-clock .countdown-digits"


def require_browser() -> None:
    """Skip without Chromium or Playwright; in CI (env CI set) fail instead: CI never goes green blind."""
    problem = None
    missing = [str(path) for path in (HEADLESS_SHELL, CHROMIUM) if not path.exists()]
    if missing:
        problem = (f"{' and '.join(missing)} missing: the browser tests need Debian's packages "
                   "chromium-headless-shell and chromium (apt-get install chromium-headless-shell chromium)")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed: pip install -r requirements-dev.txt"
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {problem}", pytrace=False)
    pytest.skip(problem)


def start(server: Server, attempts: int = 3) -> Server:
    """Start a server, again if need be: a loaded machine may answer its first health check after 1 s."""
    for attempt in range(attempts):
        try:
            return server.start()
        except requests.RequestException:
            server.stop()
            if attempt == attempts - 1:
                raise
    return server


@contextmanager
def launched(driver, *args: str, executable: Path = HEADLESS_SHELL):
    """Launch Debian's Chromium with the sandboxed machine's flags (and any more), and close it after."""
    chromium = driver.chromium.launch(executable_path=str(executable), args=[*LAUNCH_ARGS, *args])
    try:
        yield chromium
    finally:
        chromium.close()


class Shared:
    """One Playwright, one Chromium and one server of each kind for all the browser tests of a process.

    Launching Chromium and starting a server each cost about half a second of CPU: each browser
    file did both, and a `spread` file again on every worker it landed on, each time another file ran
    in between. Tests keep their isolation: each opens its own browser context (cookies, storage) and
    its own workshop, and `browser()` closes the contexts a test leaves open. Playwright's sync API
    keeps an asyncio loop in this thread, so conftest calls `close()` before any test that is not a
    browser test (some call asyncio.run); a browser test after that opens them again.
    """

    def __init__(self):
        self.stack: ExitStack | None = None
        self.driver = None
        self.chromium = None
        self.servers: dict[str, Server] = {}

    def playwright(self):
        """Return this process's Playwright, started on first use, its expectations waiting 10 s."""
        if self.driver is None:
            require_browser()
            from playwright.sync_api import expect, sync_playwright

            expect.set_options(timeout=10_000)
            self.stack = ExitStack()
            self.driver = self.stack.enter_context(sync_playwright())
        return self.driver

    @contextmanager
    def browser(self):
        """Lend this process's Chromium; when it comes back, close the contexts opened meanwhile."""
        if self.chromium is None:
            driver = self.playwright()
            self.chromium = self.stack.enter_context(launched(driver))
        chromium = self.chromium
        before = set(chromium.contexts)
        try:
            yield chromium
        finally:
            for context in chromium.contexts:
                if context not in before:
                    context.close()

    def server(self, kind: str, make) -> Server:
        """Return the server of this kind, made by `make()` (not yet started) and started on first use."""
        running = self.servers.get(kind)
        if running is None or running.process.poll() is not None:
            require_browser()
            running = self.servers[kind] = start(make())
        return running

    def close(self) -> None:
        """Stop the servers, Chromium and Playwright (Chromium before the Playwright that drives it)."""
        servers, self.servers = self.servers, {}
        for running in servers.values():
            running.stop()
        stack, self.stack, self.driver, self.chromium = self.stack, None, None, None
        if stack is not None:
            stack.close()


SHARED = Shared()


def expect(locator):
    """Playwright's expect, imported late so that a machine without Playwright still collects the tests."""
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(locator)


# What a screen reader would hear: every text the page's polite live region (#announcer) says, in order.
HEAR = """() => {
  const region = document.getElementById('announcer');
  window.__heard = [];
  new MutationObserver(() => {
    const text = region.textContent.trim();
    if (text) window.__heard.push(text);
  }).observe(region, {childList: true, characterData: true, subtree: true});
}"""
# The focused control as "tag:label" ("button:Add step"), or "body".
FOCUSED = """() => {
  const a = document.activeElement;
  if (!a || a === document.body) return 'body';
  const label = a.getAttribute('aria-label') || (a.labels && a.labels[0] && a.labels[0].textContent)
    || a.textContent || a.id || '';
  return `${a.tagName.toLowerCase()}:${label.replace(/\\s+/g, ' ').trim()}`;
}"""


def focused(page) -> str:
    """Return the focused control as "tag:label", the way a screen reader names it."""
    return page.evaluate(FOCUSED)


def tab_to(page, target: str, limit: int = 25, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `target` ("button:I agree") has focus, as a keyboard user gets there."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = focused(page)
        seen.append(now)
        if now == target:
            return
    raise AssertionError(f"Tab never reached {target!r}: {seen[-15:]}")


# -- accessibility and screenshots ---------------------------------------------------------------------


SCREENSHOTS = os.environ.get("WORKSHOP_SCREENSHOTS", "") not in ("", "0")


def photograph(page, name: str, *, full_page: bool = True) -> None:
    """Save what `page` shows as artifacts/<name>.png, when screenshots are asked for.

    A screenshot asserts nothing: it is there for a person to look at (`make screenshots` runs the
    browser journeys with WORKSHOP_SCREENSHOTS=1). Encoding a tall page's PNG is the dearest thing
    Chromium does in these journeys, so `make test` takes none.
    """
    if SCREENSHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


AXE_HOW = ("axe-core is injected with page.evaluate(source): the pages' CSP (script-src 'self') blocks "
           "page.add_script_tag, while evaluate runs in the page without a CSP exception")


@functools.cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, name: str) -> list[dict]:
    """Run axe-core on what `page` shows and return its violations; fail if it checked nothing."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert result["passes"], f"axe checked nothing on {name}"
    return result["violations"]


def describe(name: str, violation: dict, targets: int = 5) -> str:
    nodes = [node["target"] for node in violation["nodes"]][:targets]
    return f"{name}: {violation['id']} ({violation['impact']}) {violation['help']} -> {nodes}"


def blocking_violations(page, name: str) -> list[str]:
    """The serious or critical axe violations on what `page` shows, each described in a line."""
    return [describe(name, v) for v in axe_violations(page, name) if v["impact"] in BLOCKING]


def assert_accessible(page, name: str) -> None:
    """Fail on a serious or critical axe violation on what `page` shows (photographed when asked)."""
    photograph(page, name)
    blocking = blocking_violations(page, name)
    assert not blocking, "\n".join(blocking)


@dataclass
class Audit:
    """Every screen audited (photographed when asked), and the serious or critical axe violations found."""

    screens: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    how = AXE_HOW

    def check(self, page, screen: str, *, other_size: bool = True) -> None:
        """Audit `page` at its size, then at the other size (phone <-> desktop)."""
        size = page.viewport_size
        small = size["width"] < 800
        self._one(page, f"{screen}-{'phone' if small else 'desktop'}")
        if other_size:
            page.set_viewport_size(DESKTOP if small else PHONE)
            try:
                self._one(page, f"{screen}-{'desktop' if small else 'phone'}")
            finally:
                page.set_viewport_size(size)

    def _one(self, page, name: str) -> None:
        photograph(page, f"browser-{name}")
        self.screens.append(name)
        for violation in axe_violations(page, name):
            line = describe(name, violation)
            print("axe", line)
            if violation["impact"] in BLOCKING:
                self.blocking.append(line)


# -- what the server knows: a fresh facilitator snapshot ---------------------------------------------------


@dataclass
class Snapshot:
    """The room as the server sees it, read with a separate facilitator connection."""

    room: dict
    names: dict[str, str]
    statuses: dict[str, str]
    groups: list[dict]

    @classmethod
    def take(cls, url: str, code: str, key: str) -> Snapshot:
        observer = Phone(url, {"role": "facilitator", "code": code, "key": key}).connect(wait_for="console")
        try:
            console = observer.latest("console")
        finally:
            observer.close()
        people = console["attendees"]
        return cls(room=console["room"], names={a["id"]: a["name"] for a in people},
                   statuses={a["name"]: a["status"] for a in people}, groups=console["groups"])

    def group_of(self, name: str) -> dict:
        """Return {role, partners: [(name, role)], prompt, size} for the attendee called `name`."""
        for group in self.groups:
            members = [(self.names.get(m, "your facilitator"), r)
                       for m, r in zip(group["members"], group["roles"], strict=True)]
            for member, role in members:
                if member == name:
                    return {"role": role, "prompt": group["prompt"], "size": len(members),
                            "partners": [(n, r) for n, r in members if n != name]}
        raise AssertionError(f"{name} is in no group: {self.groups}")

    @property
    def deadline(self) -> int:
        timer = self.room["timer"]
        assert timer and timer["state"] == "running", f"the timer is not running: {timer}"
        return timer["deadline"]


def list_names(names: list[str]) -> str:
    """Join names the way the page does: "Ana", "Ana and Ben", "Ana, Ben and Cleo"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# -- countdowns ----------------------------------------------------------------------------------------------

RECORD_FLIPS = """(selector) => {
  const node = document.querySelector(selector);
  if (!node) return false;
  if (window.__flipNode !== node) {
    window.__flipNode = node;
    let last = node.textContent;
    new MutationObserver(() => {
      const text = node.textContent;
      if (text !== last) { window.__flips.push([Date.now(), last, text]); last = text; }
    }).observe(node, {childList: true, characterData: true, subtree: true});
  }
  window.__flips = [];
  return true;
}"""


def seconds(text: str) -> int:
    """Read a displayed m:ss (or h:mm:ss) as whole seconds."""
    assert re.fullmatch(r"\d+(:\d\d){1,2}", text), f"not a countdown: {text!r}"
    total = 0
    for part in text.split(":"):
        total = total * 60 + int(part)
    return total


def record_flips(page, selector: str) -> None:
    """Start recording, in the page, the moment (Date.now()) each displayed second changes."""
    assert page.evaluate(RECORD_FLIPS, selector), f"no countdown ({selector}) on {page.url}"


def flip_deadline(page, ticks: int = 2, timeout: float = 5000) -> int:
    """Wait for `ticks` one-second steps of the displayed countdown; return the local deadline they imply.

    The page rounds up (formatMs: ceil), so the display changes to s exactly when s seconds are left:
    a change to s at time t says the deadline is t + s*1000 (plus the page's ~10 ms timer wake-up).
    All pages run in one browser on the server's machine, so these times share one clock with the server.
    """
    page.wait_for_function(
        "(n) => window.__flips.filter(([t, a, b]) => /:/.test(a) && /:/.test(b)).length >= n",
        arg=ticks, timeout=timeout)
    flips = page.evaluate("window.__flips")
    estimates = [t + seconds(b) * 1000 for t, a, b in flips
                 if ":" in a and ":" in b and seconds(a) - seconds(b) == 1 and seconds(b) > 0]
    assert estimates, f"no one-second step among {flips}"
    return min(estimates)


def displayed_agrees(page, selector: str, deadline: int) -> tuple[bool, str]:
    """Read the shown countdown and the page's own remaining ms at once; check both against `deadline`."""
    text, now, page_remaining = page.evaluate(
        """async ([selector, deadline]) => {
             const {remainingOf} = await import('/static/js/countdown.js');
             const now = Date.now();
             return [document.querySelector(selector).textContent, now,
                     remainingOf({state: 'running', deadline})];
           }""", [selector, deadline])
    true_remaining = deadline - now
    shown = seconds(text) * 1000
    # The display is ceil(remaining): allow the one-second boundary, and 150 ms for the page's wake-up.
    ok_text = shown - 1000 - 150 <= true_remaining <= shown + 150
    ok_ms = abs(page_remaining - true_remaining) <= 500
    return ok_text and ok_ms, (f"{page.url}: shows {text} with {true_remaining} ms left by the server's "
                               f"clock, the page computes {page_remaining} ms")
