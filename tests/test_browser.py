"""tests/browser.py, the headless Chromium harness of the report test, shown able to fail: a clean
page renders clean (DOM after its scripts, full-page PNG at the window's width), while console
errors, uncaught exceptions, network fetches and a hung page are each reported."""

from __future__ import annotations

import os
import struct

import pytest

from browser import BrowserError, chromium_binary, render

# Without Chromium the browser tests are skipped on a workstation but fail in CI (CI set), where
# bin/setup-chromium installs it first.
needs_chromium = pytest.mark.skipif(
    chromium_binary() is None and not os.environ.get("CI"),
    reason="no chromium on the PATH: run bin/setup-chromium as root (or set LAKELOOP_CHROMIUM)",
)


def page(tmp_path, body: str, name: str = "page.html"):
    path = tmp_path / name
    head = '<!doctype html><html><head><meta charset="utf-8"></head>'
    path.write_text(f"{head}<body>{body}</body></html>")
    return path


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@needs_chromium
def test_clean_page_renders_its_scripts_dom_and_whole_height(tmp_path):
    html = page(tmp_path, """
        <h1>Report</h1><div style="height: 2000px">tall</div>
        <script>
          const p = document.createElement("p");
          p.id = "added-by-script";
          p.textContent = "rows: " + [1, 2, 3].length;
          document.body.append(p);
          console.log("rendered");
        </script>""")
    shot = tmp_path / "page.png"
    r = render(html, shot)

    assert r.errors() == []
    assert r.console == [("log", "rendered")]
    assert '<p id="added-by-script">rows: 3</p>' in r.dom
    width, height = png_size(shot)
    # The full page, not the 900 px window: 2000 px of div below the heading.
    assert (width, height) == r.size and width == 1280 and height > 2000


@needs_chromium
def test_narrow_window_and_horizontal_overflow(tmp_path):
    fluid = page(tmp_path, "<p>Text that wraps in a narrow window.</p>" * 20, "fluid.html")
    r = render(fluid, tmp_path / "fluid.png", width=420)
    assert r.errors() == [] and r.size[0] == 420 and png_size(tmp_path / "fluid.png")[0] == 420

    wide = page(tmp_path, '<table style="width: 600px"><tr><td>x</td></tr></table>', "wide.html")
    r = render(wide, tmp_path / "wide.png", width=420)
    # Overflow shows as a page wider than the window, and in the screenshot.
    assert r.size[0] > 420 and png_size(tmp_path / "wide.png")[0] == r.size[0]


@needs_chromium
def test_console_errors_and_uncaught_exceptions_are_reported(tmp_path):
    html = page(tmp_path, """
        <script>console.warn("careful"); console.error("boom", 42);</script>
        <script>throw new Error("kaboom");</script>
        <script>setTimeout(() => null.x, 0);</script>
        <p id="after">the page goes on</p>""")
    r = render(html, tmp_path / "page.png")

    assert ("error", "boom 42") in r.console and ("warning", "careful") in r.console
    assert len(r.exceptions) == 2, r.exceptions
    assert r.exceptions[0].startswith("Error: kaboom")
    assert "TypeError" in r.exceptions[1]
    assert 'id="after"' in r.dom
    assert len(r.errors()) == 3


@needs_chromium
def test_every_non_local_request_and_failed_load_is_reported(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10"/></svg>'
    (tmp_path / "local.svg").write_text(svg)
    html = page(tmp_path, """
        <img src="local.svg">
        <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
        <img src="missing.png">
        <img src="http://127.0.0.1:9/x.png">
        <script src="https://cdn.example.invalid/lib.js"></script>
        <iframe src="https://example.invalid/embed"></iframe>
        <script>fetch("https://api.example.invalid/data.json").catch(() => {});</script>""")
    r = render(html, tmp_path / "page.png")

    failed = dict(r.failed_requests)
    remote = [url for url in failed if not url.startswith("file:")]
    assert sorted(remote) == [
        "http://127.0.0.1:9/x.png",
        "https://api.example.invalid/data.json",
        "https://cdn.example.invalid/lib.js",
        "https://example.invalid/embed",
    ], r.failed_requests
    assert all(failed[url].startswith("not a local URL") for url in remote)
    # Local files are fine unless they are missing.
    missing = (tmp_path / "missing.png").as_uri()
    assert [url for url in failed if url.startswith("file:")] == [missing]
    assert "ERR_FILE_NOT_FOUND" in failed[missing]
    assert r.exceptions == []


@needs_chromium
def test_a_page_that_never_loads_times_out(tmp_path):
    html = page(tmp_path, "<script>while (true) {}</script>")
    with pytest.raises(BrowserError, match="did not answer in time"):
        render(html, tmp_path / "page.png", timeout=4)


def test_missing_chromium_names_setup_chromium(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKELOOP_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(BrowserError, match="bin/setup-chromium"):
        render(page(tmp_path, "<p>x</p>"), tmp_path / "page.png")
