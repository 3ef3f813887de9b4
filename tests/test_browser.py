"""A real browser (Debian's Chromium, driven by Playwright) clicks through the app as a new user
would: start a tiny run, watch the KL chart get points, stop it, compare 4 dialogues.

Set DETOX_SCREENSHOT=path to also save a screenshot of the Train tab with the run's charts.
"""
from __future__ import annotations

import os

import pytest

from dashboard.screenshot import CHROMIUM

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"no Chromium at {CHROMIUM}: install Debian's package "
                              "(apt-get install chromium) to run the browser test"),
]


@pytest.fixture(scope="module")
def app_url(served_app):
    return served_app[1]


@pytest.fixture(scope="module")
def page(browser, app_url):
    tab = browser.new_page(viewport={"width": 1440, "height": 1000})
    tab.set_default_timeout(60_000)
    tab.goto(app_url)
    yield tab
    tab.close()


def kl_points(page) -> int:
    return page.locator("#kl-plot g.points path.point").count()


def test_start_watch_stop_compare(page):
    expect = pytest.importorskip("playwright.sync_api").expect
    progress = page.locator("#train-progress")
    expect(progress).to_contain_text("No run yet", timeout=30_000)

    page.locator("#setting-ppo-steps input").fill("300")
    expect(page.locator("#start-btn")).to_be_enabled()
    page.locator("#start-btn").click()
    expect(page.locator("#train-message")).to_contain_text("Started run")
    page.wait_for_function("document.querySelectorAll('#kl-plot g.points path.point').length >= 2",
                           timeout=120_000)
    expect(progress).to_contain_text("Training")
    shot = os.environ.get("DETOX_SCREENSHOT")
    if shot:
        page.wait_for_function("document.querySelectorAll('#kl-plot g.points path.point').length >= 12",
                               timeout=120_000)
        page.screenshot(path=shot, full_page=True)

    page.locator("#stop-btn").click()
    expect(progress.locator("[data-state=stopped]")).to_be_visible(timeout=60_000)
    assert kl_points(page) >= 2

    page.get_by_role("tab", name="Compare").click()
    expect(page.locator("#compare-checkpoint input")).not_to_have_value("", timeout=30_000)
    page.locator("#compare-btn").click()
    # Gradio 6's table is a grid of role=row divs; data rows carry data-index.
    rows = page.locator("#compare-table [role=row][data-index]")
    expect(rows).to_have_count(4, timeout=120_000)
    # reward_diff, then the judge's toxicity before and after
    cells = [rows.nth(i).locator("[role=gridcell]") for i in range(4)]
    diffs = [float(c.nth(c.count() - 3).inner_text()) for c in cells]
    assert diffs == sorted(diffs, reverse=True)
    expect(page.locator("#compare-table")).to_contain_text("profanity-check after")
    expect(page.locator("#compare-summary")).to_contain_text("4 dialogues")


def test_export_downloads_a_zip_of_the_stopped_run(page, tmp_path):
    """After the run above: the Export tab zips its adapter with the model card."""
    import zipfile

    expect = pytest.importorskip("playwright.sync_api").expect
    page.get_by_role("tab", name="Export").click()
    expect(page.locator("#export-checkpoint input")).not_to_have_value("", timeout=30_000)
    page.locator("#export-download").click()
    button = page.locator("#export-zip")
    expect(button).to_be_visible(timeout=60_000)
    expect(page.locator("#export-message")).to_contain_text("the detox LoRA adapter")
    with page.expect_download() as download:
        button.click()
    path = tmp_path / "export.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        names = {name.split("/", 1)[1] for name in z.namelist()}
    assert {"adapter_model.safetensors", "value_head.safetensors", "README.md", "detox_config.json"} <= names


def test_the_command_box_shows_the_whole_command_and_the_log_opens_at_its_end(served_app, browser):
    """The command box cut the command at two lines, its copy icons over it; the log panel
    opened scrolled to wherever its box had been, not to the newest lines."""
    sync_api = pytest.importorskip("playwright.sync_api")
    demo, url = served_app[0], served_app[1]
    runner = demo.dashboard.runner
    started = runner.start("tiny", {"ppo.steps": 30})  # a log longer than its box
    deadline_s = 120
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.set_default_timeout(60_000)
        page.goto(url)
        page.get_by_text("Show the equivalent command").click()
        code = page.locator("#train-command .cm-scroller")
        sync_api.expect(code).to_contain_text("engine.train")
        fits = code.evaluate("e => [e.scrollHeight <= e.clientHeight + 1, e.scrollWidth <= e.clientWidth + 1]")
        assert fits == [True, True]
        clear = page.evaluate("""() => {
          const buttons = [...document.querySelectorAll('#train-command button')].filter(b => b.offsetParent);
          const lines = [...document.querySelectorAll('#train-command .cm-line')];
          return buttons.length === 1 && lines.every(l => {
            const range = document.createRange(); range.selectNodeContents(l);
            const t = range.getBoundingClientRect(), b = buttons[0].getBoundingClientRect();
            return !(t.left < b.right && b.left < t.right && t.top < b.bottom && b.top < t.bottom);
          });
        }""")
        assert clear
        sync_api.expect(page.locator("#train-progress")).to_contain_text("Finished", timeout=deadline_s * 1000)
        page.get_by_text("Log (train.log)").click()
        box = page.locator(".detox-log textarea")
        sync_api.expect(box).not_to_have_value("")
        page.wait_for_function("(() => { const t = document.querySelector('.detox-log textarea'); "
                               "return t.scrollHeight > t.clientHeight && "
                               "t.scrollTop + t.clientHeight >= t.scrollHeight - 2; })()")
    finally:
        page.close()
        if runner.in_progress():
            runner.stop(started.run_id)


