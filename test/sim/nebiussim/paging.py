"""page_size / page_token / next_page_token for every List RPC.

Tokens are opaque to clients (base64 of an offset into the creation-ordered
list). page_size 0 means the server default (100); every page is capped by
--page-size-max so tests can force clients to follow next_page_token.
"""
import base64

from . import errors

DEFAULT_PAGE_SIZE = 100


def _encode(offset):
    return base64.urlsafe_b64encode(("sim-page:%d" % offset).encode()).decode().rstrip("=")


def _decode(token):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, num = raw.partition(":")
        if prefix != "sim-page":
            raise ValueError(token)
        offset = int(num)
        if offset < 0:
            raise ValueError(token)
        return offset
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.invalid("", "page_token", "malformed page token") from exc


def page(st, items, page_size, page_token):
    """Returns (items of this page, next_page_token or "")."""
    if page_size < 0:
        raise errors.invalid("", "page_size", "must not be negative")
    size = page_size or DEFAULT_PAGE_SIZE
    size = min(size, st.config.page_size_max, 1000)
    offset = _decode(page_token) if page_token else 0
    chunk = items[offset:offset + size]
    nxt = offset + size
    return chunk, (_encode(nxt) if nxt < len(items) else "")
