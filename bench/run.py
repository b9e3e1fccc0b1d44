#!/usr/bin/env python3
"""Run every benchmark under bench/ (``make bench``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    failed = 0
    # The page benchmarks, then the write path (new orders through the API).
    for script in [*sorted(HERE.glob("*_page.py")), HERE / "write_path.py"]:
        print(f"== {script.name}", flush=True)
        failed |= subprocess.call([sys.executable, str(script), *sys.argv[1:]])
    sys.exit(failed)
