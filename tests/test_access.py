"""Access control and Space behaviour: who may start, stop and evaluate, through every door.

The app runs as `python app.py` in a subprocess with the environment a Space or a workshop
would give it; raw HTTP checks that the queue itself refuses what the UI hides.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import gradio as gr
import httpx
import pytest
import yaml
from gradio_client import Client

from engine import runs
from dashboard.access import (LOGIN_ADDRESS, Access, AccessConfigError, Limits, LoginGate, LoginPaused, LoginThrottle,
                              hf_username, parse_auth)
from dashboard.inputs import UserInputError
from dashboard.screenshot import CHROMIUM
from dashboard.train_tab import TrainHandlers
from dashboard.ui import access_note, free_port
from tests.dashboard_helpers import wait_for
from tests.dashboard_helpers import FakeRequest, make_ctx

ROOT = Path(__file__).resolve().parent.parent
OAUTH_SECRET = "test-oauth-secret"


# --- settings from the environment -------------------------------------------------------------

def test_auth_pairs_are_parsed_and_checked_in_constant_time():
    assert parse_auth("ann:pw1, bob:pa:ss") == (("ann", "pw1"), ("bob", "pa:ss"))
    access = Access.from_env({"DETOX_AUTH": "ann:pw1,bob:pa:ss"})
    assert access.check_password("bob", "pa:ss") and access.check_password("ann", "pw1")
    assert not access.check_password("ann", "pa:ss") and not access.check_password("eve", "pw1")
    assert not access.check_password("ann", "") and access.gradio_auth() == access.check_password
    for bad in ("ann", ":pw", "ann:", "ann:pw,bob"):
        with pytest.raises(AccessConfigError, match="user:password"):
            parse_auth(bad)


STRANGER, ANN_AT_HOME = "203.0.113.66", "198.51.100.7"


def throttled_access() -> tuple[Access, list[float]]:
    """A password app whose throttle reads a clock the test moves (no sleeping)."""
    now = [0.0]
    return Access(passwords=(("ann", "pw1"), ("bob", "pw2")), throttle=LoginThrottle(clock=lambda: now[0])), now


def test_a_strangers_guesses_pause_only_the_strangers_address():
    access, now = throttled_access()
    for _ in range(LoginThrottle.MAX_FAILURES):
        assert not access.check_password("ann", "guess", STRANGER)
        now[0] += 1
    assert access.check_password("ann", "pw1", ANN_AT_HOME)  # the real ann signs in from her address
    assert access.check_password("bob", "pw2", STRANGER)  # other names from that address too
    now[0] += 11  # 16 s after the first wrong password
    with pytest.raises(LoginPaused) as paused:
        access.check_password("ann", "pw1", STRANGER)  # the right password: not checked, not "incorrect"
    assert paused.value.status_code == 429 and paused.value.headers == {"Retry-After": "44"}
    assert paused.value.detail == ("Sign-in as ann from your address is paused for 44 more seconds after 5 wrong "
                                   "passwords; the password was not checked. Try again then.")
    now[0] += 44
    assert access.check_password("ann", "pw1", STRANGER)  # the window has passed


def test_guesses_from_many_addresses_slow_every_sign_in_but_never_refuse_one():
    access, now = throttled_access()
    throttle = access.throttle
    for i in range(LoginThrottle.GLOBAL_FAILURES):
        assert not access.check_password("ann", "guess", f"10.0.0.{i}")
    assert throttle.delay() == 0  # a room of people mistyping is not slowed
    for i in range(100):
        access.check_password("ann", "guess", f"10.0.1.{i}")
    assert throttle.delay() == LoginThrottle.MAX_DELAY_S  # slower, with a ceiling
    assert access.check_password("ann", "pw1", ANN_AT_HOME)  # and still let in
    now[0] += LoginThrottle.WINDOW_S
    assert throttle.delay() == 0


def test_the_login_gate_hands_gradios_check_the_client_address_and_waits_without_blocking():
    """Gradio calls the check with (user, password) only: LoginGate, around POST /login, gives it
    the address and waits the throttle's delay with an awaitable sleep (the test's records it)."""
    access, _ = throttled_access()
    for i in range(LoginThrottle.GLOBAL_FAILURES + 2):
        access.check_password("ann", "guess", f"10.0.0.{i}")
    slept, seen = [], []

    async def fake_sleep(seconds):
        slept.append(seconds)

    async def gradio(scope, receive, send):
        seen.append((scope["path"], LOGIN_ADDRESS.get()))

    gate = LoginGate(gradio, access.throttle, sleep=fake_sleep)
    for path in ("/login", "/login/", "/config"):
        asyncio.run(gate({"type": "http", "method": "POST", "path": path, "client": (STRANGER, 5000)}, None, None))
    assert seen == [("/login", STRANGER), ("/login/", STRANGER), ("/config", "")]
    assert slept == [2 * LoginThrottle.DELAY_STEP_S] * 2  # only the login route waits


def test_modes_from_the_environment():
    assert Access.from_env({}).open
    assert Access.from_env({"DETOX_AUTH": "ann:pw"}).passwords == (("ann", "pw"),)
    spaces = {"SYSTEM": "spaces", "SPACE_ID": "owner/detox", "SPACE_AUTHOR_NAME": "owner"}
    assert Access.from_env(spaces).read_only  # a public Space with no sign-in changes nothing
    oauth = Access.from_env({**spaces, "OAUTH_CLIENT_ID": "x"})
    assert oauth.hf_admins == {"owner"} and not oauth.open
    listed = Access.from_env({**spaces, "OAUTH_CLIENT_ID": "x", "DETOX_ADMINS": "ann, bob"})
    assert listed.hf_admins == {"ann", "bob"}
    assert Access.from_env({**spaces, "DETOX_AUTH": "ann:pw"}).passwords  # the secret wins


def test_limits_from_the_environment():
    assert Limits.from_env({}) == Limits()
    assert Limits.from_env({"DETOX_MAX_STEPS": "50", "DETOX_MAX_BATCH": "16"}) == Limits(50, 16)
    for bad, message in (("0", "between 1"), ("ten", "whole number"), ("10000000", "between 1")):
        with pytest.raises(AccessConfigError, match=message):
            Limits.from_env({"DETOX_MAX_STEPS": bad})


def test_runs_folder_on_a_space_with_persistent_storage(tmp_path):
    spaces = {"SYSTEM": "spaces", "SPACE_ID": "owner/detox"}
    # one rule for the app, the trainer and the CLI (engine.runs)
    assert runs.default_runs_dir(spaces, tmp_path) == tmp_path / "runs"
    assert runs.default_runs_dir(spaces, tmp_path / "absent") == Path("runs").absolute()  # no storage
    assert runs.default_runs_dir({}, tmp_path) == Path("runs").absolute()  # not a Space
    assert runs.default_runs_dir({**spaces, "DETOX_RUNS_DIR": "/x"}, tmp_path) == Path("/x")


def test_who_may_act_in_each_mode():
    act = "start runs"
    assert Access().why_not(None, act) is None
    password = Access(passwords=(("ann", "pw"),))
    assert password.why_not(FakeRequest("ann"), act) is None
    assert password.why_not(FakeRequest(), act) == "Sign in to start runs."
    oauth = Access(hf_admins=frozenset({"owner"}))
    assert oauth.why_not(FakeRequest(hf_user="owner"), act) is None
    assert "Sign in with Hugging Face" in oauth.why_not(FakeRequest(), act)
    assert "Signed in as eve, who may not start runs" in oauth.why_not(FakeRequest(hf_user="eve"), act)
    assert hf_username(FakeRequest(hf_user="owner", expires_in=-1)) is None  # expired: signed out
    assert "read-only" in Access(read_only=True).why_not(FakeRequest("ann", "owner"), act)
    assert "Viewer mode" in access_note(oauth, FakeRequest()) and access_note(Access(), None) == ""
    assert "Signed in as **owner**" in access_note(oauth, FakeRequest(hf_user="owner"))


def test_handlers_refuse_without_a_login_and_write_nothing(tmp_path):
    ctx = make_ctx(tmp_path / "runs", "--delay", "0.05")
    ctx.access = Access(passwords=(("workshop", "secret"),))
    h = TrainHandlers(ctx)
    with pytest.raises(gr.Error, match="Sign in to start runs"):
        h.start("tiny", {}, request=None)
    with pytest.raises(gr.Error, match="Sign in to stop runs"):
        h.stop(None, request=None)
    assert not ctx.runs_dir.exists() or not any(ctx.runs_dir.iterdir())


def test_viewers_get_greyed_out_start_and_stop(tmp_path):
    ctx = make_ctx(tmp_path / "runs", "--delay", "0.05")
    ctx.access = Access(hf_admins=frozenset({"owner"}))
    h = TrainHandlers(ctx)
    visitor = h.refresh(None, [], [], {}, FakeRequest(hf_user="eve"))
    assert visitor.start["interactive"] is False and visitor.stop["interactive"] is False
    owner = h.refresh(None, [], [], {}, FakeRequest(hf_user="owner"))
    assert owner.start["interactive"] is True and owner.stop["interactive"] is False


def test_runner_enforces_the_caps_and_writes_nothing(tmp_path):
    ctx = make_ctx(tmp_path / "runs", "--delay", "0.05")
    ctx.runner.limits = Limits(max_steps=5, max_batch=4)
    with pytest.raises(UserInputError) as refused:
        ctx.runner.start("tiny", {"ppo.steps": 6, "ppo.batch_size": 8, "ppo.mini_batch_size": 4})
    assert "at most 5 steps" in str(refused.value) and "at most 4 summaries" in str(refused.value)
    assert not ctx.runs_dir.exists() or not any(ctx.runs_dir.iterdir())


def test_the_form_shows_this_apps_caps(tmp_path, monkeypatch):
    from dashboard.ui import build_app

    monkeypatch.setenv("DETOX_MAX_STEPS", "50")
    monkeypatch.setenv("DETOX_MAX_BATCH", "16")
    demo = build_app(runs_dir=tmp_path / "runs", preset="tiny")
    info = {b.elem_id: getattr(b, "info", None) for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    assert info["setting-ppo-steps"] == "between 1 and 50"
    assert info["setting-ppo-batch-size"] == "summaries per step; between 1 and 16"
    assert demo.dashboard.runner.limits == Limits(50, 16)


# --- the real app, as a workshop or a Space would start it -------------------------------------

def _session_cookie(session: dict) -> str:
    """A session cookie as Gradio's SessionMiddleware on a Space signs it (what HF login leaves)."""
    import itsdangerous

    secret = hashlib.sha256((OAUTH_SECRET + "-v4").encode()).hexdigest()
    data = base64.b64encode(json.dumps(session).encode())
    return itsdangerous.TimestampSigner(secret).sign(data).decode()


