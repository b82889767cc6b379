"""Browser tests: Playwright for Python driving Debian's Chromium against the live test
server, with the partner simulator answering partner calls.

What every browser test gets:
- `page`: a fresh Chromium page at 1366 px on `live_server`, with the simulator on
  (adapters call `live_server.url/simulator/<slug>`, tasks run in-process). The test fails
  on any console error, uncaught page error or HTTP 5xx the page saw.
- `admin_page` / `view_only_page`: the same, logged in as a superuser / as staff with
  only the view permissions (the `login` fixture's `login(page, user)` for any other user).
- `shot(page, name)`: a full-page screenshot at
  `$BROWSER_ARTIFACTS/<test>/<n>-<name>.png` (default `artifacts/screenshots/`, kept by
  CI, ignored by git).
- `steps`: the user's actions (clicks, fills, selects, uploads, pages opened), counted;
  the count and the list are printed and written beside the screenshots (`steps.txt`).

Why DJANGO_ALLOW_ASYNC_UNSAFE: Playwright's sync API runs an asyncio event loop in a
greenlet of the test's own thread, and that loop stays "running" from
`sync_playwright().start()` to `stop()`. Django's async-unsafe guard sees it and refuses
every ORM call made by the test (and by pytest-django's database setup) with
SynchronousOnlyOperation, though nothing here is async. So the variable is set only while
a browser module's Playwright runs (module-scoped, undone at its end): other tests keep
the guard. The live server's threads have no loop and are not affected.

Without /usr/bin/chromium (or the playwright package) the tests skip, or fail when
REQUIRE_SERVICES=1. Never `playwright install`: the browser is the system's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission, User
from django.test import Client

from tests.conftest import require_service

CHROMIUM = os.environ.get("BROWSER_EXECUTABLE", "/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1366, "height": 900}
TIMEOUT_MS = 10_000


def artifacts_dir() -> Path:
    return Path(os.environ.get("BROWSER_ARTIFACTS") or REPO / "artifacts" / "screenshots")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (a launch costs about a second)."""
    if not os.path.exists(CHROMIUM):
        require_service(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        require_service("the playwright package is not installed (pip install -e '.[dev]')")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see the module docstring
        playwright = sync_playwright().start()
        args = ["--disable-dev-shm-usage"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root (CI)
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            yield chromium
        finally:
            chromium.close()
            playwright.stop()


@pytest.fixture
def simulated_partners(live_simulator):
    """The catalogue loaded, and every partner served by the simulator on the live server:
    requests the live server makes to partners (from a button pressed in the browser) go
    to its own /simulator/ over real HTTP; its tasks run in-process."""
    return live_simulator


class PageProblems:
    """What the browser reported that a user would call a bug."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def watch(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error":
            self.found.append(f"console error: {message.text} ({message.location})")

    def _response(self, response) -> None:
        if response.status >= 500:
            self.found.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@pytest.fixture
def page(browser, simulated_partners, request):
    context = browser.new_context(base_url=simulated_partners.url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    yield page
    context.close()
    if problems.found and not getattr(request.node, "browser_call_failed", False):
        pytest.fail("The browser saw:\n" + "\n".join(problems.found), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call" and report.failed:
        item.browser_call_failed = True  # the test's own failure says more
    return report


@pytest.fixture
def login(simulated_partners):
    """login(page, user): log `user` in on `page` by its session cookie (the login form
    has its own test; the other tests do not pay for it)."""

    def log_in(page, user: User) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": simulated_partners.url}]
        )

    return log_in


@pytest.fixture
def superuser(transactional_db) -> User:
    return User.objects.create_superuser("coordinator", "coordinator@example.org", "pw-123456")


@pytest.fixture
def view_only_user(transactional_db) -> User:
    """Staff who may look at everything and change nothing."""
    user = User.objects.create_user("viewer", "viewer@example.org", "pw-123456", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return User.objects.get(pk=user.pk)  # no cached permissions


@pytest.fixture
def admin_page(page, login, superuser):
    login(page, superuser)
    return page


@pytest.fixture
def view_only_page(page, login, view_only_user):
    login(page, view_only_user)
    return page


def _test_folder(request) -> Path:
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    return artifacts_dir() / name


@pytest.fixture
def shot(request):
    """shot(page, name): a full-page screenshot, numbered in the order taken."""
    folder = _test_folder(request)
    taken = [0]

    def take(page, name: str) -> Path:
        taken[0] += 1
        path = folder / f"{taken[0]:02d}-{re.sub(r'[^\w.-]+', '-', name)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


class Steps:
    """A user's actions in a flow, counted: each click, fill, select, upload, and each
    page opened by its address, so a test can say how many a flow takes."""

    def __init__(self) -> None:
        self.done: list[str] = []

    @property
    def count(self) -> int:
        return len(self.done)

    def _did(self, what: str) -> None:
        # "<Locator frame=... selector='internal:role=button[name="Sync now"i]'>" reads
        # better as its selector alone.
        self.done.append(re.sub(r"<Locator .*?selector='(.*)'>", r"\1", what))

    def goto(self, page, url: str):
        self._did(f"open {url}")
        return page.goto(url)

    def reload(self, page):
        self._did("reload the page")
        return page.reload()

    def click(self, locator, **kwargs) -> None:
        self._did(f"click {locator}")
        locator.click(**kwargs)

    def fill(self, locator, value: str) -> None:
        self._did(f"fill {locator}")
        locator.fill(value)

    def select(self, locator, value) -> None:
        self._did(f"select {value!r} in {locator}")
        locator.select_option(value)

    def check(self, locator) -> None:
        self._did(f"check {locator}")
        locator.check()

    def upload(self, locator, files) -> None:
        self._did(f"upload into {locator}")
        locator.set_input_files(files)

    def report(self) -> str:
        lines = [f"{self.count} steps"] + [f"{n}. {what}" for n, what in enumerate(self.done, 1)]
        return "\n".join(lines)


@pytest.fixture
def steps(request):
    counted = Steps()
    yield counted
    if counted.count:
        folder = _test_folder(request)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "steps.txt").write_text(counted.report() + "\n")
        print(f"\n{request.node.nodeid}: {counted.report()}")
