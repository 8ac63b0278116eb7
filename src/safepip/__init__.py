"""safepip: run the real pip, and recover from its hash-mismatch errors without weakening them."""

__version__ = "0.1.0"
