"""Address verification: an address checked against the addresses a provider holds on record for
an identifier (a South African ID number, a Nigerian utility meter), and the name on that record.

One interface (:class:`~openkyc.address.base.AddressProvider`), chosen per environment by the
configured provider (:mod:`openkyc.address.select`): the sandbox provider with the documented test
identifiers for sandbox keys; for production keys whatever adapter an operator configures. No
national address register is reachable from here, so out of the box production has none, and its
jobs end ``error`` / ``service_unavailable`` rather than with a made-up record. The decision
(:mod:`openkyc.address.verify`) only ever talks to this interface.
"""
