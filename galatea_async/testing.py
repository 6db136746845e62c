"""pytest fixtures for code that calls Galatea: a served emulator and a client bound to it.

Installed with the package (entry point ``pytest11``) and inert until a test asks for one of
its fixtures, which need the ``emulator`` extra (``pip install 'galatea-async[emulator]'``).

```python
async def test_order_completes(galatea_client, galatea_emulator):
    order_id = galatea_emulator.add_order(status="Running")
    galatea_emulator.clock.advance(3600)               # the clock only moves when told
    order = await galatea_client.orders.get(order_id)
    assert order.status == "Completed"
```

- ``galatea_emulator``: a ``ServedEmulator``, ``Emulator.demo()`` on a manual clock,
  served over TCP on 127.0.0.1 (a free port) for one test: ``.base_url``, ``.api_key``,
  ``.faults``, ``.clock``, ``add_file``, ``add_order``, ``fail_order``, ...
- ``galatea_client``: an ``AsyncGalatea`` with the emulator's API key and URL, closed after
  the test.
- ``@pytest.mark.galatea_emulator(empty=True)`` starts from an empty lab instead of the demo
  world; the marker's other keyword arguments go to ``Emulator(...)`` (``time_scale=60.0``,
  ``validation_seconds=...``, ``accept_ranges=False``, ...). The same options can be given as
  an indirect parameter: ``@pytest.mark.parametrize("galatea_emulator", [{"empty": True}],
  indirect=True)``.

For an async test the fixtures run on the test's own event loop, under pytest-asyncio (auto
mode, or strict mode with ``@pytest.mark.asyncio``, any ``loop_scope``) or under anyio's
pytest plugin (``@pytest.mark.anyio``) on its asyncio backend. For a plain (``def``) test,
during which no event loop runs, ``galatea_emulator`` is served from a thread with a loop of
its own, so a blocking client or the ``galatea`` command in a subprocess reaches it;
``galatea_client`` is for async tests only. The emulator is served by uvicorn, which runs on
asyncio only: under trio, test in-process with
``AsyncGalatea(transport=httpx.ASGITransport(app=emulator.app), ...)`` instead.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

try:
    import pytest_asyncio
except ImportError:  # anyio's plugin alone is enough
    pytest_asyncio = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from galatea_async._client import AsyncGalatea
    from galatea_async.emulator._served import ServedEmulator

__all__ = ["EMULATOR_MARKER", "ServedEmulator", "galatea_client", "galatea_emulator"]

EMULATOR_MARKER = "galatea_emulator"
_INSTALL_HINT = "pip install 'galatea-async[emulator]'"
_LOOP_SCOPES = ("function", "class", "module", "package", "session")
# The emulator the public fixture built, handed to the async fixture that serves it.
_EMULATOR_OF_TEST = pytest.StashKey["ServedEmulator"]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``galatea_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        f"{EMULATOR_MARKER}(empty=False, **options): how the galatea_emulator fixture builds "
        "its emulator: empty=True for an empty lab instead of the demo world; other options "
        "go to galatea_async.emulator.Emulator(...)",
    )


def __getattr__(name: str) -> Any:
    if name == "ServedEmulator":
        return _served_emulator_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _served_emulator_class() -> type[ServedEmulator]:
    try:
        from galatea_async.emulator._served import ServedEmulator
    except ImportError as exc:
        raise ImportError(
            f"the galatea_emulator fixture needs the emulator extra: {_INSTALL_HINT} "
            f"(missing: {exc.name or exc})"
        ) from None
    return ServedEmulator


def _emulator_options(request: pytest.FixtureRequest) -> tuple[bool, dict[str, Any]]:
    """Whether to start empty, and the Emulator options, from markers and an indirect param."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(EMULATOR_MARKER))):  # closest wins
        if marker.args:
            pytest.fail(
                f"@pytest.mark.{EMULATOR_MARKER} takes keyword arguments only "
                "(empty=True, time_scale=..., ...)",
                pytrace=False,
            )
        options.update(marker.kwargs)
    parameter = getattr(request, "param", None)
    if parameter is not None:
        if not isinstance(parameter, dict):
            pytest.fail(
                "an indirect parameter of galatea_emulator must be a dict of options, "
                f"e.g. {{'empty': True}}; got {parameter!r}",
                pytrace=False,
            )
        options.update(parameter)
    empty = bool(options.pop("empty", False))
    options.setdefault("time_scale", None)  # a manual clock: tests decide when things happen
    return empty, options


def _test_loop_scope(request: pytest.FixtureRequest) -> str:
    """The scope of the event loop pytest-asyncio runs this test in."""
    marker = request.node.get_closest_marker("asyncio")
    scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope") if marker else None
    if not scope:
        try:
            scope = request.config.getini("asyncio_default_test_loop_scope")
        except ValueError:  # an older pytest-asyncio: always the function's loop
            scope = None
    return scope if scope in _LOOP_SCOPES else "function"


