"""Headless Chromium for the tests: renders a self-contained HTML file (the lakeloop report) and
returns what a reader's browser would show and complain about: the DOM after its scripts ran, a
full-page PNG screenshot, console messages, uncaught exceptions and every network request the page
made (a self-contained report makes none but file:, data:, about: and blob: ones).

Chromium is driven over the DevTools protocol (websockets' sync client), one fresh browser and
profile per render(), always killed and removed afterwards. The binary is $LAKELOOP_CHROMIUM or
`chromium` on the PATH (Debian's, installed by bin/setup-chromium).

    page = render(path, tmp_path / "report.png")              # desktop, 1280 px wide
    narrow = render(path, tmp_path / "narrow.png", width=420)  # a phone-sized window
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
# Every http(s)/ws(s) request is blocked at once (Network.setBlockedURLs) instead of waiting on
# DNS or a connection; it is still reported in failed_requests.
BLOCKED = ["http://*:*/*", "https://*:*/*", "ws://*:*/*", "wss://*:*/*"]


class BrowserError(RuntimeError):
    """Chromium is missing, did not start, crashed, or did not answer in time."""


def chromium_binary() -> str | None:
    """$LAKELOOP_CHROMIUM if set, else `chromium` on the PATH, else None."""
    return os.environ.get("LAKELOOP_CHROMIUM") or shutil.which("chromium")


@dataclass
class Rendered:
    dom: str  # document.documentElement.outerHTML after load and scripts
    screenshot: Path  # the PNG written
    size: tuple[int, int]  # the page's scrollable size in CSS px (width > viewport: it overflows)
    console: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    exceptions: list[str] = field(default_factory=list)  # uncaught exceptions, with their stacks
    failed_requests: list[tuple[str, str]] = field(default_factory=list)  # (url, why)

    def errors(self) -> list[str]:
        """Everything a clean page must not have: console errors, exceptions, bad requests."""
        return (
            [f"console.{level}: {text}" for level, text in self.console if level == "error"]
            + [f"exception: {text}" for text in self.exceptions]
            + [f"request: {url} ({why})" for url, why in self.failed_requests]
        )


class _Page:
    """One DevTools connection to the browser with a session attached to one page target."""

    def __init__(self, ws, deadline: float):
        self.ws, self.deadline, self.ids, self.session = ws, deadline, itertools.count(1), None
        self.console, self.exceptions, self.requests, self.failed = [], [], {}, {}
        self.loaded = False

    def call(self, method: str, **params):
        msg_id = next(self.ids)
        msg = {"id": msg_id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            reply = self._receive(self.deadline, method)
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})

    def wait(self, until: float, done=None, what: str = "") -> None:
        """Handles events until done() is true (failing at `until` if not), or without done until
        the time `until`."""
        while not (done() if done else time.monotonic() >= until):
            self._receive(until, what, quiet=done is None)

    def _receive(self, until: float, what: str, quiet: bool = False) -> dict:
        remaining = min(until, self.deadline) - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            msg = json.loads(self.ws.recv(timeout=remaining))
        except TimeoutError:
            if quiet and time.monotonic() < self.deadline:
                return {}
            raise BrowserError(f"chromium did not answer in time ({what or 'settling'})") from None
        if "method" in msg:
            self._event(msg["method"], msg.get("params", {}))
        return msg

    def _event(self, method: str, p: dict) -> None:
        if method == "Page.loadEventFired":
            self.loaded = True
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(
                str(a.get("value", a.get("unserializableValue", a.get("description", ""))))
                for a in p.get("args", [])
            )
            self.console.append((p["type"], text))
        elif method == "Log.entryAdded":  # the browser's own messages, e.g. a failed load
            entry = p["entry"]
            where = f" ({entry['url']})" if entry.get("url") else ""
            self.console.append((entry["level"], entry["text"] + where))
        elif method == "Runtime.exceptionThrown":
            details = p["exceptionDetails"]
            thrown = details.get("exception", {}).get("description")
            self.exceptions.append(thrown or details["text"])
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            self.requests[p["requestId"]] = url
            if not url.startswith(LOCAL_SCHEMES):
                self.failed[url] = "not a local URL"
        elif method == "Network.loadingFailed":
            url = self.requests.get(p["requestId"], "?")
            why = p.get("errorText") or f"blocked ({p.get('blockedReason', '?')})"
            self.failed[url] = f"{self.failed[url]}; {why}" if url in self.failed else why
        elif method in ("Inspector.targetCrashed", "Target.targetCrashed"):
            raise BrowserError("the page crashed")


def _start(binary: str, profile: Path, log, width: int, height: int, deadline: float):
    args = [
        binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--hide-scrollbars", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update", "--mute-audio",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no DNS, whatever setBlockedURLs misses
        "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
        f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank",
    ]
    proc = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
    )
    port_file = profile / "DevToolsActivePort"  # "port\n/devtools/browser/<id>", once listening
    while time.monotonic() < deadline and proc.poll() is None:
        lines = port_file.read_text().split("\n") if port_file.exists() else []
        if len(lines) >= 2 and lines[1].startswith("/devtools/browser/"):
            return proc, f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    return proc, None


def render(
    html_path, screenshot_path, width: int = 1280, height: int = 900, timeout: float = 90,
    settle: float = 0.5,
) -> Rendered:
    """Loads html_path (a file) in a width x height window, waits for the load event, two frames
    and `settle` seconds, then reads the DOM and writes a full-page PNG to screenshot_path.
    Raises BrowserError when Chromium is missing, fails, or takes more than `timeout` seconds."""
    binary = chromium_binary()
    if not binary or not os.access(binary, os.X_OK):
        raise BrowserError(
            f"no Chromium ({binary or 'chromium not on the PATH'}): run bin/setup-chromium as root "
            "to install Debian's chromium, or set LAKELOOP_CHROMIUM to a Chromium binary"
        )
    url = Path(html_path).resolve().as_uri()
    deadline = time.monotonic() + timeout
    tmp = Path(tempfile.mkdtemp(prefix="lakeloop-chromium-"))
    proc = None
    try:
        with open(tmp / "chromium.log", "wb") as log:
            proc, ws_url = _start(binary, tmp / "profile", log, width, height, deadline)
        if ws_url is None:
            tail = (tmp / "chromium.log").read_text(errors="replace").splitlines()[-20:]
            raise BrowserError(f"chromium did not start (exit {proc.poll()}):\n" + "\n".join(tail))
        opening = max(1.0, deadline - time.monotonic())
        with connect(ws_url, max_size=None, open_timeout=opening, close_timeout=2) as ws:
            try:
                return _load(_Page(ws, deadline), url, Path(screenshot_path), width, height, settle)
            finally:
                with contextlib.suppress(Exception):
                    ws.send(json.dumps({"id": 0, "method": "Browser.close"}))
    finally:
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # its session: the renderers and zygotes too
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def _load(page: _Page, url: str, screenshot: Path, width: int, height: int, settle: float):
    target = page.call("Target.createTarget", url="about:blank")["targetId"]
    page.session = page.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        page.call(f"{domain}.enable")
    try:
        patterns = [{"urlPattern": u, "block": True} for u in BLOCKED]
        page.call("Network.setBlockedURLs", urlPatterns=patterns)
    except BrowserError:  # Chromium before urlPatterns (~138): the deprecated wildcard list
        page.call("Network.setBlockedURLs", urls=[u.replace(":*/", "/") for u in BLOCKED])
    page.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
              deviceScaleFactor=1, mobile=False)
    nav = page.call("Page.navigate", url=url)
    if nav.get("errorText"):
        raise BrowserError(f"could not open {url}: {nav['errorText']}")
    page.wait(page.deadline, lambda: page.loaded, "the load event")
    page.call("Runtime.evaluate", awaitPromise=True, expression=(
        "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"))
    page.wait(time.monotonic() + settle)
    dom = page.call("Runtime.evaluate", expression="document.documentElement.outerHTML",
                    returnByValue=True)["result"]["value"]
    content = page.call("Page.getLayoutMetrics")["cssContentSize"]
    size = (math.ceil(content["width"]), math.ceil(content["height"]))
    shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                     clip={"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1})
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    page.wait(time.monotonic() + 0.05)  # events that came in with the screenshot
    return Rendered(dom, screenshot, size, page.console, page.exceptions, list(page.failed.items()))
