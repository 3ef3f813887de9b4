"""Shared fixtures. Everything runs offline on CPU: the Hub is never contacted."""

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest -n 2 runs two test processes on two cores: one intra-op thread each (and in the
    # trainers they start), or OpenMP's spin-waiting collapses (engine.models: 37x slower steps)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED_DIALOGSUM = ROOT.parent / "shared" / "data" / "dialogsum"
"""The full DialogSum dev and test files, when they lie beside the repository (CI, the team's
machines); tests that need them are skipped elsewhere."""
DIALOGSUM_SAMPLE = ROOT / "tests" / "data" / "dialogsum"
"""20 dev and 20 test rows of DialogSum shipped with the tests (its README: license, attribution)."""
needs_full_dialogsum = pytest.mark.skipif(not SHARED_DIALOGSUM.is_dir(),
                                          reason=f"the full DialogSum files are not at {SHARED_DIALOGSUM}")
sys.path.insert(0, str(ROOT))


def pytest_collection_modifyitems(config, items):
    import torch

    for item in items:  # a served app is slow whoever asks for it: one rule, not a mark to forget
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


SLOW_FIXTURES = frozenset({"served_app", "browser"})
"""Fixtures that serve the real app or start a browser: every test that uses one is marked slow
at collection."""


@pytest.fixture(autouse=True)
def fast_tests_start_no_process(request, monkeypatch):
    """`pytest -m "not slow"` is the loop people run while they work: a test outside it that
    starts a subprocess (a trainer, a CLI, a browser) fails here, naming the command, so that
    it gets the `slow` mark instead of quietly slowing everyone's loop down."""
    if request.node.get_closest_marker("slow"):
        yield
        return
    started: list[str] = []
    real = subprocess.Popen._execute_child

    def refuse(self, args, *rest, **kwargs):
        started.append(" ".join(map(str, args)) if isinstance(args, (list, tuple)) else str(args))
        raise AssertionError(f"a test not marked slow started a subprocess: {started[-1][:200]}")

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)
    yield
    monkeypatch.setattr(subprocess.Popen, "_execute_child", real)
    # a caller may have caught the AssertionError: fail the test all the same
    assert not started, f"mark this test @pytest.mark.slow: it starts subprocesses ({started[0][:200]})"


@pytest.fixture
def ctx(tmp_path):
    """A fake app context (tests/dashboard_helpers.py) on a fresh runs folder, its runs stopped after."""
    from tests.dashboard_helpers import make_ctx

    context = make_ctx(tmp_path / "runs", "--delay", "0.05")
    yield context
    context.runner.terminate_all(timeout=10)


@pytest.fixture(scope="module")
def served_app(tmp_path_factory):
    """The real app on 127.0.0.1 (tiny models, a fresh runs folder): (demo, url, client)."""
    from gradio_client import Client

    from dashboard.ui import serve_locally

    with serve_locally(tmp_path_factory.mktemp("runs")) as (demo, url):
        yield demo, url, Client(url, verbose=False)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module (skipped where it is not
    installed). One per module: a second sync_playwright() in the same thread while the first is
    open fails with 'using Playwright Sync API inside the asyncio loop'."""
    from dashboard.screenshot import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
