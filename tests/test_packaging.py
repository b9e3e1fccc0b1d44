"""The wheel carries templates, static files, translations and migrations."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_wheel_ships_templates_static_translations_and_migrations(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("shopcare-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "shopcare/templates/shopcare/base.html",
        "shopcare/static/shopcare/shopcare.css",
        "shopcare/static/shopcare/vendor/redoc/redoc.standalone.js",
        "shopcare/static/shopcare/vendor/redoc/LICENSE",
        "shopcare/translations/es/LC_MESSAGES/shopcare.po",
        "shopcare/translations/es/LC_MESSAGES/shopcare.mo",
        "shopcare/migrations/env.py",
        "shopcare/migrations/script.py.mako",
    ):
        assert needed in names, needed
    assert any(
        name.startswith("shopcare/migrations/versions/") and name.endswith(".py") for name in names
    )
    assert any(name.startswith("shopcare/demo/templates/") for name in names)
