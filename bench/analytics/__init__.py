"""The analytics benchmark (`python -m bench.analytics`)."""
