"""recordings tests of the translator (see tests/conformance/corpus.py for the shared helpers)."""
