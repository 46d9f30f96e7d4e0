"""The domain: Flask-request-free functions, typed arguments in, values or DomainError out."""
