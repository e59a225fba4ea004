"""Business Verification (KYB, job_type 7): registry look-ups of companies and their officers.

``base`` is the registry interface, ``sandbox`` the documented sandbox registry, ``supported``
which countries, ID types and business types exist, ``request`` and ``result`` the wire format and
``views`` the two v1 endpoints.
"""
