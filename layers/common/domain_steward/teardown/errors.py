"""The teardown's errors. Each class is named exactly as the error users see (INTERFACES.md): Lambda reports
a handler's exception by its class name, and Step Functions ``Catch`` and the execution's ``error`` use it.
The message is the ``cause``: a sentence a person can act on."""

from __future__ import annotations


class TeardownError(Exception):
    """Base of the errors that end a teardown with a named failure."""


class InvalidInput(TeardownError):
    pass


class ConfirmationMismatch(TeardownError):
    pass


class DomainNotFound(TeardownError):
    pass


class UserProfileNotFound(TeardownError):
    pass


class DomainProtected(TeardownError):
    pass


class TeardownAlreadyRunning(TeardownError):
    pass


class TeardownStuck(TeardownError):
    pass


class TransientAwsError(TeardownError):
    """An AWS call still throttled or failing on the service's side after the client's own retries: the
    workflow retries the task with backoff (never seen by users unless those retries run out too)."""
