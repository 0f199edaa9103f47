"""Benchmarks: run with `make bench` (python -m bench); figures go to bench/results/."""
