"""ID authorities: look up an ID number and return the holder's record (or a typed failure).

One interface (:class:`~openkyc.authorities.base.Authority`), several adapters: the sandbox
authority with the documented test data, a local registry an operator fills from CSV, and a base
for HTTP adapters to real authorities. National ID databases are not reachable from here; the
products (Enhanced/Basic/Biometric KYC, EDV) only ever talk to this interface.
"""
