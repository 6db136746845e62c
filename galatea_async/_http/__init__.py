"""The request path: one call from a method and URL to a mapped answer.

Transport (httpx over aiohttp, or httpx's own) and how it reaches the API (proxies, trusted
certificates, idle connections: ``_network.py``), calls (``_calls.py``), the attempt loop
(``_attempts.py``) and its pure decisions (``_attempt_decisions.py``: retry, redirects,
credentials; ``_retry.py``, ``_redirects.py``, ``_connection_errors.py``), decoding, framing
headers, redaction, logging and tracing.
Nothing here knows a resource.
"""
