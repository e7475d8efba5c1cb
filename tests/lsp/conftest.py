"""The `nav lsp` client fixture: a pytest-lsp client talking to `python -m navigator lsp`.

Each test module says which index its server reads with a module-scoped `lsp_cache` fixture.
pytest-lsp starts the server before the fixture's own arguments are resolved, so the server
learns the index from the environment, which an autouse fixture sets first and restores after.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.lsp_client import SERVER_COMMAND, server_environment


@pytest.fixture(scope="module", autouse=True)
def _server_environment(request: pytest.FixtureRequest) -> Iterator[None]:
    if not hasattr(request.module, "lsp_cache"):
        yield
        return
    cache: Path = request.getfixturevalue("lsp_cache")
    with pytest.MonkeyPatch.context() as monkeypatch:
        server_environment(cache, monkeypatch)
        yield


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient):
    lsp_client.initialize_result = await lsp_client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()
