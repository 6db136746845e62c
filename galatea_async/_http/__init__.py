"""The request path: one call from a method and URL to a mapped answer.

Transport (httpx over aiohttp, or httpx's own) and how it reaches the API (proxies, trusted
certificates, idle connections: ``_network.py``), attempts and their decisions (retry,
redirects, credentials), decoding, framing headers, redaction, logging and tracing.
Nothing here knows a resource.
"""
