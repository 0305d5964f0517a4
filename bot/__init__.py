"""gridbot's platform edge: the neutral message contract, adapters, wiring and CLI."""
