"""Experiments that reproduce what the lectures show; each is `python -m experiments.<name> [--quick] [--out DIR]`."""
