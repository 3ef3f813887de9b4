"""A stand-in for the Hugging Face Hub's upload API (and model_info's file sizes) on 127.0.0.1,
for push and size-cap tests offline.

It answers the calls `HfApi.create_repo` and `HfApi.upload_folder` make (repo creation, YAML
validation, pre-upload, one commit with base64 "regular" files) and keeps what was committed,
so a test can compare the files that arrived with the folder that was pushed.
"""
from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StandInHub:
    def __init__(self, token: str = "hf_stand_in"):
        self.token = token
        self.model_files: dict[str, dict[str, int]] = {}
        """repo id -> {file name: size in bytes}: what model_info reports (nothing to download)"""
        self.repos: dict[str, dict] = {}
        """repo id -> {"private": bool, "files": {path: bytes}, "commits": int}"""
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                repo = self.path.split("?")[0].removeprefix("/api/models/")  # model_info(files_metadata=True)
                if self.path.startswith("/api/models/") and repo in hub.model_files:
                    files = [{"rfilename": name, "size": size} for name, size in hub.model_files[repo].items()]
                    return self._reply(200, {"id": repo, "modelId": repo, "sha": "0" * 40, "siblings": files})
                self._reply(404, {"error": "Repository Not Found"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.headers.get("authorization") != f"Bearer {hub.token}":
                    return self._reply(401, {"error": "Invalid credentials in Authorization header"})
                if self.path == "/api/repos/create":
                    spec = json.loads(body)
                    repo = f"{spec['organization']}/{spec['name']}"
                    if repo in hub.repos:
                        return self._reply(409, {"error": "You already created this model repo", "url": hub.url(repo)})
                    private = bool(spec.get("private")) or spec.get("visibility") == "private"
                    hub.repos[repo] = {"private": private, "files": {}, "commits": 0}
                    return self._reply(200, {"url": hub.url(repo)})
                if self.path == "/api/validate-yaml":
                    return self._reply(200, {"errors": [], "warnings": []})
                parts = self.path.split("/")  # /api/models/OWNER/NAME/{preupload,commit}/main
                repo = "/".join(parts[3:5])
                if repo not in hub.repos:
                    return self._reply(404, {"error": "Repository not found"})
                if parts[5] == "preupload":
                    files = json.loads(body)["files"]
                    return self._reply(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                                        "shouldIgnore": False} for f in files]})
                if parts[5] == "commit":
                    for line in body.decode().splitlines():
                        op = json.loads(line)
                        if op["key"] == "file":
                            hub.repos[repo]["files"][op["value"]["path"]] = base64.b64decode(op["value"]["content"])
                    hub.repos[repo]["commits"] += 1
                    return self._reply(200, {"commitUrl": f"{hub.url(repo)}/commit/{'0' * 40}",
                                             "commitOid": "0" * 40, "pullRequestUrl": None})
                self._reply(404, {"error": "not here"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"

    def url(self, repo: str) -> str:
        return f"{self.endpoint}/{repo}"

    def __enter__(self) -> "StandInHub":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
