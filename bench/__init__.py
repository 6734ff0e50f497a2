"""Benchmark scripts; each writes its JSON result under bench/results/."""
