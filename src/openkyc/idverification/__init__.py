"""ID-number verification: Enhanced KYC (``/v1/id_verification``, job_type 5) and Basic KYC
(``/v2/verify``).

A request is parsed (:mod:`.request`), its number checked against the ID type's documented format
(:mod:`.id_format`), counted by the per-number rate limit and looked up with the environment's
authority (:mod:`.lookup`); the record becomes an Enhanced KYC result (:mod:`.enhanced_kyc`) or is
matched field by field against the partner's details (:mod:`.matching`, :mod:`.basic_kyc`). The
job is recorded and its callback scheduled by :mod:`.flow`.
"""
