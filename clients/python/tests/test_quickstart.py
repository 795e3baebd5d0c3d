"""The README's quickstart, run as written (against the test server, on the test data set)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .conftest import KEY


def test_readme_quickstart(server: str, dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    code = re.search(r"runs this block as it is -->\n```python\n(.*?)```", readme, re.S)
    assert code is not None
    assert len(code.group(1).strip().splitlines()) <= 12
    monkeypatch.setenv("ADQ_SERVER", server)
    monkeypatch.setenv("ADQ_API_KEY", KEY)
    monkeypatch.setenv("DATA", str(dataset))
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), scope)  # noqa: S102 - our own README
    assert (tmp_path / "result" / "store.adqp").exists()
    assert len(scope["train"]) == 2  # type: ignore[arg-type]  # ρ = 0.1 of 24 images
    assert os.path.exists(tmp_path / "result" / "report.html")