def _hf_session(user: str) -> dict:
    return {"oauth_info": {"access_token": "t", "scope": "openid profile", "expires_at": time.time() + 3600,
                           "userinfo": {"preferred_username": user, "name": user}}}


@pytest.fixture
def serve_app(tmp_path):
    """Start `python app.py` with extra environment; yields its URL; kills it afterwards."""
    procs = []

    def start(**env: str) -> str:
        port = free_port()
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DETOX_", "SPACE", "OAUTH"))}
        full_env.update(env, GRADIO_SERVER_PORT=str(port), DETOX_RUNS_DIR=str(tmp_path / "runs"),
                        DETOX_PRESET="tiny", HF_HUB_OFFLINE="1")
        log = open(tmp_path / f"app-{port}.log", "wb")
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=full_env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}/"

        def up():
            if proc.poll() is not None:
                raise AssertionError((tmp_path / f"app-{port}.log").read_text())
            try:
                return httpx.get(url + "gradio_api/info", timeout=2).status_code in (200, 401)
            except httpx.HTTPError:
                return False
        wait_for(up, timeout=90, what="the app to serve", every=0.3)
        return url

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def _raw_call(url: str, endpoint: str, data: list, cookies: dict | None = None) -> str:
    """POST /gradio_api/call/<endpoint>, then read its event stream: what curl would see."""
    with httpx.Client(base_url=url, cookies=cookies, timeout=30) as http:
        posted = http.post(f"gradio_api/call/{endpoint}", json={"data": data})
        if posted.status_code != 200:
            return f"HTTP {posted.status_code}: {posted.text}"
        event_id = posted.json()["event_id"]
        return http.get(f"gradio_api/call/{endpoint}/{event_id}").text


