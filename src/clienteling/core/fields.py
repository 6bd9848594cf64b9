"""Validators shared by the domain models."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    _("Use letters, digits, '_', '.' or '-', starting with a letter or digit."),
    code="code_format",
)
