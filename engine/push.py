"""Upload an export folder to the Hugging Face Hub, with messages a person can act on.

The token is the one huggingface_hub finds: `HF_TOKEN`, or the login of `hf auth login`.
`HF_ENDPOINT` points it at another Hub (the tests use a stand-in server on 127.0.0.1).
"""
from __future__ import annotations

from pathlib import Path

from engine.config import shown

NO_TOKEN = ("no Hugging Face token: set HF_TOKEN to a token with write access "
            "(https://huggingface.co/settings/tokens) or run `hf auth login`")


class PushError(RuntimeError):
    """A push that did not happen, and why."""


def endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _network_errors() -> tuple[type[BaseException], ...]:
    """The transport errors of whichever HTTP client this huggingface_hub uses."""
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module, name in (("httpx2", "TransportError"), ("httpx", "TransportError"),
                         ("requests", "ConnectionError")):
        try:
            errors.append(getattr(__import__(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def check_push(repo_id: str) -> str:
    """The token, once the name is valid and a token exists: PushError otherwise."""
    from huggingface_hub import constants, get_token
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        raise PushError(f"repo name must be OWNER/NAME (e.g. alice/flan-t5-detox), got {shown(repr(repo_id), 60)}")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:  # its message repeats the whole name: cut it as well
        raise PushError(f"invalid repo name {shown(repr(repo_id), 60)}: {shown(str(e).replace(repo_id, '…'), 300)}") from e
    if constants.HF_HUB_OFFLINE:
        raise PushError("HF_HUB_OFFLINE is set: pushing needs the network; unset it to push")
    token = get_token()
    if not token:
        raise PushError(NO_TOKEN)
    return token


def push(folder: Path, repo_id: str, private: bool = False, overwrite: bool = False) -> str:
    """Create the model repo and upload the folder as one commit; returns the repo's URL."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    token = check_push(repo_id)
    api = HfApi(token=token)
    try:
        url = api.create_repo(repo_id, private=private, exist_ok=overwrite, repo_type="model")
        api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type="model",
                          commit_message=f"Upload {Path(folder).name} (detox-dashboard export)")
    except HfHubHTTPError as e:
        raise PushError(_http_message(e, repo_id)) from e
    except _network_errors() as e:
        raise PushError(f"cannot reach the Hugging Face Hub at {endpoint()}: {e}; "
                        "check the network (nothing was uploaded)") from e
    return str(url)


def _http_message(e, repo_id: str) -> str:
    status = getattr(getattr(e, "response", None), "status_code", None)
    if status == 409:
        return (f"{repo_id} already exists on the Hub: choose another name, or pass --overwrite "
                "(in the dashboard: tick 'Overwrite if it exists') to upload into it as a new commit")
    if status == 401:
        return "the Hub rejected the token (401): it is invalid or expired; set a valid HF_TOKEN"
    if status == 403:
        owner = repo_id.split("/")[0]
        return (f"the token may not write to {repo_id} (403): it needs write access, and '{owner}' must be "
                "your user name or an organisation you may create models in")
    return f"the Hub refused the upload ({status}): {e}"
