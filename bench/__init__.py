"""Benchmarks that print comparison tables: `python -m bench.rollout`, `python -m bench.step`.

Not run by CI (tests/test_bench.py only smoke-tests their code paths on the tiny preset).
Results worth keeping go to bench/RESULTS.md.
"""
