UI_BENCHMARKS: dict = {}
