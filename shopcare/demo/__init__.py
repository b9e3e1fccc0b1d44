"""Casa Verde: a small home & garden shop that mounts shopcare as a shop developer would.

``make demo`` seeds it and serves it; the browser tests and ``scripts/screenshots.py``
drive it. Build one with :func:`shopcare.demo.app.create_app`.
"""

from __future__ import annotations
