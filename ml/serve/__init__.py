"""The web page and HTTP API (``python -m ml serve``); needs the ``serve`` extra."""

from ml.serve.app import create_app

__all__ = ["create_app"]
