"""The partner portal: a server-rendered web interface for a partner's team, under ``/portal/``.

Team members (``openkyc portal add-user``) sign in with an e-mail address, an argon2-hashed
password and, once enrolled, a TOTP code; each has a role (owner, admin, operator, auditor) that
every route checks. Sessions live in the database, so any API process serves any request.
Templates and assets ship inside this package: a page loads nothing from another origin.
"""
