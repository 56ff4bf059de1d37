"""API errors as the ECS OpenAPI reports them: an HTTP status and a documented code."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def bad(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def forbidden(code: str, message: str) -> ApiError:
    return ApiError(403, code, message)
