"""vidlib: consented career-call recordings in, moderated topic clips out."""

__version__ = "0.1.0"
