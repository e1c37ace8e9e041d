"""Support shared by the tests and the benchmarks; it imports neither of them."""
