"""Overpush's deployable services and the `overpush` command that runs them."""
