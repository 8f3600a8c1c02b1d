"""Benchmarks: Kinerja measured against the bare-Temporal floor on the same server in the same run.

    .venv/bin/python -m bench.appraisal_bench --employees 1000

See docs/benchmarks.md for what is measured and how. Nothing here is imported by the application or the tests.
"""
