"""Policy and tariff files are parsed once per version of the file, and read again once edited."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from service.planner import named_policy

ROOT = Path(__file__).resolve().parents[2]


def test_policy_is_parsed_once_per_file_version(tmp_path: Path) -> None:
    shutil.copy(ROOT / "policies/courier.yaml", tmp_path / "courier.yaml")
    first = named_policy(tmp_path, "courier")
    assert named_policy(tmp_path, "courier") is first  # same file version: the parsed policy is reused
    path = tmp_path / "courier.yaml"
    text = path.read_text()
    assert 'version: "1.0"' in text and str(first.metadata.version) == "1.0"
    path.write_text(text.replace('version: "1.0"', 'version: "99"'))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a new version even on coarse clocks
    edited = named_policy(tmp_path, "courier")
    assert edited is not first and str(edited.metadata.version) == "99"
