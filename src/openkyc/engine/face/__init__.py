"""Face detection, alignment, embedding and 1:1 comparison."""
