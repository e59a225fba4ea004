"""Rate limits of the V3 API's own calls: token issuance per partner.

Counted in the database over a sliding window (every API process sees the same counts), in the
same keyed-digest event table as the hosted capture page's limits (``links.models.LinkEvent``:
a digest and a time, nothing else), under this module's own HMAC key.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openkyc.crypto import SecretBox
from openkyc.links.models import LinkEvent

TOKEN_WINDOW = timedelta(minutes=1)
# The SDKs ask for one token per client per 14 minutes; a fleet of a hundred workers restarting
# together stays well under this.
TOKENS_PER_WINDOW = 120
_PURPOSE = b"openkyc v3 token issuance limit v1"


def _key(box: SecretBox, partner_id: str) -> str:
    return hmac.new(box.derive_key(_PURPOSE), f"token\n{partner_id}".encode(), hashlib.sha256).hexdigest()


def allow_token(db_session: Session, box: SecretBox, *, partner_id: str, now: datetime) -> bool:
    """Count a token issued to ``partner_id`` and say whether it is within the limit."""
    key = _key(box, partner_id)
    issued = db_session.scalar(
        select(func.count())
        .select_from(LinkEvent)
        .where(LinkEvent.key_digest == key, LinkEvent.at > now - TOKEN_WINDOW)
    )
    if int(issued or 0) >= TOKENS_PER_WINDOW:
        return False
    db_session.add(LinkEvent(key_digest=key, at=now))
    # This partner's expired counts go now: the table stays the size of one window.
    db_session.execute(
        delete(LinkEvent).where(LinkEvent.key_digest == key, LinkEvent.at <= now - TOKEN_WINDOW)
    )
    return True
