"""Orders: the data every other feature hangs off, pushed in by the host shop."""
