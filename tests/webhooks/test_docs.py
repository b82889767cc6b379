"""The worked examples partners copy from docs/webhooks.md really sign the way we verify."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import responses

from partners.webhook_signing import verify

DOC = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
SECRET = re.search(r"SECRET='(whsec_[^']+)'", DOC)[1]


def example(heading: str, language: str) -> str:
    section = DOC.split(heading, 1)[1]
    return re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)[1]


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("bash", "openssl", "base64", "od")),
    reason="needs bash, openssl, base64 and od",
)
def test_curl_example_signs_correctly():
    # curl replaced by a function printing the headers and the body it was given.
    fake_curl = 'curl() { while [ $# -gt 0 ]; do case "$1" in -H) echo "H:$2"; shift;; '
    fake_curl += '--data-binary) echo "B:$2"; shift;; esac; shift; done; }\n'
    script = fake_curl + example("### Worked example: curl and openssl", "sh")
    out = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    headers = dict(line[2:].split(": ", 1) for line in out.splitlines() if line.startswith("H:"))
    body = next(line[2:] for line in out.splitlines() if line.startswith("B:"))
    assert verify(headers, body.encode(), [SECRET]) == headers["webhook-id"]


@responses.activate
def test_python_example_signs_correctly(capsys):
    url = "https://hub.example.org/webhooks/partners/hsi/"
    responses.post(url, json={"status": "accepted"})

    exec(example("### Worked example: Python", "python"), {})

    sent = responses.calls[0].request
    assert verify(dict(sent.headers), sent.body, [SECRET]) == sent.headers["webhook-id"]
    assert capsys.readouterr().out.strip() == "200 {'status': 'accepted'}"
