"""Domain errors. Routes turn them into 4xx answers with the message shown to people."""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self._errors = errors

    @property
    def errors(self) -> dict[str, list[str]]:
        if self._errors is not None:
            return self._errors
        return {self.field or "_schema": [self.message]}


class ValidationFailed(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
