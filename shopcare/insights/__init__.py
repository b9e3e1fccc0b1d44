"""The satisfaction dashboard (``care.insights``): figures over every other domain's data."""
