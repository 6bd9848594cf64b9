"""Registers every model admin of the back office (Django's admin autodiscovery imports
this module)."""

from clienteling.backoffice import (  # noqa: F401 (registration on import)
    api,
    attributes,
    clientbooks,
    customers,
    engagement,
    insights,
    jobs,
    organization,
    sales,
    security,
    timeline,
)