def test_a_grpo_run_started_from_the_browser_draws_its_own_metrics(served_app, browser):
    """Pick GRPO in the Algorithm field: the command says so, the run trains, its KL chart gets
    points under TRL's names and the returns chart says GRPO does not measure them."""
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.set_default_timeout(60_000)
        page.goto(served_app[1])
        expect(page.locator("#train-progress")).not_to_contain_text("Loading", timeout=30_000)
        page.locator("#setting-ppo-algorithm").get_by_role("radio", name="GRPO", exact=True).check()
        page.locator("#setting-ppo-steps input").fill("4")
        page.get_by_text("Show the equivalent command").click()
        expect(page.locator("#train-command .cm-scroller")).to_contain_text("--algorithm grpo --steps 4")
        page.locator("#start-btn").click()
        expect(page.locator("#train-message")).to_contain_text("Started run")
        # the module's earlier runs are in the same folder: this chart says so only of the GRPO
        # run's rows, so after it the page shows that run, not an earlier one that also finished
        expect(page.locator("#returns-plot")).to_contain_text("Not measured by these runs' algorithm",
                                                              timeout=120_000)
        expect(page.locator("#train-progress")).to_contain_text("Finished", timeout=120_000)
        page.wait_for_function("document.querySelectorAll('#kl-plot g.points path.point').length >= 4",
                               timeout=60_000)
    finally:
        page.close()


def test_a_custom_run_is_filled_checked_and_started_from_the_browser(served_app, browser, tmp_path):
    """Switch Custom on, name a BART policy, a classifier with ok/toxic labels and a CSV with
    other column names (all under this app's data folder): each field is checked, the reward
    label is offered from the classifier's labels, Start waits for the checks, the run starts on
    those models and the equivalent command carries them."""
    import json

    from dashboard.allowed_sources import AllowedSources
    from tests.test_custom_run import custom_data, filled

    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    demo, url, _ = served_app
    root = custom_data(tmp_path / "data")
    demo.dashboard.runner.sources = AllowedSources(("*",), None, root)
    values = filled(root)
    page = browser.new_page(viewport={"width": 1440, "height": 1200})
    try:
        page.set_default_timeout(60_000)
        page.goto(url)
        expect(page.locator("#train-progress")).not_to_contain_text("Loading", timeout=30_000)
        page.locator("#custom-toggle input").check()
        for key in ("model.policy", "model.summary_adapter", "model.reward_model", "data.dataset",
                    "data.dialogue_column", "data.summary_column", "run.judges"):
            page.locator(f"#custom-{key.replace('.', '-').replace('_', '-')} input, "
                         f"#custom-{key.replace('.', '-').replace('_', '-')} textarea").first.fill(values[key])
        # the reward model's labels are offered; the default rule (nothate) fails until one is picked
        expect(page.locator("#custom-check")).to_contain_text("'nothate' is not a label of the reward model")
        expect(page.locator("#start-btn")).to_be_disabled()
        label = page.locator("#custom-model-reward-label input")
        label.fill("-toxic")
        label.press("Enter")
        expect(page.locator("#custom-check")).to_contain_text("Every check passed")
        expect(page.locator("#start-btn")).to_be_enabled()
        page.locator("#setting-ppo-steps input").fill("2")
        page.get_by_text("Show the equivalent command").click()
        expect(page.locator("#train-command .cm-scroller")).to_contain_text(f"--set model.policy={root / 'bart'}")
        page.locator("#start-btn").click()
        expect(page.locator("#train-message")).to_contain_text("Started run")
        run_id = page.locator("#train-message strong").first.inner_text()
        config = json.loads((demo.dashboard.runs_dir / run_id / "config.json").read_text())
        assert config["model"]["policy"] == str(root / "bart") and config["model"]["reward_label"] == "-toxic"
        assert config["data"]["dialogue_column"] == "conversation"
        expect(page.locator("#train-progress")).to_contain_text("Finished", timeout=120_000)
    finally:
        page.close()
