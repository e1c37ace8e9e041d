"""Load, latency and memory benchmarks of Overpush on both backends (`make bench`)."""
