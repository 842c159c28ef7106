"""gameday's benchmarks: `./dev bench` (or `python -m bench`). See bench/README.md."""
