"""First and warm load of a chart page against a running server: bytes on the wire and time to the load event.

Usage: python bench/chart_page_load.py http://127.0.0.1:8190 [path] [username]
Logs in (password demo) in a fresh headless chromium, then opens the page twice in the same browser context:
the first time with an empty cache, the second a normal navigation that may use the cache.
The last line is `key=value ...`.
"""

from __future__ import annotations

import sys
import time

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"


def load(page, cdp, url: str) -> tuple[int, float, dict[str, int]]:
    """Bytes received for the navigation (Chrome's encoded length: headers plus compressed body, 0 from cache)
    per URL, and seconds to the load event."""
    urls: dict[str, str] = {}
    received: dict[str, int] = {}

    def on_response(event) -> None:
        urls[event["requestId"]] = event["response"]["url"]

    def on_finished(event) -> None:
        received[urls.get(event["requestId"], event["requestId"])] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    elapsed = time.perf_counter() - started
    page.wait_for_timeout(200)
    cdp.remove_listener("Network.responseReceived", on_response)
    cdp.remove_listener("Network.loadingFinished", on_finished)
    return sum(received.values()), elapsed, received


def main() -> None:
    base = sys.argv[1].rstrip("/")
    path = sys.argv[2] if len(sys.argv) > 2 else "/dashboards/themes/"
    username = sys.argv[3] if len(sys.argv) > 3 else "lead"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        login_context = browser.new_context()
        login = login_context.new_page()
        login.goto(f"{base}/accounts/login/")
        login.fill("#id_username", username)
        login.fill("#id_password", "demo")
        with login.expect_navigation():
            login.click("button[type=submit]")
        # Signed in elsewhere, so this context's cache is empty when the chart page first loads.
        context = browser.new_context(storage_state=login_context.storage_state())
        login_context.close()
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        first_bytes, first_seconds, first = load(page, cdp, base + path)
        warm_bytes, warm_seconds, warm = load(page, cdp, base + path)
        plotly = next((url for url in first if "plotly" in url), "")
        response = page.request.get(plotly) if plotly else None
        headers = response.headers if response else {}
        for url, size in sorted(first.items()):
            print(f"first {size:>9} {url}")
        for url, size in sorted(warm.items()):
            print(f"warm  {size:>9} {url}")
        print(f"plotly url {plotly}")
        print(f"plotly cache-control {headers.get('cache-control', '')!r}")
        browser.close()
    print(
        f"first_load_bytes={first_bytes} first_load_s={first_seconds:.3f} "
        f"warm_load_bytes={warm_bytes} warm_load_s={warm_seconds:.3f}"
    )


if __name__ == "__main__":
    main()
