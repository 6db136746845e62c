"""Which certificates a client trusts, and the TLS context built from them once per process.

The rules:

- ``verify=True`` (the default) trusts certifi's bundle, as httpx does; with ``trust_env``
  (the default) ``SSL_CERT_FILE`` (a PEM bundle) or else ``SSL_CERT_DIR`` (a hashed
  directory) replaces it, and ``GALATEA_TRUST_STORE=system`` uses the operating system's
  trust store instead (the ``truststore`` package: ``pip install 'galatea-async[truststore]'``).
- ``verify="/path/ca.pem"`` (a bundle file, or a hashed directory) trusts that instead.
- ``verify=ssl.SSLContext`` is used as it is.
- ``verify=False`` turns verification off; the client warns loudly when it is given.

Loading a bundle reads and parses files (15-40 ms): ``ssl_context`` builds each distinct
context once per process, in a worker thread, and only when a request needs TLS, so a
plain-http client never builds one and a second client reuses the first one's.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Mapping

import attrs

from galatea_async._threads import run_blocking

__all__ = [
    "TRUST_STORE_VARIABLE",
    "TrustSettings",
    "build_ssl_context",
    "certificate_failed",
    "ssl_context",
]

TRUST_STORE_VARIABLE = "GALATEA_TRUST_STORE"


@attrs.frozen(cache_hash=True)  # looked up per request in the process's cache
class TrustSettings:
    """What one client's TLS trusts; equal settings share one context in the process."""

    verify: bool | str | ssl.SSLContext = True
    # From SSL_CERT_FILE / SSL_CERT_DIR (with trust_env and verify=True).
    cert_file: str | None = None
    cert_dir: str | None = None
    system_store: bool = False

    @classmethod
    def from_settings(
        cls,
        verify: bool | str | os.PathLike[str] | ssl.SSLContext,
        *,
        trust_env: bool,
        environ: Mapping[str, str],
    ) -> TrustSettings:
        """The settings of ``AsyncGalatea(verify=..., trust_env=...)`` in ``environ``;
        ``ValueError``/``TypeError`` naming ``verify`` for what cannot be one."""
        if isinstance(verify, (bool, ssl.SSLContext)):
            checked: bool | str | ssl.SSLContext = verify
        elif isinstance(verify, (str, os.PathLike)):
            path = os.fspath(verify)
            if not isinstance(path, str) or not os.path.exists(path):
                raise ValueError(
                    f"verify={path!r} is not a CA bundle: no such file or directory; pass "
                    "the path of a PEM file (or hashed directory) of the CA certificates to trust"
                )
            checked = path
        else:
            raise TypeError(
                "verify must be True, False, a CA bundle path or an ssl.SSLContext, "
                f"got {type(verify).__name__}"
            )
        if checked is not True or not trust_env:
            return cls(verify=checked)
        store = environ.get(TRUST_STORE_VARIABLE, "").strip().lower()
        if store not in ("", "system", "certifi"):
            raise ValueError(
                f"{TRUST_STORE_VARIABLE}={store!r} is not a trust store: use 'system' (the "
                "operating system's, needs the truststore extra) or 'certifi' (the default)"
            )
        return cls(
            cert_file=environ.get("SSL_CERT_FILE") or None,
            cert_dir=environ.get("SSL_CERT_DIR") or None,
            system_store=store == "system",
        )

    @property
    def shown(self) -> str:
        """What is trusted, in words, for messages."""
        if isinstance(self.verify, str):
            return f"the CA bundle {self.verify}"
        if isinstance(self.verify, ssl.SSLContext):
            return "the ssl.SSLContext passed as verify="
        if self.system_store:
            return "the operating system's trust store"
        if self.cert_file or self.cert_dir:
            return f"SSL_CERT_FILE/SSL_CERT_DIR ({self.cert_file or self.cert_dir})"
        return "certifi's CA bundle"


def build_ssl_context(settings: TrustSettings) -> ssl.SSLContext:
    """The verifying (or, for ``verify=False``, non-verifying) context ``settings`` describe.

    Blocking: it reads certificate files. ``ssl_context`` runs it once per settings.
    """
    verify = settings.verify
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(verify, str):
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    if settings.system_store:
        return _system_context()
    if settings.cert_file:
        return ssl.create_default_context(cafile=settings.cert_file)
    if settings.cert_dir:
        return ssl.create_default_context(capath=settings.cert_dir)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _system_context() -> ssl.SSLContext:
    try:
        import truststore
    except ImportError:
        raise ValueError(
            f"{TRUST_STORE_VARIABLE}=system needs the truststore package: "
            "pip install 'galatea-async[truststore]'"
        ) from None
    context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return context


_lock = threading.Lock()
_contexts: dict[TrustSettings, ssl.SSLContext] = {}


def _cached(settings: TrustSettings) -> ssl.SSLContext:
    # In a worker thread: a second caller waits here (off the loop) for the first one's build.
    with _lock:
        context = _contexts.get(settings)
        if context is None:
            context = _contexts[settings] = build_ssl_context(settings)
        return context


async def ssl_context(settings: TrustSettings) -> ssl.SSLContext:
    """The process's context for ``settings``: built once, in a worker thread."""
    if isinstance(settings.verify, ssl.SSLContext):
        return settings.verify
    context = _contexts.get(settings)
    if context is None:
        context = await run_blocking(_cached, settings)
    return context


def certificate_failed(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a failed certificate check."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False
