"""The errors EKS answers with, in moto's rest-json error shape.

moto's own EKS exception classes already produce what the SDKs parse (status code,
`x-amzn-ErrorType` header, JSON body with `message`); these helpers only make raising them
read like the API reference.
"""

from __future__ import annotations

from moto.eks.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceInUseException,
    ResourceNotFoundException,
)


def not_found(message: str, **context: str | None) -> ResourceNotFoundException:
    """HTTP 404 `ResourceNotFoundException`."""
    return ResourceNotFoundException(message=message, **context)


def in_use(message: str, **context: str | None) -> ResourceInUseException:
    """HTTP 409 `ResourceInUseException`."""
    return ResourceInUseException(message=message, **context)


def invalid_parameter(message: str, **context: str | None) -> InvalidParameterException:
    """HTTP 400 `InvalidParameterException`: a value EKS does not accept."""
    return InvalidParameterException(message=message, **context)


def invalid_request(message: str, **context: str | None) -> InvalidRequestException:
    """HTTP 400 `InvalidRequestException`: a valid request the resource's state refuses."""
    return InvalidRequestException(message=message, **context)
