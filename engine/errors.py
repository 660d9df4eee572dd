"""Domain errors. Each carries a message a user can read; the CLI and the web layer map them once."""

from collections.abc import Mapping


class SopflowError(Exception):
    """Base class. `template` is an English message with %(name)s parameters and `str(error)` gives it filled
    in; the web layer translates the template through the catalog, so a user reads it in their language.
    Raise new errors as `NotAllowed("Task %(name)s is claimed by %(user)s.", name=..., user=...)`."""

    def __init__(self, template: str = "", /, **params: object) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params


class Bytes(int):
    """A size given to a message: the web layer shows it in the reader's form ("8,0 KB", "10 MB")."""

    def __str__(self) -> str:
        return f"{int(self)} bytes"


class InvalidDiagram(SopflowError):
    """A diagram that cannot be deployed: malformed, hostile or not executable as this project requires."""


class InvalidTaskData(SopflowError):
    """Data submitted for a task does not satisfy what the step requires. `field_errors` maps a field to its
    error; str() of each error is the English message (see engine.diagrams.forms.FieldError)."""

    def __init__(self, message: str, field_errors: Mapping[str, object] | None = None, **params: object) -> None:
        super().__init__(message, **params)
        self.field_errors = dict(field_errors or {})


class NotFound(SopflowError):
    pass


class NotAllowed(SopflowError):
    """The actor lacks the role, OPD or claim that the action requires."""


class TaskConflict(SopflowError):
    """The task or instance changed since it was read: a stale or double submission."""


class ConfigError(SopflowError):
    pass


class StepFailed(SopflowError):
    """A step the engine ran on behalf of a person failed (e.g. a condition divided by zero): the person's
    action is refused and nothing of it is saved."""


class Busy(SopflowError):
    """A bounded resource (e.g. outbound requests) is fully in use; the caller should try again shortly."""


class InvalidInput(SopflowError):
    """A value a person typed is refused (an empty comment, a blank reason); `field` names the parameter, so a
    page can show the message beside it and keep what was typed."""

    def __init__(self, template: str, /, field: str, **params: object) -> None:
        super().__init__(template, **params)
        self.field = field