def _is_plain_test(request: pytest.FixtureRequest) -> bool:
    """Whether the test is a plain function: no event loop runs while it does."""
    # Unwrapped: an async plugin may have wrapped the coroutine function in a plain one.
    return not inspect.iscoroutinefunction(inspect.unwrap(request.function))


def _implementation(request: pytest.FixtureRequest, what: str) -> str:
    """The fixture that runs ``what``: on the loop the test runs on, or a thread's for a plain
    test."""
    if _is_plain_test(request):
        if what == "client":
            pytest.fail(
                "galatea_client is an AsyncGalatea, for an async test; in a plain test use "
                "galatea_emulator.base_url and .api_key with a blocking client or the galatea "
                "command",
                pytrace=False,
            )
        return "_galatea_emulator_thread"
    if "anyio_backend" in request.fixturenames:
        return f"_galatea_{what}_anyio"
    if pytest_asyncio is not None and request.config.pluginmanager.has_plugin("asyncio"):
        return f"_galatea_{what}_asyncio_{_test_loop_scope(request)}"
    pytest.fail(
        f"galatea_{what} is served on the test's event loop: run the test under pytest-asyncio "
        "(asyncio_mode = auto, or @pytest.mark.asyncio) or anyio's pytest plugin "
        "(@pytest.mark.anyio)",
        pytrace=False,
    )


@pytest.fixture
def galatea_emulator(request: pytest.FixtureRequest) -> ServedEmulator:
    """``Emulator.demo()`` on a manual clock, served on 127.0.0.1 for this test."""
    problem: str | None = None
    try:
        served_emulator_class = _served_emulator_class()
    except ImportError as exc:
        problem = str(exc)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    empty, options = _emulator_options(request)
    try:
        built = served_emulator_class(**options) if empty else served_emulator_class.demo(**options)
    except TypeError as exc:
        problem = (
            f"galatea_emulator options: {exc} (it takes empty=True and the keyword arguments "
            "of galatea_async.emulator.Emulator)"
        )
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    assert isinstance(built, served_emulator_class)  # demo() is typed as returning Emulator
    request.node.stash[_EMULATOR_OF_TEST] = built
    served: ServedEmulator = request.getfixturevalue(_implementation(request, "emulator"))
    return served


@pytest.fixture
def galatea_client(
    galatea_emulator: ServedEmulator, request: pytest.FixtureRequest
) -> AsyncGalatea:
    """An ``AsyncGalatea`` bound to ``galatea_emulator``, closed after the test."""
    client: AsyncGalatea = request.getfixturevalue(_implementation(request, "client"))
    return client


@pytest.fixture
def _galatea_emulator_thread(request: pytest.FixtureRequest) -> Iterator[ServedEmulator]:
    """The emulator served from a thread with its own event loop, for a plain test."""
    from anyio.from_thread import start_blocking_portal

    emulator = request.node.stash[_EMULATOR_OF_TEST]
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(emulator.serve()),
    ):
        yield emulator


@asynccontextmanager
async def _serving(emulator: ServedEmulator) -> AsyncIterator[ServedEmulator]:
    import sniffio

    library = sniffio.current_async_library()
    if library != "asyncio":
        raise RuntimeError(
            f"galatea_emulator serves the emulator with uvicorn, which needs asyncio, not "
            f"{library}: run this test on asyncio (anyio_backend = 'asyncio'), or under "
            f"{library} use AsyncGalatea(transport=httpx.ASGITransport(app=emulator.app), ...)"
        )
    async with emulator.serve():
        yield emulator


@asynccontextmanager
async def _client_for(emulator: ServedEmulator) -> AsyncIterator[AsyncGalatea]:
    from galatea_async import AsyncGalatea

    async with AsyncGalatea(api_key=emulator.api_key, base_url=emulator.base_url) as client:
        yield client


def _register_async_fixtures(loop_scope: str | None) -> None:
    """The serving and client fixtures for anyio (``None``) or one pytest-asyncio loop scope."""

    async def serve_emulator(request: pytest.FixtureRequest) -> AsyncIterator[ServedEmulator]:
        async with _serving(request.node.stash[_EMULATOR_OF_TEST]) as emulator:
            yield emulator

    async def open_client(galatea_emulator: ServedEmulator) -> AsyncIterator[AsyncGalatea]:
        async with _client_for(galatea_emulator) as client:
            yield client

    decorate: Callable[..., Any]
    if loop_scope is None:
        suffix, decorate = "anyio", pytest.fixture
    else:
        suffix = f"asyncio_{loop_scope}"
        decorate = functools.partial(pytest_asyncio.fixture, loop_scope=loop_scope)
    for what, function in (("emulator", serve_emulator), ("client", open_client)):
        name = f"_galatea_{what}_{suffix}"
        globals()[name] = decorate(name=name)(function)


_register_async_fixtures(None)
if pytest_asyncio is not None:
    for _scope in _LOOP_SCOPES:
        _register_async_fixtures(_scope)
