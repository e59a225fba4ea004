"""Identity-document evidence: locating and classifying the document, reading its MRZ and visual zone."""
