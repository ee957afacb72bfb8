"""Benchmarks of neofin-async against hand-written clients: `python -m benchmarks [--quick]`.

See benchmarks/README.md for what each one measures and the latest results."""
