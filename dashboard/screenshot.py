"""Take the README's screenshot: the Train tab after a real `demo` run, in headless Chromium.

    python -m dashboard.screenshot [--out assets/screenshot.png] [--steps N]

Uses Debian's Chromium (/usr/bin/chromium) through Playwright and a throwaway runs folder.
The PNG is kept under 300 KB for the README.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1440, "height": 1180}
MAX_BYTES = 290_000


def shrink_png(path: Path) -> None:
    """Keep the PNG under MAX_BYTES: lossless recompression first, a 256-colour palette only if
    that is not enough (a palette flattens the theme's faint panel borders)."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
    rgb.save(path, optimize=True)
    if path.stat().st_size > MAX_BYTES:
        rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            path, optimize=True)


def capture(url: str, out: Path, steps: int | None) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(60_000)
            page.goto(url)
            progress = page.locator("#train-progress")
            expect(progress).to_contain_text("No run yet", timeout=30_000)
            if steps is not None:
                page.locator("#setting-ppo-steps input").fill(str(steps))
            page.locator("#start-btn").click()
            expect(progress.locator("[data-state=finished]")).to_be_visible(timeout=600_000)
            page.wait_for_timeout(2500)  # the last refresh redraws the charts
            page.evaluate("window.scrollTo(0, 0)")  # clicking Start may have scrolled it into view
            page.wait_for_timeout(300)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dashboard.screenshot", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("assets/screenshot.png"))
    ap.add_argument("--steps", type=int, default=None, help="PPO steps (default: the preset's)")
    args = ap.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"error: no Chromium at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from dashboard.ui import serve_locally
    from engine.config import OFFLINE_PRESET

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="detox-screenshot-") as runs_dir, \
            serve_locally(runs_dir, preset=OFFLINE_PRESET) as (_, url):
        capture(url, args.out, args.steps)
    shrink_png(args.out)
    print(f"saved {args.out} ({args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