@pytest.mark.slow
def test_password_login_guards_every_route_and_every_handler(serve_app, tmp_path):
    url = serve_app(DETOX_AUTH="ann:pw1,bob:pw2")
    # Without the login cookie nothing is served: not the page's config, not the queue.
    assert httpx.get(url + "config").status_code == 401
    assert "HTTP 401" in _raw_call(url, "start_run", ["tiny", 1, None, None, False, 1])
    with httpx.Client(base_url=url) as http:
        assert http.post("gradio_api/queue/join", json={"data": [], "fn_index": 0,
                                                        "session_hash": "x"}).status_code == 401
    with pytest.raises(Exception):
        Client(url, auth=("bob", "wrong"), verbose=False)
    assert not (tmp_path / "runs").exists() or not any(p for p in (tmp_path / "runs").iterdir()
                                                        if not p.name.startswith("."))

    client = Client(url, auth=("bob", "pw2"), verbose=False)  # either pair signs in
    started = client.predict(preset="tiny", steps=1, api_name="/start_run")
    run = wait_for(lambda: (s := client.predict(started["run_id"], api_name="/run_status"))["status"]["state"]
                   in ("finished", "failed") and s, timeout=120, what="the run to end", every=0.5)
    assert run["status"]["state"] == "finished"
    Client(url, auth=("ann", "pw1"), verbose=False).predict("hello", api_name="/score_text")


