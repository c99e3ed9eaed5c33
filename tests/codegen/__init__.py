"""Tests of the model generator (codegen/models.py, codegen/manifest.py) and interlingua.validation."""
