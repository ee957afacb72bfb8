"""Integrations with web frameworks; each needs its extra: `pip install 'neofin-async[fastapi]'`."""