@pytest.mark.slow
def test_a_stranger_cannot_lock_the_real_user_out_of_the_served_login_page(tmp_path, monkeypatch):
    """The real app's POST /login: addresses as uvicorn reports them (X-Forwarded-For from
    127.0.0.1, as from a proxy there), and the pause said in words with a 429, not Gradio's
    "Incorrect credentials."."""
    from dashboard.ui import serve_locally

    monkeypatch.setenv("DETOX_AUTH", "ann:pw1,bob:pw2")
    with serve_locally(tmp_path / "runs") as (demo, url):
        now = [0.0]
        demo.dashboard.access.throttle.clock = lambda: now[0]

        def login(password: str, address: str) -> httpx.Response:
            return httpx.post(url + "login", data={"username": "ann", "password": password},
                              headers={"X-Forwarded-For": address}, timeout=30)

        for _ in range(LoginThrottle.MAX_FAILURES):
            wrong = login("guess", STRANGER)
            assert wrong.status_code == 400 and wrong.json()["detail"] == "Incorrect credentials."
        now[0] += 20
        paused = login("pw1", STRANGER)
        assert paused.status_code == 429 and paused.headers["Retry-After"] == "40"
        assert "paused for 40 more seconds" in paused.json()["detail"]
        signed_in = login("pw1", ANN_AT_HOME)
        assert signed_in.status_code == 200 and signed_in.json() == {"success": True}
        assert httpx.get(url + "config", cookies=signed_in.cookies, timeout=30).status_code == 200


@pytest.mark.slow
def test_space_with_hf_login_is_a_viewer_for_strangers_and_admin_for_the_owner(serve_app, tmp_path, request):
    url = serve_app(SYSTEM="spaces", SPACE_ID="owner/detox", SPACE_AUTHOR_NAME="owner",
                    OAUTH_CLIENT_ID="client", OAUTH_CLIENT_SECRET=OAUTH_SECRET,
                    OAUTH_SCOPES="openid profile", OPENID_PROVIDER_URL="https://huggingface.co",
                    DETOX_MAX_STEPS="3")
    page = httpx.get(url + "config").json()
    assert any(c.get("type") == "loginbutton" or "Sign in with Hugging Face" in json.dumps(c.get("props", {}))
               for c in page["components"])

    # A stranger watches, scores and lists, but cannot start, stop or evaluate: through the
    # documented API and through the raw queue alike.
    visitor = Client(url, verbose=False)
    assert set(visitor.predict("you are lovely", api_name="/score_text")) >= {"nothate_logit", "toxicity"}
    assert visitor.predict(api_name="/list_runs") == []
    for endpoint, args in (("/start_run", dict(preset="tiny", steps=1)), ("/stop_run", {})):
        with pytest.raises(Exception, match="Sign in with Hugging Face"):
            visitor.predict(**args, api_name=endpoint)
    assert "Sign in with Hugging Face to start runs" in _raw_call(url, "start_run", ["tiny", 1, None, None, False, 1])

    eve = {"session": _session_cookie(_hf_session("eve"))}
    assert "Signed in as eve, who may not start runs" in _raw_call(url, "start_run", ["tiny", 1, None, None,
                                                                                      False, 1], eve)
    owner = {"session": _session_cookie(_hf_session("owner"))}
    assert "at most 3 steps" in _raw_call(url, "start_run", ["tiny", 4, None, None, False, 1], owner)
    assert not (tmp_path / "runs").exists() or not [p for p in (tmp_path / "runs").iterdir()
                                                    if not p.name.startswith(".")]
    answer = _raw_call(url, "start_run", ["tiny", 1, None, None, False, 1], owner)
    run_id = re.search(r'"run_id": "([^"]+)"', answer).group(1)
    assert (tmp_path / "runs" / run_id / "config.json").is_file()
    wait_for(lambda: visitor.predict(run_id, api_name="/run_status")["status"]["state"] == "finished",
             timeout=120, what="the owner's run to finish", every=0.5)

    if os.path.exists(CHROMIUM):  # what a visitor's browser shows: viewer mode, greyed-out buttons
        from playwright import sync_api

        page = request.getfixturevalue("browser").new_page()
        try:
            page.goto(url)
            sync_api.expect(page.locator("#access-note")).to_contain_text("Viewer mode", timeout=60_000)
            sync_api.expect(page.get_by_text("Sign in with Hugging Face").first).to_be_visible()
            sync_api.expect(page.locator("#start-btn")).to_be_disabled(timeout=30_000)
            sync_api.expect(page.locator("#stop-btn")).to_be_disabled()
            page.get_by_role("tab", name="Evaluate").click()
            sync_api.expect(page.locator("#evaluate-btn")).to_be_disabled()
        finally:
            page.close()


