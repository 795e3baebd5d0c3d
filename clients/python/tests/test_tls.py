"""Client(tls=<CA file>) against an `adq serve` with TLS (a certificate made with openssl)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import grpc
import pytest

from adq_client import AdqError, Client

from .conftest import KEY, REPO


def test_tls_with_a_ca_file(tmp_path: Path, data_root: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.pem",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "2"],
        cwd=tmp_path, check=True, capture_output=True,
    )
    proc = subprocess.Popen(
        ["node", str(REPO / "bin" / "adq.mjs"), "serve", "--port", "0", "--data-root", str(data_root),
         "--cache-dir", str(tmp_path / "cache"), "--tls-cert", str(tmp_path / "server.pem"),
         "--tls-key", str(tmp_path / "server.key")],
        cwd=REPO, env={**os.environ, "ADQ_API_KEY": KEY}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        address = next(m.group(1) for line in proc.stdout if (m := re.search(r"listening on (\S+)", line)))
        with Client(address, api_key=KEY, tls=tmp_path / "server.pem") as c:
            assert c.health() == "SERVING"
            with pytest.raises(AdqError) as e:
                c.get("job-00000000000000000000")
            assert e.value.reason == "NOT_FOUND"
        # Plaintext to a TLS server fails, as it should, with a clean error.
        with Client(address, api_key=KEY, timeout=5) as plain, pytest.raises(AdqError) as e:
            plain.health()
        assert e.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
