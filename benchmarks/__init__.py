"""Side-by-side download and listing benchmarks for galatea_async (run ``benchmarks/run.py``)."""
