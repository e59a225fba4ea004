"""Per-ID-number request limits for the ID look-up products, and their reset endpoint."""
