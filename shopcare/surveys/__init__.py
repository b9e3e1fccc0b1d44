"""Post-purchase surveys and mystery-shopper audits (``care.surveys``; issue 13)."""