@pytest.mark.slow
def test_space_without_any_sign_in_is_read_only(serve_app):
    url = serve_app(SYSTEM="spaces", SPACE_ID="owner/detox")
    visitor = Client(url, verbose=False)
    with pytest.raises(Exception, match="read-only"):
        visitor.predict(preset="tiny", steps=1, api_name="/start_run")
    assert visitor.predict(api_name="/list_runs") == []


def test_readme_front_matter_makes_a_gradio_space():
    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and (ROOT / meta["app_file"]).is_file()
    assert meta["sdk_version"] == gr.__version__  # the version the tests ran against
    assert re.fullmatch(r"3\.\d+", str(meta["python_version"]))
    assert meta["suggested_hardware"] in {"t4-small", "t4-medium", "a10g-small", "a10g-large", "l4x1",
                                          "a100-large", "h100"}
    assert meta["hf_oauth"] is True
    assert "gradio[oauth]" in (ROOT / "requirements.txt").read_text()


def test_no_shell_no_remote_code_no_pickle_in_the_source():
    """What a public app must never do with its visitors' input, checked over every module."""
    forbidden = re.compile(r"shell\s*=\s*True|os\.system\(|os\.popen\(|trust_remote_code|"
                           r"torch\.load\((?![^)]*weights_only=True)|pickle\.loads?\(")
    sources = [p for folder in ("engine", "dashboard", "assets", "bench") for p in (ROOT / folder).rglob("*.py")]
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in sources + [ROOT / "app.py"]
             for n, line in enumerate(p.read_text().splitlines(), 1) if forbidden.search(line)]
    assert len(sources) > 20 and found == []


def test_the_guard_refuses_uploads_and_outside_urls_and_lets_the_apps_own_files_through():
    from dashboard.guard import NO_PROXY, NO_UPLOADS, refusal

    assert refusal("POST", "/gradio_api/upload") == refusal("POST", "/upload/") == NO_UPLOADS
    assert refusal("GET", "/gradio_api/file=https://example.com/x.bin") == NO_PROXY
    assert refusal("HEAD", "/gradio_api/file=HTTP://169.254.169.254/latest") == NO_PROXY
    assert refusal("GET", "/gradio_api/file=/tmp/gradio/abc/compare-run.csv") is None  # the CSV download
    assert refusal("GET", "/gradio_api/upload_progress") is None and refusal("GET", "/config") is None


@pytest.mark.slow
def test_no_uploads_no_proxy_no_route_map_and_no_heartbeat_before_sign_in(serve_app):
    url = serve_app()  # an open local app: uploads are refused to everyone
    posted = httpx.post(url + "gradio_api/upload", files={"files": ("big.bin", b"x" * 100_000)})
    assert (posted.status_code, posted.text) == (403, "This app accepts no file uploads.")
    fetched = httpx.get(url + "gradio_api/file=https://example.com/index.html")
    assert (fetched.status_code, fetched.text) == (403, "This app fetches no outside URLs.")
    assert httpx.get(url + "openapi.json").status_code == 404
    locked = serve_app(DETOX_AUTH="ann:pw1")
    with httpx.stream("GET", locked + "gradio_api/heartbeat/abc", timeout=10) as stranger:
        assert stranger.status_code == 401
    with httpx.Client(base_url=locked, timeout=10) as http:
        assert http.post("login", data={"username": "ann", "password": "pw1"}).status_code == 200
        with http.stream("GET", "gradio_api/heartbeat/abc") as signed_in:
            assert signed_in.status_code == 200 and next(signed_in.iter_text()).startswith("data: ALIVE")
        assert http.post("gradio_api/upload", files={"files": ("a.txt", b"hi")}).status_code == 403
