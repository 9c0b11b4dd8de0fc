"""Domain exceptions raised by services; forum/app.py turns them into French pages."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str = "Cette page n’existe pas ou n’est pas visible pour vous.") -> None:
        super().__init__(message)


class Forbidden(DomainError):
    status_code = 403

    def __init__(self, message: str = "Vous n’avez pas le droit de faire cela.") -> None:
        super().__init__(message)


class NotAuthenticated(DomainError):
    status_code = 401

    def __init__(self, message: str = "Connectez-vous pour continuer.") -> None:
        super().__init__(message)


class RateLimited(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ValidationFailed(DomainError):
    """Bad input: field name -> French message. The form is shown again with the draft kept."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class FormRateLimited(RateLimited, ValidationFailed):
    """A limit met on submitting a form: a RateLimited (429, Retry-After) that form views,
    which catch ValidationFailed, also show as the error of `field` with the draft kept."""

    def __init__(self, field: str, message: str, retry_after: int) -> None:
        DomainError.__init__(self, message)
        self.retry_after = retry_after
        self.errors = {field: message}


def wait_message(seconds: int) -> str:
    """French wording for a delay: "dans 3 minutes", "dans 40 secondes"."""
    if seconds >= 3600:
        hours = (seconds + 3599) // 3600
        return f"dans {hours} heure{'s' if hours > 1 else ''}"
    if seconds >= 60:
        minutes = (seconds + 59) // 60
        return f"dans {minutes} minute{'s' if minutes > 1 else ''}"
    return f"dans {seconds} seconde{'s' if seconds > 1 else ''}"
