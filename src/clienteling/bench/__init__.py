"""Benchmark scaffolding: the scale data set (``seed_scale``) and ``make bench`` (``bench``).
Installed only outside production."""
