"""The child blueprints, one per domain, that ``shopcare.web`` nests under ``shopcare``."""

from __future__ import annotations

from flask import Blueprint

CHILDREN: list[Blueprint] = []
