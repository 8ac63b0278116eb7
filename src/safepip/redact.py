"""Credentials never leave safepip in clear: whatever it prints or writes shows them as pip does.

pip shows ``https://user:****@host`` for a URL with a password, and ``https://****@host`` for one
with only a user part, which is usually a token. safepip does the same, at least as thoroughly, for
everything it prints or keeps: its own lines, the run report, the history log, the GitHub job
summary, quarantine manifests and ``safepip doctor``. That covers URLs anywhere in a command line or
a text (``--index-url``, ``-i``, ``--extra-index-url``, ``--find-links``, requirement lines such as
``name @ https://token@host/...`` and ``git+https://token@host/...``, ``PIP_*`` values), and
``--proxy user:pass@host``, which pip takes without a scheme.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

# scheme://userinfo@ where userinfo has no "/", "@" or space: what a URL's netloc can hold before
# its host. A password may itself contain ":".
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@\s:]*)(?::[^/@\s]*)?@")
# A proxy given as user:pass@host[:port] (pip's --proxy takes it without a scheme).
_BARE_CREDENTIALS = re.compile(r"^(?P<user>[^/@\s:]+):[^/@\s]*@(?=\S)")
_MASK = "****"
_PROXY = "--proxy"
#: optparse takes any unambiguous prefix of a long option, and ``--prox`` is the shortest of --proxy.
_PROXY_PREFIX = "--prox"
_T = TypeVar("_T")


def _masked_url(match: re.Match[str]) -> str:
    user, has_password = match.group("user"), ":" in match.group(0)[len(match.group("scheme")) :]
    if has_password and user:
        return f"{match.group('scheme')}{user}:{_MASK}@"
    return f"{match.group('scheme')}{_MASK}@"


def text(value: str) -> str:
    """`value` with the credentials of every URL in it masked, as pip masks them."""
    if "@" not in value:
        return value
    return _URL_CREDENTIALS.sub(_masked_url, value)


def proxy(value: str) -> str:
    """A ``--proxy`` value (``[scheme://]user:pass@host[:port]``) with its password masked."""
    value = text(value)
    return _BARE_CREDENTIALS.sub(lambda m: f"{m.group('user')}:{_MASK}@", value)


def _is_proxy_option(name: str) -> bool:
    return name.startswith(_PROXY_PREFIX) and _PROXY.startswith(name)


def argv(args: Sequence[str]) -> list[str]:
    """A command line with every credential masked: in URLs anywhere, and in ``--proxy`` values
    (also when the option is abbreviated, as optparse allows: ``--prox``)."""
    out: list[str] = []
    after_proxy = False
    for arg in args:
        name, has_value, value = arg.partition("=")
        if after_proxy:
            out.append(proxy(arg))
        elif has_value and _is_proxy_option(name):
            out.append(f"{name}={proxy(value)}")
        else:
            out.append(text(arg))
        after_proxy = _is_proxy_option(arg)
    return out


def data(value: _T) -> _T:
    """A JSON-like value (dicts, lists, strings) with every string's URL credentials masked.

    For records safepip keeps or shows (run report, history, job summary, quarantine manifests):
    the requirement lines and URLs pip printed, which old pips did not always mask.
    """
    found: Any = value
    if isinstance(found, str):
        return text(found)  # type: ignore[return-value]
    if isinstance(found, dict):
        return {key: data(item) for key, item in found.items()}  # type: ignore[return-value]
    if isinstance(found, (list, tuple)):
        return type(found)(data(item) for item in found)  # type: ignore[return-value]
    return value
